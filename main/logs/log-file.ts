import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setLogSink, type LogLevel } from '../log.js';

export const LOG_FILE = 'vigil.log';
/** 5 MiB a file, the current one and 3 rotated: at most 20 MiB of logs in the data folder. */
export const LOG_MAX_BYTES = 5 * 1024 * 1024;
export const LOG_KEEP = 3;

/**
 * Size-capped rotation: vigil.log → vigil.log.1 → … → vigil.log.N, the oldest deleted. Appends
 * are synchronous so a line is on disk before a crash that follows it; at info level that is a
 * few lines a minute.
 */
export class RotatingLogFile {
  private size: number;
  constructor(
    private readonly path: string,
    private readonly maxBytes = LOG_MAX_BYTES,
    private readonly keep = LOG_KEEP,
  ) {
    this.size = existsSync(path) ? statSync(path).size : 0;
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    try {
      if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      appendFileSync(this.path, line, { mode: 0o600 });
      this.size += bytes;
    } catch {
      // A full or read-only disk must not take the engine down with its log; stderr still has it.
    }
  }

  private rotate(): void {
    rmSync(`${this.path}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--)
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    renameSync(this.path, `${this.path}.1`);
    this.size = 0;
  }
}

/** From now on this process also logs (info and above) to DATA_DIR/vigil.log. */
export function attachLogFile(dataDir: string, level: LogLevel = 'info'): RotatingLogFile {
  const file = new RotatingLogFile(join(dataDir, LOG_FILE));
  setLogSink({ level, write: (line) => file.write(line) });
  return file;
}

export interface LogEntry {
  t: string;
  level: 'warn' | 'error';
  event: string;
  fields: Record<string, string | number | boolean | null>;
}

/** The newest warnings and errors of the data folder's log files, newest first. */
export function recentProblems(dataDir: string, limit = 50): LogEntry[] {
  const out: LogEntry[] = [];
  const base = join(dataDir, LOG_FILE);
  for (const path of [base, ...Array.from({ length: LOG_KEEP }, (_, i) => `${base}.${i + 1}`)]) {
    if (out.length >= limit) break;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    const lines = text.split('\n');
    for (let i = lines.length - 1; i >= 0 && out.length < limit; i--) {
      let row: unknown;
      try {
        row = JSON.parse(lines[i]!);
      } catch {
        continue; // an empty last line, or one cut short by a crash
      }
      if (!row || typeof row !== 'object') continue;
      const { t, level, event, ...rest } = row as Record<string, unknown>;
      if ((level !== 'warn' && level !== 'error') || typeof t !== 'string' || typeof event !== 'string')
        continue;
      const fields: LogEntry['fields'] = {};
      for (const [k, v] of Object.entries(rest))
        if (v === null || ['string', 'number', 'boolean'].includes(typeof v))
          fields[k] = v as string | number | boolean | null;
      out.push({ t, level, event, fields });
    }
  }
  return out;
}
