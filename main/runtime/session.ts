import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import ort from './ort.js';
import { log } from '../log.js';
import type { ModelEntry } from '../catalogue/manifest.js';

const PROVIDERS = ['cuda', 'dml', 'coreml', 'cpu'] as const;
export type ExecutionProvider = (typeof PROVIDERS)[number];

export interface ProviderChoice {
  provider: ExecutionProvider;
  /** Why a faster provider was not used, when it was not. */
  fallbackReason?: string;
}

/** VIGIL_EXECUTION_PROVIDER when it names a provider, else the platform's best guess. */
export function preferredProvider(): ExecutionProvider {
  const forced = process.env.VIGIL_EXECUTION_PROVIDER;
  if (forced && (PROVIDERS as readonly string[]).includes(forced)) return forced as ExecutionProvider;
  // onnxruntime would drop an unknown provider itself, with unstructured lines of its own per session.
  if (forced)
    log('warn', 'execution_provider_unknown', { value: forced.slice(0, 40), allowed: PROVIDERS.join(', ') });
  if (process.platform === 'darwin') return 'coreml';
  if (process.platform === 'win32') return 'dml';
  if (process.platform === 'linux' && existsSync('/proc/driver/nvidia/version')) return 'cuda';
  return 'cpu';
}

function noGpuReason(): string {
  if (process.platform === 'linux') return 'no NVIDIA GPU driver found (/proc/driver/nvidia/version)';
  return 'no accelerator available';
}

let choice: ProviderChoice | undefined;

let threadsOverride: number | undefined;

/** Set by inference workers, which split the cores between them. */
export function setThreadsPerSession(n: number): void {
  threadsOverride = n;
}

export function threadsPerSession(): number {
  if (threadsOverride) return threadsOverride;
  const env = Number(process.env.VIGIL_THREADS);
  if (Number.isInteger(env) && env > 0) return env;
  return Math.max(1, Math.min(4, availableParallelism()));
}

function sessionOptions(provider: ExecutionProvider): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
    intraOpNumThreads: threadsPerSession(),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // Several sessions share few cores: spinning threads starve each other (measured 5–6× slower).
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

/**
 * Opens a session on the preferred execution provider, falling back to the CPU with a logged
 * reason when the provider cannot start (driver or runtime library missing).
 */
export async function createSession(bytes: Uint8Array, label: string): Promise<ort.InferenceSession> {
  if (!choice) {
    const preferred = preferredProvider();
    choice =
      preferred === 'cpu' ? { provider: 'cpu', fallbackReason: noGpuReason() } : { provider: preferred };
  }
  if (choice.provider !== 'cpu') {
    try {
      return await ort.InferenceSession.create(bytes, sessionOptions(choice.provider));
    } catch (e) {
      const reason = `${choice.provider} execution provider failed to start: ${(e as Error).message.split('\n')[0]}`;
      log('warn', 'execution_provider_fallback', { model: label, provider: choice.provider, reason });
      choice = { provider: 'cpu', fallbackReason: reason };
    }
  }
  return ort.InferenceSession.create(bytes, sessionOptions('cpu'));
}

export function executionProvider(): ProviderChoice {
  return choice ?? { provider: preferredProvider() };
}

export { ort };

/** Runs a single-input model on one NCHW float tensor: the manifest's input name, else the model's first input. */
export function runNchw(
  session: ort.InferenceSession,
  entry: ModelEntry,
  data: Float32Array,
  dims: readonly number[],
): Promise<ort.InferenceSession.ReturnType> {
  const name = entry.input.name || session.inputNames[0]!;
  return session.run({ [name]: new ort.Tensor('float32', data, dims) });
}
