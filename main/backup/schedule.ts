import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../engine/engine.js';
import { log } from '../log.js';
import { readConfig } from '../store/config.js';
import { createBackup } from './archive.js';

/** The `backup_schedule` setting: one backup a day from `hour` (local time), the newest `keep` kept. */
export interface BackupSchedule {
  enabled: boolean;
  /** Where the files go; null: DATA_DIR/backups (better: another disk). */
  folder: string | null;
  keep: number;
  hour: number;
}

const NAME = /^vigil-backup-(\d{4}-\d{2}-\d{2})\.vbak$/;

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
  engine: Engine,
  dataDir: string,
  now = new Date(),
): Promise<string | null> {
  const s = readConfig(engine.db, 'backup_schedule');
  if (!s.enabled || now.getHours() < s.hour) return null;
  const folder = backupFolder(dataDir, s);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const today = `vigil-backup-${day(now)}.vbak`;
  const existing = readdirSync(folder).filter((f) => NAME.test(f));
  let written: string | null = null;
  if (!existing.includes(today)) {
    const r = await createBackup(engine.db, dataDir, engine.masterKey, join(folder, today));
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
