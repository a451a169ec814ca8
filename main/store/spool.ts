import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { log } from '../log.js';

/**
 * A node's local journal of store writes that could not be made yet (the shared store is away):
 * append-only, each record sealed with AES-256-GCM and flushed to the disk (fdatasync) before the
 * write is acknowledged, replayed in order when the store returns. Records can hold face vectors,
 * so nothing is ever written in clear.
 *
 * Layout, in the folder given (the data folder's `spool/`):
 *   journal  records, each [u32 LE length][12-byte IV][16-byte tag][ciphertext of {seq, r}]
 *   cursor   the sequence number of the last record known to be in the store (text, replaced atomically)
 * A record is removed only after the store committed it: the cursor moves past it, and the journal is
 * emptied once nothing is pending. A kill between the commit and the cursor's move replays that
 * record; its writer makes the replay a no-op (operation ids). A kill during an append leaves a torn
 * last record (shorter than its length field says), dropped on the next open: it was never
 * acknowledged, and every record before it is kept. A whole record that does not authenticate
 * (another key, damage) is never deleted: the journal is set aside beside the new one.
 */

/** 64 MiB: about 200 000 sightings or 4 000 new strangers (their face vectors are the bulk), hours of a busy site. */
export const DEFAULT_SPOOL_BYTES = 64 * 1024 * 1024;

/**
 * What a record is worth when the journal fills up. Old records are never evicted (each was
 * acknowledged: dropping one would lose a record the node promised to keep); new ones are refused
 * instead, the least valuable first, so the last of the room goes to what a guard needs afterwards:
 * - `extension` (an appearance's end moves on): refused past 75 % full; the sighting itself is kept;
 * - `sighting` (a member or a known stranger seen): refused past 90 %;
 * - `essential` (a new stranger, an alert): refused only when the journal is full.
 */
export type SpoolTier = 'extension' | 'sighting' | 'essential';
const TIER_SHARE: Record<SpoolTier, number> = { extension: 0.75, sighting: 0.9, essential: 1 };

const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 4;
/** A length above this is not a record but garbage (a torn or damaged length field). */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;
const AAD = Buffer.from('vigil spool record v1');

/** The spool's key, derived from the data folder's master key (never the master key itself). */
export function spoolKey(masterKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.from('vigil.spool'), Buffer.from('spool v1'), 32));
}

export interface SpoolEntry<T> {
  seq: number;
  record: T;
}

interface Held<T> extends SpoolEntry<T> {
  frame: Buffer;
}

export interface SpoolOptions {
  /** Bound of the journal file (DEFAULT_SPOOL_BYTES). */
  maxBytes?: number;
}

export class Spool<T> {
  private readonly journalPath: string;
  private readonly cursorPath: string;
  private readonly maxBytes: number;
  private readonly key: Buffer;
  private fd: number | null = null;
  /** Bytes in the journal file: pending records and committed ones not yet compacted away. */
  private fileBytes = 0;
  private readonly held: Held<T>[] = [];
  private cursor = 0;
  private nextSeq = 1;

  private constructor(
    private readonly dir: string,
    key: Uint8Array,
    opts: SpoolOptions,
  ) {
    if (key.length !== 32) throw new Error('the spool key must be 32 bytes');
    this.key = Buffer.from(key);
    this.maxBytes = opts.maxBytes ?? DEFAULT_SPOOL_BYTES;
    this.journalPath = join(dir, 'journal');
    this.cursorPath = join(dir, 'cursor');
  }

  /**
   * Reads what a previous run left (pending records, in order); creates nothing until the first
   * append, so a node whose store never went away has no spool on disk.
   */
  static open<T>(dir: string, key: Uint8Array, opts: SpoolOptions = {}): Spool<T> {
    const spool = new Spool<T>(dir, key, opts);
    spool.load();
    return spool;
  }

  private load(): void {
    if (existsSync(this.cursorPath)) {
      const n = Number(readFileSync(this.cursorPath, 'utf8').trim());
      // A damaged cursor replays everything, which is safe (replays are no-ops) if slower.
      this.cursor = Number.isSafeInteger(n) && n >= 0 ? n : 0;
    }
    this.nextSeq = this.cursor + 1;
    if (!existsSync(this.journalPath)) return;
    const data = readFileSync(this.journalPath);
    let at = 0;
    while (at < data.length) {
      const frame = this.frameAt(data, at);
      const entry = frame && this.open(frame);
      if (!entry) break;
      at += frame.length;
      this.nextSeq = Math.max(this.nextSeq, entry.seq + 1);
      if (entry.seq > this.cursor) this.held.push({ ...entry, frame });
    }
    this.fileBytes = at;
    if (at < data.length && this.completeFrameAt(data, at)) {
      // A whole record that does not open: not a torn append but another key or damage. Nothing
      // is thrown away: the journal is set aside as it was, and the records before the bad one go on.
      const aside = `${this.journalPath}.unreadable-${Date.now()}`;
      renameSync(this.journalPath, aside);
      log('error', 'spool_unreadable', { kept_as: aside, readable: this.held.length });
      this.fileBytes = 0;
      if (this.held.length > 0) this.compact();
      return;
    }
    if (at < data.length) {
      // The record being appended when the node died (never acknowledged), or damage from there on.
      log('warn', 'spool_torn_tail', { dropped_bytes: data.length - at, kept: this.held.length });
      const fd = openSync(this.journalPath, 'r+');
      try {
        ftruncateSync(fd, at);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  }

  private frameAt(data: Buffer, at: number): Buffer | null {
    if (at + HEADER_BYTES > data.length) return null;
    const n = data.readUInt32LE(at);
    if (n < IV_BYTES + TAG_BYTES || n > MAX_RECORD_BYTES || at + HEADER_BYTES + n > data.length) return null;
    return data.subarray(at, at + HEADER_BYTES + n);
  }

  /** Whether a whole frame (by its length field) starts at `at`. */
  private completeFrameAt(data: Buffer, at: number): boolean {
    if (at + HEADER_BYTES > data.length) return false;
    const n = data.readUInt32LE(at);
    return n >= IV_BYTES + TAG_BYTES && n <= MAX_RECORD_BYTES && at + HEADER_BYTES + n <= data.length;
  }

  private open(frame: Buffer): SpoolEntry<T> | null {
    const iv = frame.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
    const tag = frame.subarray(HEADER_BYTES + IV_BYTES, HEADER_BYTES + IV_BYTES + TAG_BYTES);
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, iv);
      d.setAAD(AAD);
      d.setAuthTag(tag);
      const plain = Buffer.concat([d.update(frame.subarray(HEADER_BYTES + IV_BYTES + TAG_BYTES)), d.final()]);
      const body = JSON.parse(plain.toString('utf8')) as { seq: number; r: T };
      return Number.isSafeInteger(body.seq) ? { seq: body.seq, record: body.r } : null;
    } catch {
      return null;
    }
  }

  private seal(seq: number, record: T): Buffer {
    const iv = randomBytes(IV_BYTES);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(AAD);
    const ct = Buffer.concat([c.update(JSON.stringify({ seq, r: record }), 'utf8'), c.final()]);
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32LE(IV_BYTES + TAG_BYTES + ct.length);
    return Buffer.concat([header, iv, c.getAuthTag(), ct]);
  }

  private journal(): number {
    if (this.fd === null) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      this.fd = openSync(this.journalPath, 'a', 0o600);
    }
    return this.fd;
  }

  /**
   * Appends one record and waits for the disk: once this returns the record survives a kill.
   * Returns its sequence number, or null when its tier no longer fits (nothing written).
   */
  append(record: T, tier: SpoolTier): number | null {
    const seq = this.nextSeq;
    const frame = this.seal(seq, record);
    if (this.fileBytes + frame.length > this.maxBytes * TIER_SHARE[tier]) {
      this.compact();
      if (this.fileBytes + frame.length > this.maxBytes * TIER_SHARE[tier]) return null;
    }
    const fd = this.journal();
    writeSync(fd, frame);
    fdatasyncSync(fd);
    this.nextSeq++;
    this.fileBytes += frame.length;
    this.held.push({ seq, record, frame });
    return seq;
  }

  /** Records not yet in the store, oldest first. */
  pending(): readonly SpoolEntry<T>[] {
    return this.held;
  }

  get size(): number {
    return this.held.length;
  }

  /** Bytes the journal takes on disk now. */
  get bytes(): number {
    return this.fileBytes;
  }

  /**
   * The store committed every record up to `seq` (the oldest pending ones): they leave the spool.
   * The cursor is on disk before this returns; with nothing left the journal is emptied.
   */
  commit(seq: number): void {
    let n = 0;
    while (n < this.held.length && this.held[n]!.seq <= seq) n++;
    if (n === 0) return;
    this.held.splice(0, n);
    this.cursor = seq;
    const tmp = `${this.cursorPath}.tmp`;
    writeFileSync(tmp, String(seq), { mode: 0o600 });
    const t = openSync(tmp, 'r');
    try {
      fsyncSync(t);
    } finally {
      closeSync(t);
    }
    renameSync(tmp, this.cursorPath);
    this.syncDir();
    if (this.held.length === 0 && this.fileBytes > 0) {
      const fd = this.journal();
      ftruncateSync(fd, 0);
      fsyncSync(fd);
      this.fileBytes = 0;
    }
  }

  /** Rewrites the journal with the pending records only (committed ones still take room). */
  private compact(): void {
    const live = this.held.reduce((n, h) => n + h.frame.length, 0);
    if (live === this.fileBytes) return;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.journalPath}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      for (const h of this.held) writeSync(fd, h.frame);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    renameSync(tmp, this.journalPath);
    this.syncDir();
    this.fileBytes = live;
  }

  private syncDir(): void {
    const d = openSync(this.dir, 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.key.fill(0);
  }
}
