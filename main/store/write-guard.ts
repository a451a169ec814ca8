import { EventEmitter } from 'node:events';
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { sqliteOf, type SqlPort } from './sql-port.js';
import { VigilError } from '../errors.js';
import { log } from '../log.js';

/** What a person sees when recording stops, and when it starts again. */
export const DISK_FULL_MESSAGE = 'Vigil stopped recording: the disk holding the data folder is full.';

/** Less free space than this after an I/O error means the error was the disk filling up. */
const NEARLY_FULL_BYTES = 4 * 1024 * 1024;
/**
 * The probe writes this much: a write that fits in a page's slack can succeed on a full disk,
 * so space counts as back only when a write that needs new pages succeeds.
 */
const PROBE_BYTES = 1024 * 1024;

/**
 * True when a store write failed because the disk (or, in tests, `PRAGMA max_page_count`) is
 * full: SQLITE_FULL, or an SQLITE_IOERR_* (a failed fsync or truncate) while almost no space
 * is left on the data folder's file system.
 */
export function isDiskFull(e: unknown, dataDir?: string): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_FULL') return true;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_IOERR') || !dataDir) return false;
  try {
    const s = statfsSync(dataDir);
    return s.bavail * s.bsize < NEARLY_FULL_BYTES;
  } catch {
    return false;
  }
}

/** The sentence for a person whose action could not be saved (API, CLI). */
export function diskFullError(cause?: unknown): VigilError {
  return new VigilError(
    'DISK_FULL',
    'The disk holding the data folder is full, so nothing was saved; free some space and try again.',
    { cause },
  );
}

export interface DiskFullNotice {
  /** The kind of write that found the disk full. */
  kind: string;
  at: string;
  message: string;
}

export interface ResumedNotice {
  at: string;
  /** Writes dropped while the disk was full, by kind. */
  dropped: Record<string, number>;
  message: string;
}

export interface WriteGuardStats {
  disk_full: boolean;
  since: string | null;
  /** Writes dropped since the guard was created, by kind (appearance, unknown, alert, crop…). */
  dropped: Record<string, number>;
}

/**
 * The live pipeline's writes pass through here. When one fails because the disk is full, the
 * guard stops writing (later writes are dropped and counted, not attempted), logs once, tells
 * its listeners, and probes every `retryMs` with a write that needs new pages; when a probe
 * succeeds it resumes. Recognition keeps running meanwhile: only recording stops.
 */
export class WriteGuard extends EventEmitter<{ full: [DiskFullNotice]; resumed: [ResumedNotice] }> {
  private fullSince: string | null = null;
  private readonly dropped: Record<string, number> = {};
  private droppedThisEpisode: Record<string, number> = {};
  private timer: NodeJS.Timeout | undefined;
  private readonly dataDir: string | undefined;

  constructor(
    private readonly db: SqlPort,
    /** How often a full disk is probed for space (10 s by default). */
    public retryMs = 10_000,
  ) {
    super();
    const file = sqliteOf(db);
    // The shared store's disk is the server's: its errors are never SQLite's disk-full codes.
    this.dataDir = !file || file.memory ? undefined : dirname(file.name);
  }

  get writing(): boolean {
    return this.fullSince === null;
  }

  stats(): WriteGuardStats {
    return { disk_full: !this.writing, since: this.fullSince, dropped: { ...this.dropped } };
  }

  /**
   * Runs one synchronous write (its own transaction). Returns its result, or undefined when it
   * was dropped because the disk is full. Any other error is the caller's.
   */
  write<T>(kind: string, fn: () => T): T | undefined {
    if (!this.writing) {
      this.count(kind);
      return undefined;
    }
    try {
      return fn();
    } catch (e) {
      if (!this.absorb(kind, e)) throw e;
      return undefined;
    }
  }

  /**
   * For writes that cannot run inside write() (asynchronous ones): true when `e` was the disk
   * filling up, which is then handled (counted, recording stopped); false for any other error.
   */
  absorb(kind: string, e: unknown): boolean {
    if (!isDiskFull(e, this.dataDir)) return false;
    this.count(kind);
    if (this.writing) this.stop(kind);
    return true;
  }

  private count(kind: string): void {
    this.dropped[kind] = (this.dropped[kind] ?? 0) + 1;
    this.droppedThisEpisode[kind] = (this.droppedThisEpisode[kind] ?? 0) + 1;
  }

  private stop(kind: string): void {
    const at = new Date().toISOString();
    this.fullSince = at;
    log('error', 'disk_full', { kind, retry_ms: this.retryMs });
    this.emit('full', { kind, at, message: DISK_FULL_MESSAGE });
    this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (!this.db.open) return;
      if (this.probe()) this.resume();
      else this.schedule();
    }, this.retryMs);
    // A stopped engine should not be kept alive by its probe.
    this.timer.unref();
  }

  /** One write that needs about 1 MiB of new pages, removed again; true when it succeeded. */
  probe(): boolean {
    try {
      this.db
        .prepare(
          "INSERT OR REPLACE INTO system_config (key, value) VALUES ('probe.write', printf('%.*c', ?, 'x'))",
        )
        .run(PROBE_BYTES);
    } catch (e) {
      if (isDiskFull(e, this.dataDir)) return false;
      log('warn', 'disk_probe_failed', { error: (e as Error).message });
      return false;
    }
    try {
      this.db.prepare("DELETE FROM system_config WHERE key = 'probe.write'").run();
    } catch {
      // Left for the next probe to replace; it is never read.
    }
    return true;
  }

  private resume(): void {
    const dropped = this.droppedThisEpisode;
    this.droppedThisEpisode = {};
    this.fullSince = null;
    const total = Object.values(dropped).reduce((a, b) => a + b, 0);
    log('warn', 'disk_space_returned', { dropped: total });
    this.emit('resumed', {
      at: new Date().toISOString(),
      dropped,
      message: `Vigil is recording again: space returned on the data folder's disk (${total} ${total === 1 ? 'write was' : 'writes were'} not recorded meanwhile).`,
    });
  }

  /** Stops probing (the store is closing). */
  close(): void {
    clearTimeout(this.timer);
  }
}

const guards = new WeakMap<SqlPort, WriteGuard>();

/** The one guard of a store connection, shared by every writer of the live pipeline. */
export function writeGuard(db: SqlPort): WriteGuard {
  let g = guards.get(db);
  if (!g) {
    g = new WriteGuard(db);
    guards.set(db, g);
  }
  return g;
}
