import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RgbImage } from '../decode/image.js';
import { VigilError, type VigilErrorCode } from '../errors.js';
import { packageRoot } from '../paths.js';
import type { LocatedFace, LocateOptions } from './analyze.js';
import type { Analyzer } from './analyzer.js';
import type { WorkerInit, WorkerRequest, WorkerResponse } from './inference-worker.js';

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

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/**
 * A pool of worker threads shared by all cameras, each with its own sessions. Requests go to the
 * least busy worker; at most one request per camera is ever outstanding (the camera drops frames
 * meanwhile), so the queues stay bounded by the number of cameras.
 */
export class InferencePool implements Analyzer {
  private readonly workers: { worker: Worker; pending: Map<number, Pending> }[] = [];
  private nextId = 1;

  constructor(init: Omit<WorkerInit, 'threads'>, size: number, threadsEach: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(workerScript(), {
        workerData: { ...init, threads: threadsEach } satisfies WorkerInit,
      });
      const pending = new Map<number, Pending>();
      worker.on('message', (m: WorkerResponse) => {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else p.reject(m.code ? new VigilError(m.code as VigilErrorCode, m.error) : new Error(m.error));
      });
      worker.on('error', (e) => {
        for (const p of pending.values()) p.reject(e);
        pending.clear();
      });
      this.workers.push({ worker, pending });
    }
  }

  private request<T>(req: DistributiveOmit<WorkerRequest, 'id'>, transfer: ArrayBuffer[] = []): Promise<T> {
    const w = this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    return this.requestTo(w, req, transfer);
  }

  private requestTo<T>(
    w: InferencePool['workers'][number],
    req: DistributiveOmit<WorkerRequest, 'id'>,
    transfer: ArrayBuffer[] = [],
  ): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      w.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
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
      },
      [own.data.buffer as ArrayBuffer],
    );
  }

  embed(crops: RgbImage[]): Promise<Float32Array[]> {
    if (crops.length === 0) return Promise.resolve([]);
    return this.request({ op: 'embed', crops });
  }

  /** Waits for requests in flight, lets each worker release its sessions, then ends it. */
  /** Requests sent to the workers and not yet answered. */
  get pending(): number {
    return this.workers.reduce((n, w) => n + w.pending.size, 0);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
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
  }
}

/** Two workers of one thread each on a 2-core machine; more workers on bigger ones. */
export function defaultPool(pack: string, dataDir: string): InferencePool {
  const cores = availableParallelism();
  const size = Number(process.env.VIGIL_WORKERS) || Math.max(1, Math.min(4, Math.floor(cores / 1)));
  return new InferencePool({ pack, dataDir }, Math.min(size, cores), Math.max(1, Math.floor(cores / size)));
}
