import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { STORE_WRITE_LOCK, TAKE_WRITE_LOCK } from './postgres/locks.js';
import { dialectOf, sqliteOf, type SqlPort } from './sql-port.js';
import { log } from '../log.js';
import type { AuditFilter, AuditRepository, AuditRecord } from './repositories.js';

export interface AuditEntry {
  actor: string;
  action: string;
  subject?: string | null;
  /** Never biometric data, never names of people: ids and counts only. */
  details?: Record<string, string | number | boolean | null>;
}

/**
 * The audit log is a hash chain. Since the audit key exists, each row's hash is an HMAC under it
 * (`k1:` + hex), so someone holding only the database (even its SQLCipher key) cannot rewrite a
 * row and re-chain the rest. The head of the chain (last id, hash, row count, under the same
 * HMAC) is written to an anchor file beside the database after each append, so removing rows from
 * the end shows too. Rows from before the key (unkeyed SHA-256) are accepted only up to the id
 * recorded when the key was made.
 */

/**
 * Who is behind the request being handled (client address, user agent), added to every audit row
 * written while it runs, so rows carry them without each handler passing them along.
 */
export const auditRequest = new AsyncLocalStorage<Record<string, string>>();

const GENESIS = '0'.repeat(64);
const KEYED = 'k1:';
export const AUDIT_ANCHOR_FILE = 'audit-anchor.json';

export interface AuditKey {
  key: Buffer;
  /** Rows up to this id may be unkeyed (written before the key existed). */
  legacyUntil: number;
  /** Where the chain's head is kept; null for an in-memory store. */
  anchor: AnchorSink | null;
}

/** Where an audit log keeps the head of its chain. */
export interface AnchorSink {
  read(): AuditAnchor | 'missing' | 'damaged';
  write(anchor: AuditAnchor): void;
  /**
   * Written in the appending transaction itself (a row of the same store), rather than once it is
   * over (a file, which a rolled-back row must not reach).
   */
  readonly transactional: boolean;
  /** What and where it is, in words, for a failed verification. */
  readonly words: { what: string; where: string };
}

/** The embedded store's anchor: a file beside the database, replaced whole. */
export function fileAnchor(file: string): AnchorSink {
  return {
    transactional: false,
    words: { what: 'the anchor file', where: 'the anchor file beside the database' },
    read: () => readAnchor(file),
    write: (anchor) => {
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(anchor) + '\n', { mode: 0o600 });
      renameSync(tmp, file);
    },
  };
}

/** The shared store's anchor: the single row of audit_anchor, next to the rows it vouches for. */
export function tableAnchor(db: SqlPort): AnchorSink {
  return {
    transactional: true,
    words: { what: "the shared store's audit anchor", where: "the shared store's audit anchor" },
    read: () => {
      const r = db.prepare('SELECT last_id, hash, count, at, mac FROM audit_anchor WHERE id = 1').get() as
        Omit<Anchor, 'version'> | undefined;
      if (!r) return 'missing';
      const a: Anchor = { version: 1, ...r };
      return Number.isSafeInteger(a.last_id) && Number.isSafeInteger(a.count) ? a : 'damaged';
    },
    write: (a) => {
      db.prepare(
        `INSERT INTO audit_anchor (id, last_id, hash, count, at, mac) VALUES (1, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, hash = excluded.hash, count = excluded.count,
           at = excluded.at, mac = excluded.mac`,
      ).run(a.last_id, a.hash, a.count, a.at, a.mac);
    },
  };
}

interface State extends AuditKey {
  pending: boolean;
  /** Told each new head, to keep a copy outside this machine (syslog, a webhook). */
  forward?: (anchor: AuditAnchor) => void;
}

const keys = new WeakMap<SqlPort, State>();

/** From now on rows of this store are keyed and its head is anchored in `anchor`. */
export function useAuditKey(db: SqlPort, k: AuditKey): void {
  keys.set(db, { ...k, pending: false });
}

/** Also hands every new head to `forward` (null stops it); needs the store's audit key. */
export function forwardAuditAnchor(db: SqlPort, forward: ((a: AuditAnchor) => void) | null): void {
  const k = keys.get(db);
  if (!k) return;
  if (forward) k.forward = forward;
  else delete k.forward;
}

type Row = Required<Pick<AuditEntry, 'actor' | 'action'>> & { subject: string | null; details: string };

function payload(prev: string, at: string, e: Row): string {
  return JSON.stringify([prev, at, e.actor, e.action, e.subject, e.details]);
}

function legacyHash(prev: string, at: string, e: Row): string {
  return createHash('sha256')
    .update(payload(prev, at, e))
    .digest('hex');
}

function keyedHash(key: Buffer, prev: string, at: string, e: Row): string {
  return (
    KEYED +
    createHmac('sha256', key)
      .update(payload(prev, at, e))
      .digest('hex')
  );
}

export type AuditAnchor = Anchor;

interface Anchor {
  version: 1;
  last_id: number;
  hash: string;
  count: number;
  at: string;
  mac: string;
}

function anchorMac(key: Buffer, a: Omit<Anchor, 'mac'>): string {
  return createHmac('sha256', key)
    .update(JSON.stringify(['vigil-audit-anchor-v1', a.last_id, a.hash, a.count, a.at]))
    .digest('hex');
}

/** Writes the chain's current head to the anchor (whole or not at all). */
export function writeAuditAnchor(db: SqlPort): void {
  const k = keys.get(db);
  if (!k) return;
  k.pending = false;
  if (!k.anchor || !db.open) return;
  const head = db.prepare('SELECT audit_id, hash FROM audit_log ORDER BY audit_id DESC LIMIT 1').get() as
    { audit_id: number; hash: string } | undefined;
  const count = db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get() as number;
  const body = {
    version: 1 as const,
    last_id: head?.audit_id ?? 0,
    hash: head?.hash ?? GENESIS,
    count,
    at: new Date().toISOString(),
  };
  const anchor: Anchor = { ...body, mac: anchorMac(k.key, body) };
  try {
    k.anchor.write(anchor);
  } catch (e) {
    // In the appending transaction, a failed anchor fails the append: rows are never unanchored.
    if (k.anchor.transactional) throw e;
    log('error', 'audit_anchor_write_failed', { error: (e as Error).message });
  }
  try {
    k.forward?.(anchor);
  } catch (e) {
    log('warn', 'audit_anchor_forward_failed', { error: (e as Error).message });
  }
}

/**
 * After an append the anchor is written once the surrounding transaction is over (a rolled-back
 * row must not be anchored): at once outside a transaction, else on the next turn of the loop.
 */
function scheduleAnchor(db: SqlPort): void {
  const k = keys.get(db);
  if (!k?.anchor) return;
  if (!db.inTransaction || k.anchor.transactional) return writeAuditAnchor(db);
  if (k.pending) return;
  k.pending = true;
  setImmediate(() => {
    if (keys.get(db)?.pending) writeAuditAnchor(db);
  });
}

/** Writes a pending anchor now (before the store closes). */
export function flushAuditAnchor(db: SqlPort): void {
  if (keys.get(db)?.pending) writeAuditAnchor(db);
}

/** Appends one audit row chained to the previous one; call inside the transaction it records. */
export function appendAudit(db: SqlPort, entry: AuditEntry, at = new Date().toISOString()): void {
  if (dialectOf(db) === 'postgres' && !db.inTransaction) {
    db.transaction(() => appendAudit(db, entry, at))();
    return;
  }
  // On the shared store nodes append to one chain: the link to the last row is read under the
  // store's write lock, held to the end of the transaction, so two nodes never fork it.
  if (dialectOf(db) === 'postgres') db.prepare(TAKE_WRITE_LOCK).get(STORE_WRITE_LOCK);
  const last = db.prepare('SELECT hash FROM audit_log ORDER BY audit_id DESC LIMIT 1').get() as
    { hash: string } | undefined;
  const prev = last?.hash ?? GENESIS;
  const details = JSON.stringify({ ...auditRequest.getStore(), ...entry.details });
  const subject = entry.subject ?? null;
  const row = { actor: entry.actor, action: entry.action, subject, details };
  const k = keys.get(db);
  const hash = k ? keyedHash(k.key, prev, at, row) : legacyHash(prev, at, row);
  db.prepare(
    'INSERT INTO audit_log (at, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(at, entry.actor, entry.action, subject, details, prev, hash);
  scheduleAnchor(db);
}

export interface AuditVerification {
  ok: boolean;
  rows: number;
  /** The first row whose content or link does not check out (or the anchored row, when missing). */
  firstBad: number | null;
  /** Why it failed, as a sentence; absent when intact. */
  problem?: string;
  /** The anchor's verdict, when the store has an audit key. */
  anchor?: 'ok' | 'missing' | 'mismatch' | 'forged' | 'none';
}

function readAnchor(file: string): Anchor | 'missing' | 'damaged' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 'missing';
  }
  try {
    const a = JSON.parse(text) as Anchor;
    if (
      a?.version !== 1 ||
      !Number.isSafeInteger(a.last_id) ||
      !Number.isSafeInteger(a.count) ||
      typeof a.hash !== 'string' ||
      typeof a.at !== 'string' ||
      typeof a.mac !== 'string'
    )
      return 'damaged';
    return a;
  } catch {
    return 'damaged';
  }
}

function macEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** One audit_log row as stored (either store). */
export interface AuditRow {
  audit_id: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

/** The audit key of an open store, if it has one (a copy of the store is checked with it). */
export function auditKeyOf(db: SqlPort): Pick<AuditKey, 'key' | 'legacyUntil'> | undefined {
  const k = keys.get(db);
  return k ? { key: k.key, legacyUntil: k.legacyUntil } : undefined;
}

/** The anchor file's content; 'missing' or 'damaged' when it cannot be used. */
export function readAuditAnchor(file: string): AuditAnchor | 'missing' | 'damaged' {
  return readAnchor(file);
}

/**
 * Checks every row's hash and link, then (with the audit key) the anchor: its row must still be
 * there with the same hash and as many rows up to it, or rows were removed from the end. Without
 * the key (doctor's read-only look) keyed rows are checked for their links only.
 */
export function verifyAudit(db: SqlPort): AuditVerification {
  const k = keys.get(db);
  flushAuditAnchor(db);
  const rows = db.prepare('SELECT * FROM audit_log ORDER BY audit_id').iterate() as Iterable<AuditRow>;
  return verifyAuditChain(rows, k, k?.anchor ? k.anchor.read() : null, k?.anchor?.words);
}

/**
 * The pure check behind verifyAudit, for rows from any store: `rows` in audit_id order, `k` the
 * audit key (absent: links only), `anchor` the recorded head (null: none kept, nothing to compare).
 */
export function verifyAuditChain(
  source: Iterable<AuditRow>,
  k: Pick<AuditKey, 'key' | 'legacyUntil'> | undefined,
  anchor: AuditAnchor | 'missing' | 'damaged' | null,
  words = { what: 'the anchor file', where: 'the anchor file beside the database' },
): AuditVerification {
  let prev = GENESIS;
  let rows = 0;
  let keyedSeen = false;
  const bad = (id: number, problem: string): AuditVerification => ({
    ok: false,
    rows,
    firstBad: id,
    problem,
  });
  const counted = new Map<number, { hash: string; upTo: number }>();
  for (const r of source) {
    rows++;
    if (r.prev_hash !== prev) return bad(r.audit_id, 'a row before it was removed or changed');
    const keyed = r.hash.startsWith(KEYED);
    if (keyed) {
      keyedSeen = true;
      if (k && !macEqual(r.hash, keyedHash(k.key, prev, r.at, r))) return bad(r.audit_id, 'it was changed');
    } else {
      if (keyedSeen || (k && r.audit_id > k.legacyUntil))
        return bad(r.audit_id, 'it was re-hashed without the audit key');
      if (r.hash !== legacyHash(prev, r.at, r)) return bad(r.audit_id, 'it was changed');
    }
    counted.set(r.audit_id, { hash: r.hash, upTo: rows });
    prev = r.hash;
  }
  if (!k || anchor === null) return { ok: true, rows, firstBad: null };
  const a = anchor;
  if (a === 'missing') {
    // A folder whose log is still empty, or older than the key, has nothing anchored yet.
    if (!keyedSeen) return { ok: true, rows, firstBad: null, anchor: 'none' };
    return { ...bad(0, `${words.where} is missing`), anchor: 'missing' };
  }
  if (a === 'damaged' || !macEqual(a.mac, anchorMac(k.key, a)))
    return { ...bad(0, `${words.what} was altered`), anchor: 'forged' };
  if (a.last_id === 0 && a.count === 0) return { ok: true, rows, firstBad: null, anchor: 'ok' };
  const at = counted.get(a.last_id);
  // Rows written after the anchor (a crash before it was updated) are fine; fewer are not.
  if (!at || at.hash !== a.hash || at.upTo !== a.count)
    return {
      ...bad(a.last_id, `rows were removed: the anchor records ${a.count} rows up to row ${a.last_id}`),
      anchor: 'mismatch',
    };
  return { ok: true, rows, firstBad: null, anchor: 'ok' };
}

/** The audit log of one SQLite store. */
export class SqliteAuditLog implements AuditRepository {
  constructor(private readonly db: SqlPort) {}

  append(entry: AuditEntry, at?: string): void {
    appendAudit(this.db, entry, at);
  }

  verify(): AuditVerification {
    return verifyAudit(this.db);
  }

  list(filter: AuditFilter): AuditRecord[] {
    const where: string[] = [];
    const args: string[] = [];
    for (const [col, v] of [
      ['actor', filter.actor],
      ['action', filter.action],
      ['subject', filter.subject],
    ] as const) {
      if (v) {
        where.push(`${col} LIKE ? ESCAPE '\\'`);
        args.push(`%${v.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      }
    }
    if (filter.from) {
      where.push('at >= ?');
      args.push(filter.from);
    }
    if (filter.to) {
      where.push('at <= ?');
      args.push(filter.to);
    }
    return this.db
      .prepare(
        `SELECT audit_id, at, actor, action, subject, details FROM audit_log
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY audit_id DESC LIMIT ?`,
      )
      .all(...args, filter.limit) as AuditRecord[];
  }

  about(subjects: readonly string[]): Omit<AuditRecord, 'subject'>[] {
    return this.db
      .prepare(
        'SELECT audit_id, at, actor, action, details FROM audit_log WHERE subject IN (SELECT value FROM json_each(?)) ORDER BY audit_id',
      )
      .all(JSON.stringify(subjects)) as Omit<AuditRecord, 'subject'>[];
  }

  latest(subject: string, actions: readonly string[]): { at: string; actor: string } | undefined {
    return this.db
      .prepare(
        `SELECT at, actor FROM audit_log WHERE subject = ? AND action IN (${actions.map(() => '?').join(', ')}) ORDER BY audit_id DESC LIMIT 1`,
      )
      .get(subject, ...actions) as { at: string; actor: string } | undefined;
  }

  withAction(action: string): { at: string; actor: string; subject: string; details: string }[] {
    return this.db
      .prepare('SELECT at, actor, subject, details FROM audit_log WHERE action = ?')
      .all(action) as { at: string; actor: string; subject: string; details: string }[];
  }

  lastId(): number {
    return (this.db.prepare('SELECT MAX(audit_id) FROM audit_log').pluck().get() as number | null) ?? 0;
  }

  useKey(key: Buffer, legacyUntil: number): void {
    const file = sqliteOf(this.db);
    const anchor = !file
      ? tableAnchor(this.db)
      : file.memory
        ? null
        : fileAnchor(join(dirname(file.name), AUDIT_ANCHOR_FILE));
    useAuditKey(this.db, { key, legacyUntil, anchor });
  }

  forwardAnchor(forward: ((anchor: AuditAnchor) => void) | null): void {
    forwardAuditAnchor(this.db, forward);
  }

  flushAnchor(): void {
    flushAuditAnchor(this.db);
  }
}
