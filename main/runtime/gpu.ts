import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ort from './ort.js';

/** One GPU execution provider as `vigil doctor` reports it. */
export interface GpuProviderReport {
  provider: 'cuda' | 'dml' | 'coreml';
  /** The provider's library is present in onnxruntime-node. */
  installed: boolean;
  /** A session opened on it (with no CPU fallback). */
  usable: boolean;
  detail: string;
  /** What installs or enables it, when it is not usable; null when nothing can (wrong platform). */
  fix: string | null;
}

/**
 * CUDA's provider is not in the npm package (too large for the registry): onnxruntime-node's
 * install script fetches it from NuGet when asked. .npmrc says `onnxruntime-node-install=skip` so
 * the default install stays CPU-only and offline; the environment variable wins over .npmrc.
 */
export const CUDA_INSTALL_COMMAND =
  process.platform === 'win32'
    ? 'set ONNXRUNTIME_NODE_INSTALL=cuda12 && npm rebuild onnxruntime-node'
    : 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node';

function ortBinaryDir(): string | null {
  try {
    const pkg = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const dir = join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(dir) ? dir : null;
  } catch {
    return null;
  }
}

async function opens(provider: string, model: Uint8Array): Promise<string | null> {
  try {
    const s = await ort.InferenceSession.create(model, { executionProviders: [provider] });
    await s.release();
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0] ?? 'failed';
  }
}

/** The GPU providers that apply to this platform, each tried with a real model. */
export async function gpuProviders(model: Uint8Array): Promise<GpuProviderReport[]> {
  const reports: GpuProviderReport[] = [];
  const bin = ortBinaryDir();
  if (process.platform === 'linux' || process.platform === 'win32') {
    const lib =
      process.platform === 'linux' ? 'libonnxruntime_providers_cuda.so' : 'onnxruntime_providers_cuda.dll';
    const installed = !!bin && existsSync(join(bin, lib));
    const driver =
      process.platform === 'linux'
        ? existsSync('/proc/driver/nvidia/version')
          ? readFileSync('/proc/driver/nvidia/version', 'utf8').split('\n')[0]!.trim()
          : null
        : 'unknown (Windows)';
    const error = installed && driver ? await opens('cuda', model) : null;
    const usable = installed && !!driver && error === null;
    reports.push({
      provider: 'cuda',
      installed,
      usable,
      detail: usable
        ? `usable (${driver})`
        : !driver
          ? 'no NVIDIA driver found (/proc/driver/nvidia/version)'
          : !installed
            ? `not installed (${lib} is missing from onnxruntime-node)`
            : `installed but does not start: ${error} (needs CUDA 12 and cuDNN 9 libraries)`,
      fix: usable
        ? null
        : !driver
          ? 'install the NVIDIA driver, then: ' + CUDA_INSTALL_COMMAND
          : installed
            ? 'install the CUDA 12 runtime and cuDNN 9 (e.g. apt-get install cuda-runtime-12-x libcudnn9-cuda-12)'
            : CUDA_INSTALL_COMMAND,
    });
  }
  const bundled = (name: string) => ort.listSupportedBackends().some((b) => b.name === name);
  if (process.platform === 'win32') {
    const installed = bundled('dml');
    const error = installed ? await opens('dml', model) : 'not bundled';
    reports.push({
      provider: 'dml',
      installed,
      usable: error === null,
      detail: error === null ? 'usable (DirectML)' : `not usable: ${error}`,
      fix:
        error === null
          ? null
          : 'update the graphics driver and Windows (DirectML 1.x ships with Windows 10 1903 and later)',
    });
  }
  if (process.platform === 'darwin') {
    const installed = bundled('coreml');
    const error = installed ? await opens('coreml', model) : 'not bundled';
    reports.push({
      provider: 'coreml',
      installed,
      usable: error === null,
      detail: error === null ? 'usable (Core ML)' : `not usable: ${error}`,
      fix: error === null ? null : 'Core ML ships with macOS 10.15 and later: update macOS',
    });
  }
  return reports;
}
