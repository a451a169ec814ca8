import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';

export interface AuditEntry {
  actor: string;
  action: string;
  subject?: string | null;
  /** Never biometric data, never names of people: ids and counts only. */
  details?: Record<string, string | number | boolean | null>;
}

const GENESIS = '0'.repeat(64);

function rowHash(
  prev: string,
  at: string,
  e: Required<Pick<AuditEntry, 'actor' | 'action'>> & { subject: string | null; details: string },
): string {
  return createHash('sha256')
    .update(JSON.stringify([prev, at, e.actor, e.action, e.subject, e.details]))
    .digest('hex');
}

/** Appends one audit row chained to the previous one; call inside the transaction it records. */
export function appendAudit(db: Database.Database, entry: AuditEntry, at = new Date().toISOString()): void {
  const last = db.prepare('SELECT hash FROM audit_log ORDER BY audit_id DESC LIMIT 1').get() as
    { hash: string } | undefined;
  const prev = last?.hash ?? GENESIS;
  const details = JSON.stringify(entry.details ?? {});
  const subject = entry.subject ?? null;
  const hash = rowHash(prev, at, { actor: entry.actor, action: entry.action, subject, details });
  db.prepare(
    'INSERT INTO audit_log (at, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(at, entry.actor, entry.action, subject, details, prev, hash);
}

/** The id of the first row whose content or link does not check out, or null when intact. */
export function verifyAudit(db: Database.Database): { ok: boolean; rows: number; firstBad: number | null } {
  let prev = GENESIS;
  let rows = 0;
  for (const r of db.prepare('SELECT * FROM audit_log ORDER BY audit_id').iterate() as Iterable<{
    audit_id: number;
    at: string;
    actor: string;
    action: string;
    subject: string | null;
    details: string;
    prev_hash: string;
    hash: string;
  }>) {
    rows++;
    const expected = rowHash(prev, r.at, r);
    if (r.prev_hash !== prev || r.hash !== expected) return { ok: false, rows, firstBad: r.audit_id };
    prev = r.hash;
  }
  return { ok: true, rows, firstBad: null };
}
