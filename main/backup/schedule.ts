import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelEntry } from '../catalogue/manifest.js';
import type { Store } from '../store/store.js';
import { log } from '../log.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { VigilError } from '../errors.js';
import { packageRoot } from '../paths.js';
import type { BackupResult } from './archive.js';
import type { BackupJob } from './backup-worker.js';

/** The `backup_schedule` setting: one backup a day from `hour` (local time), the newest `keep` kept. */
export interface BackupSchedule {
  enabled: boolean;
  /** Where the files go; null: DATA_DIR/backups (better: another disk). */
  folder: string | null;
  keep: number;
  hour: number;
}

/**
 * What a backup needs of the running engine: a lent copy of the master key and the recognizer the
 * store's templates belong to (structural, so backup/ stays below engine/ in the layers).
 */
export interface BackupSource {
  readonly recognizer: Pick<ModelEntry, 'id' | 'output'>;
  readonly store: Store;
  lendMasterKey<T>(fn: (key: Uint8Array) => T): T;
}

const NAME = /^vigil-backup-(\d{4}-\d{2}-\d{2})\.vbak$/;

function workerScript(): string {
  const here = fileURLToPath(import.meta.url);
  // Under the test runner this module is TypeScript; the worker must be the built JavaScript.
  const js = here.endsWith('.ts')
    ? join(packageRoot(), 'dist', 'main', 'backup', 'backup-worker.js')
    : here.replace(/schedule\.js$/, 'backup-worker.js');
  if (!existsSync(js)) throw new Error(`backup worker not built: ${js} (run npm run build)`);
  return js;
}

/** createBackup on a thread of its own with its own read-only connection (see backup-worker.ts). */
export function backupInWorker(engine: BackupSource, dataDir: string, out: string): Promise<BackupResult> {
  return new Promise((resolve, reject) => {
    // workerData is copied when the thread is made: the lent key is zeroed right after.
    const w = engine.lendMasterKey((masterKey) => {
      const job: BackupJob = {
        dataDir,
        masterKey,
        recognizerId: engine.recognizer.id,
        embeddingDim: Number(engine.recognizer.output.size),
        out,
      };
      return new Worker(workerScript(), { workerData: job });
    });
    w.once('message', (m: { ok: true; result: BackupResult } | { ok: false; error: string }) =>
      m.ok ? resolve(m.result) : reject(new VigilError('DATA_DIR', m.error)),
    );
    w.once('error', (e) => reject(new VigilError('DATA_DIR', `The backup thread failed: ${e.message}`)));
    w.once('exit', (code) => {
      if (code !== 0) reject(new VigilError('DATA_DIR', `The backup thread stopped (exit ${code}).`));
    });
  });
}

function day(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function backupFolder(dataDir: string, s: BackupSchedule): string {
  return s.folder ?? join(dataDir, 'backups');
}

/**
 * Makes today's backup when it is due and missing, then deletes the oldest beyond `keep`. Only
 * files named like its own are ever deleted. Returns the file written, or null when none was due.
 */
export async function runScheduledBackup(
  engine: BackupSource,
  dataDir: string,
  now = new Date(),
): Promise<string | null> {
  const s = engine.store.settings.read('backup_schedule');
  if (!s.enabled || now.getHours() < s.hour) return null;
  const folder = backupFolder(dataDir, s);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const today = `vigil-backup-${day(now)}.vbak`;
  const existing = readdirSync(folder).filter((f) => NAME.test(f));
  let written: string | null = null;
  if (!existing.includes(today)) {
    const r = await backupInWorker(engine, dataDir, join(folder, today));
    log('info', 'backup_written', { file: r.file, bytes: r.bytes });
    existing.push(today);
    written = r.file;
  }
  for (const old of existing.sort().reverse().slice(s.keep)) {
    rmSync(join(folder, old), { force: true });
    log('info', 'backup_pruned', { file: join(folder, old) });
  }
  return written;
}
