import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
// Before any worker loads a model: the environment is the main thread's to set.
import '../runtime/telemetry-off.js';
import type { RgbImage } from '../photo/image.js';
import { VigilError, type VigilErrorCode } from '../errors.js';
import { log } from '../log.js';
import { packageRoot } from '../paths.js';
import type { LocatedFace, LocateOptions } from './analyze.js';
import type { Analyzer } from './analyzer.js';
import type { WorkerInit, WorkerRequest, WorkerResponse, WorkerStatus } from './inference-worker.js';

function workerScript(): string {
  const here = fileURLToPath(import.meta.url);
  // Under the test runner this module is TypeScript; the worker must be the built JavaScript.
  const js = here.endsWith('.ts')
    ? join(packageRoot(), 'dist', 'main', 'engine', 'inference-worker.js')
    : here.replace(/inference-pool\.js$/, 'inference-worker.js');
  if (!existsSync(js)) throw new Error(`inference worker not built: ${js} (run npm run build)`);
  return js;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout };

interface Slot {
  index: number;
  worker: Worker;
  pending: Map<number, Pending>;
  /** Models loaded: requests are timed from then on (loading may take a while). */
  ready: boolean;
  /** Replaced or closing: its exit is expected and it takes no more requests. */
  retired: boolean;
}

/** What went wrong with a worker; the pool has already replaced it when this is emitted. */
export interface PoolFault {
  kind: 'worker_crashed' | 'worker_hung' | 'model_load_failed';
  worker: number;
  /** One sentence for a person (a system_error alert). */
  message: string;
}

export interface PoolOptions {
  /** A request that takes longer than this means the worker hangs: it is replaced (20 s). */
  requestTimeoutMs?: number;
  /** After a worker could not load its models, wait this long before trying a new one (5 s, doubling to 60 s). */
  reloadBackoffMs?: number;
}

/**
 * A pool of worker threads shared by all cameras, each with its own sessions. Requests go to the
 * least busy worker; at most one request per camera is ever outstanding (the camera drops frames
 * meanwhile), so the queues stay bounded by the number of cameras.
 *
 * The pool supervises its workers: one that crashes, exits, or leaves a request unanswered past
 * the timeout is replaced, its outstanding requests fail with INFERENCE_FAILED (the camera drops
 * that frame and goes on with the next), and a `fault` event says what happened.
 */
export class InferencePool extends EventEmitter<{ fault: [PoolFault] }> implements Analyzer {
  private readonly slots: Slot[] = [];
  /** Replaced hung workers still finishing their run. */
  private readonly draining = new Set<Worker>();
  private nextId = 1;
  private closing = false;
  private readonly requestTimeoutMs: number;
  private readonly reloadBackoff: number;
  private loadFailures = 0;
  private readonly init: WorkerInit;

  constructor(
    init: Omit<WorkerInit, 'threads'>,
    size: number,
    threadsEach: number,
    options: PoolOptions = {},
  ) {
    super();
    this.init = { ...init, threads: threadsEach };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 20_000;
    this.reloadBackoff = options.reloadBackoffMs ?? 5000;
    for (let i = 0; i < size; i++) this.slots.push(this.spawn(i));
  }

  /** Thread ids of the current workers (doctor, tests). */
  threadIds(): number[] {
    return this.slots.map((s) => s.worker.threadId);
  }

  /** The worker thread in slot `index`, for fault-injection tests only. */
  workerAt(index: number): Worker | undefined {
    return this.slots[index]?.worker;
  }

  private spawn(index: number): Slot {
    const worker = new Worker(workerScript(), { workerData: this.init satisfies WorkerInit });
    const slot: Slot = { index, worker, pending: new Map(), ready: false, retired: false };
    worker.on('message', (m: WorkerResponse | WorkerStatus) => {
      if ('status' in m) {
        if (m.status === 'ready') {
          slot.ready = true;
          this.loadFailures = 0;
          for (const p of slot.pending.values()) this.arm(slot, p);
        } else {
          this.fail(slot, {
            kind: 'model_load_failed',
            worker: index,
            message: `An inference worker could not load the models: ${m.error}`,
          });
        }
        return;
      }
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(m.code ? new VigilError(m.code as VigilErrorCode, m.error) : new Error(m.error));
    });
    worker.on('error', (e) =>
      this.fail(slot, {
        kind: 'worker_crashed',
        worker: index,
        message: `An inference worker crashed (${e.message}); it was restarted.`,
      }),
    );
    worker.on('exit', (code) =>
      this.fail(slot, {
        kind: 'worker_crashed',
        worker: index,
        message: `An inference worker stopped unexpectedly (exit code ${code}); it was restarted.`,
      }),
    );
    return slot;
  }

  private arm(slot: Slot, p: Pending): void {
    if (p.timer || !slot.ready) return;
    p.timer = setTimeout(
      () =>
        this.fail(slot, {
          kind: 'worker_hung',
          worker: slot.index,
          message: `An inference worker did not answer within ${this.requestTimeoutMs < 1000 ? `${this.requestTimeoutMs} ms` : `${Math.round(this.requestTimeoutMs / 1000)} s`}; it was restarted.`,
        }),
      this.requestTimeoutMs,
    );
    p.timer.unref();
  }

  /** Retires a failed worker, fails what it held, starts its replacement and reports the fault. */
  private fail(slot: Slot, fault: PoolFault): void {
    if (slot.retired || this.closing) return;
    slot.retired = true;
    const error = new VigilError('INFERENCE_FAILED', fault.message);
    for (const p of slot.pending.values()) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    slot.pending.clear();
    log('error', 'inference_worker_failed', { kind: fault.kind, worker: fault.worker });
    if (fault.kind === 'worker_hung') {
      // Terminating a thread inside an onnxruntime run aborts the whole process: the hung worker
      // is asked to close once its run returns, and nobody waits for it meanwhile.
      this.draining.add(slot.worker);
      slot.worker.once('exit', () => this.draining.delete(slot.worker));
      slot.worker.postMessage({ op: 'close', id: 0 } satisfies WorkerRequest);
      slot.worker.unref();
    } else void slot.worker.terminate().catch(() => undefined);
    const replace = () => {
      if (this.closing) return;
      this.slots[slot.index] = this.spawn(slot.index);
    };
    if (fault.kind === 'model_load_failed') {
      // Missing or broken model files are not fixed by retrying at once: back off.
      const wait = Math.min(60_000, this.reloadBackoff * 2 ** this.loadFailures++);
      // Requests meanwhile go to the other workers, or fail at once when there are none.
      setTimeout(replace, wait).unref();
    } else replace();
    this.emit('fault', fault);
  }

  private request<T>(req: DistributiveOmit<WorkerRequest, 'id'>, transfer: ArrayBuffer[] = []): Promise<T> {
    const live = this.slots.filter((s) => !s.retired);
    if (live.length === 0)
      return Promise.reject(
        new VigilError('INFERENCE_FAILED', 'No inference worker is running; they are being restarted.'),
      );
    const w = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    return this.requestTo(w, req, transfer);
  }

  private requestTo<T>(
    w: Slot,
    req: DistributiveOmit<WorkerRequest, 'id'>,
    transfer: ArrayBuffer[] = [],
  ): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const p: Pending = { resolve: resolve as (v: unknown) => void, reject };
      w.pending.set(id, p);
      if (req.op !== 'close') this.arm(w, p);
      w.worker.postMessage({ ...req, id } as WorkerRequest, transfer);
    });
  }

  /**
   * The frame's pixels are moved to the worker, not copied (a 1280×720 frame is 2.7 MB), and come
   * back with the result: `image` is unusable until then, and the returned one replaces it.
   */
  async locate(image: RgbImage, options: LocateOptions = {}): Promise<LocatedFace[]> {
    return (await this.locateMoving(image, options)).faces;
  }

  locateMoving(
    image: RgbImage,
    options: LocateOptions = {},
  ): Promise<{ faces: LocatedFace[]; image: RgbImage }> {
    // A view into a larger buffer cannot be moved alone: copy it into its own.
    const own =
      image.data.byteOffset === 0 && image.data.byteLength === image.data.buffer.byteLength
        ? image
        : { ...image, data: new Uint8Array(image.data) };
    return this.request(
      {
        op: 'locate',
        image: own,
        retry: options.retry ?? true,
        tiles: options.tiles ?? false,
        minFaceSize: options.minFaceSize ?? 0,
        ...(options.regions ? { regions: options.regions } : {}),
      },
      [own.data.buffer as ArrayBuffer],
    );
  }

  embed(crops: RgbImage[]): Promise<Float32Array[]> {
    if (crops.length === 0) return Promise.resolve([]);
    return this.request({ op: 'embed', crops });
  }

  /** Requests sent to the workers and not yet answered. */
  get pending(): number {
    return this.slots.reduce((n, w) => n + w.pending.size, 0);
  }

  /** Waits for requests in flight, lets each worker release its sessions, then ends it. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.slots.map(async (w) => {
        if (w.retired) return;
        w.retired = true;
        const deadline = Date.now() + 10_000;
        while (w.pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        const exited = new Promise<void>((r) => w.worker.once('exit', () => r()));
        await Promise.race([
          this.requestTo(w, { op: 'close' }),
          new Promise((r) => setTimeout(r, 5000)),
        ]).catch(() => undefined);
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
        await w.worker.terminate();
      }),
    );
    // A replaced hung worker closes itself after its run; one that never returns is left behind.
    await Promise.all(
      [...this.draining].map((w) =>
        Promise.race([new Promise((r) => w.once('exit', r)), new Promise((r) => setTimeout(r, 10_000))]),
      ),
    );
  }
}

/**
 * VIGIL_WORKERS, or the default: "-3" or "0.5" once made a pool without a single worker, so
 * only a whole number from 1 counts.
 */
export function workerCount(value: string | undefined, cores: number): number {
  const asked = Number(value);
  return Number.isInteger(asked) && asked >= 1 ? asked : Math.max(1, Math.min(4, cores));
}

/** Two workers of one thread each on a 2-core machine; more workers on bigger ones. */
export function defaultPool(pack: string, dataDir: string, options: PoolOptions = {}): InferencePool {
  const cores = availableParallelism();
  const size = workerCount(process.env.VIGIL_WORKERS, cores);
  return new InferencePool(
    { pack, dataDir },
    Math.min(size, cores),
    Math.max(1, Math.floor(cores / size)),
    options,
  );
}
