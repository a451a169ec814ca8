import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../errors.js';
import { unlockDataFolder } from '../privacy/keys.js';
import { Store } from '../store/store.js';
import { createBackup } from './archive.js';

/**
 * A scheduled backup off the engine's thread: VACUUM INTO is one synchronous call that would stall
 * the cameras for as long as the copy takes on a large store. This thread opens its own read-only
 * connection (keys from the master key it was handed) and writes the file.
 */
export interface BackupJob {
  dataDir: string;
  masterKey: Uint8Array;
  recognizerId: string;
  embeddingDim: number;
  out: string;
}

const job = workerData as BackupJob;
const masterKey = Buffer.from(job.masterKey);
try {
  const { storeKey } = unlockDataFolder(job.dataDir, { masterKey });
  const store = Store.open(job.dataDir, {
    recognizerId: job.recognizerId,
    embeddingDim: job.embeddingDim,
    readonly: true,
    key: storeKey,
  });
  storeKey?.fill(0);
  createBackup(store, job.dataDir, masterKey, job.out).then(
    (r) => {
      store.close();
      masterKey.fill(0);
      parentPort!.postMessage({ ok: true, result: r });
    },
    (e: unknown) => {
      store.close();
      masterKey.fill(0);
      parentPort!.postMessage({ ok: false, error: describeError(e) });
    },
  );
} catch (e) {
  masterKey.fill(0);
  parentPort!.postMessage({ ok: false, error: describeError(e) });
}
