/**
 * Worker-thread side of the inference pool: owns its own onnxruntime sessions, so detection and
 * embedding never run on the main event loop (onnxruntime-node's run() is synchronous).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RgbImage } from '../photo/image.js';
import { loadModels } from '../zoo/zoo.js';
import type { Box } from '../detect/types.js';
import { setThreadsPerSession } from '../runtime/session.js';
import { InProcessAnalyzer } from './analyzer.js';

export interface WorkerInit {
  pack: string;
  dataDir: string;
  threads: number;
}

export type WorkerRequest =
  | {
      id: number;
      op: 'locate';
      image: RgbImage;
      retry: boolean;
      tiles: boolean;
      minFaceSize: number;
      regions?: Box[];
    }
  | { id: number; op: 'embed'; crops: RgbImage[] }
  | { id: number; op: 'close' };

/** Sent once after start: the models loaded, or why not (the pool then replaces this worker). */
export type WorkerStatus = { status: 'ready' } | { status: 'load_failed'; error: string };

export type WorkerResponse =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string; code?: string };

const init = workerData as WorkerInit;
setThreadsPerSession(init.threads);
const models = loadModels({ pack: init.pack }, init.dataDir);
const ready = models.then((m) => new InProcessAnalyzer(m));
ready.then(
  () => parentPort!.postMessage({ status: 'ready' } satisfies WorkerStatus),
  (e: unknown) =>
    parentPort!.postMessage({
      status: 'load_failed',
      error: e instanceof Error ? e.message : String(e),
    } satisfies WorkerStatus),
);

/** Runs in progress: sessions are released only when none is (see close). */
let inFlight = 0;

parentPort!.on('message', (req: WorkerRequest) => {
  void (async () => {
    if (req.op !== 'close') inFlight++;
    try {
      const analyzer = await ready;
      if (req.op === 'close') {
        // The pool may ask a worker it gave up on (a hung one) to close while a run goes on.
        while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
        // Release the native sessions here, between runs: terminating a thread while onnxruntime
        // is inside a run aborts the whole process.
        await (await models).release();
        parentPort!.postMessage({ id: req.id, ok: true, result: null } satisfies WorkerResponse);
        parentPort!.close();
        return;
      }
      if (req.op === 'locate') {
        const faces = await analyzer.locate(req.image, {
          retry: req.retry,
          tiles: req.tiles,
          minFaceSize: req.minFaceSize,
          ...(req.regions ? { regions: req.regions } : {}),
        });
        // The frame came in by transfer; hand it back the same way with the results.
        parentPort!.postMessage(
          { id: req.id, ok: true, result: { faces, image: req.image } } satisfies WorkerResponse,
          [req.image.data.buffer as ArrayBuffer, ...faces.map((f) => f.aligned.data.buffer as ArrayBuffer)],
        );
      } else {
        const vectors = await analyzer.embed(req.crops);
        parentPort!.postMessage(
          { id: req.id, ok: true, result: vectors } satisfies WorkerResponse,
          vectors.map((v) => v.buffer as ArrayBuffer),
        );
      }
    } catch (e) {
      const err = e as Error & { code?: string };
      parentPort!.postMessage({
        id: req.id,
        ok: false,
        error: err.message,
        code: err.code,
      } satisfies WorkerResponse);
    } finally {
      if (req.op !== 'close') inFlight--;
    }
  })();
});
