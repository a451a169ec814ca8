/**
 * A stand-in for renderer/src/api.ts in component tests: the engine (native ONNX, SQLite, ffmpeg)
 * cannot run inside jsdom, so tests mock the module boundary with
 *   vi.mock('../api.js', () => import('../testing/fakeApi.js'))
 * and script the engine's answers per method with `handle`. It exports the same names as api.ts.
 */
import type {
  ConsoleEvent,
  ErrorCode,
  MethodName,
  Params,
  Result,
  VigilApi,
} from '../../../main/contract/contract.js';

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Handler<M extends MethodName> = (params: Params<M>) => Result<M> | Promise<Result<M>>;

const handlers = new Map<MethodName, (params: unknown) => unknown>();
const listeners = new Set<(e: ConsoleEvent) => void>();
/** Every call the page made, in order. */
export const calls: { method: MethodName; params: unknown }[] = [];

export function handle<M extends MethodName>(method: M, h: Handler<M>): void {
  handlers.set(method, h as (params: unknown) => unknown);
}

/** The params of each call to `method`, in order. */
export function paramsOf<M extends MethodName>(method: M): Params<M>[] {
  return calls.filter((c) => c.method === method).map((c) => c.params as Params<M>);
}

export async function call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
  calls.push({ method, params });
  const h = handlers.get(method);
  if (!h) throw new ApiError('INTERNAL', `The fake engine has no answer for ${method}.`);
  return (await h(params)) as Result<M>;
}

export const api: VigilApi = {
  invoke: call,
  onEvent(listener) {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  },
};

/** Delivers a live event to every subscriber, as the transport would. */
export function emit(e: ConsoleEvent): void {
  for (const l of [...listeners]) l(e);
}

export function resetFake(): void {
  handlers.clear();
  listeners.clear();
  calls.length = 0;
}

export function onSessionEnded(_listener: () => void): () => void {
  return () => undefined;
}
export function forgetSession(): void {}
export function onConnection(_listener: (s: 'offline' | 'connecting' | 'open') => void): () => void {
  return () => undefined;
}
export function connectionState(): 'open' {
  return 'open';
}
