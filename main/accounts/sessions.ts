import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { SessionUser } from '../contract/contract.js';
import { ROLE_PERMISSIONS, type Role } from '../contract/roles.js';

/**
 * Login sessions. The token is 32 random bytes handed to the console once; the store keeps only
 * its SHA-256, so a copied data folder (or a backup) yields no live session. Sessions expire after
 * a fixed 12 hours, one working shift, whatever the activity.
 */

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface NewSession {
  /** Give to the console; never stored, never logged. */
  token: string;
  expires_at: string;
}

const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export function sessionUser(username: string, role: Role): SessionUser {
  return { username, role, permissions: [...ROLE_PERMISSIONS[role]] };
}

export function createSession(db: Database.Database, username: string, now: number = Date.now()): NewSession {
  const token = randomBytes(32).toString('base64url');
  const expires_at = new Date(now + SESSION_TTL_MS).toISOString();
  db.prepare('INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES (?, ?, ?, ?)').run(
    hashToken(token),
    username,
    new Date(now).toISOString(),
    expires_at,
  );
  return { token, expires_at };
}

/** Who holds this token, or null when it is unknown, revoked or expired (an expired one is deleted). */
export function resolveSession(
  db: Database.Database,
  token: string | null | undefined,
  now: number = Date.now(),
): SessionUser | null {
  // 32 bytes in base64url are 43 characters; anything else cannot be ours.
  if (typeof token !== 'string' || token.length !== 43) return null;
  const hash = hashToken(token);
  const row = db
    .prepare(
      `SELECT s.expires_at, u.username, u.role FROM sessions s
       JOIN users u ON u.username = s.username WHERE s.token_hash = ?`,
    )
    .get(hash) as { expires_at: string; username: string; role: Role } | undefined;
  if (!row) return null;
  if (Date.parse(row.expires_at) <= now) {
    db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(hash);
    return null;
  }
  return sessionUser(row.username, row.role);
}

/** Ends one session (logout); true when it existed. */
export function revokeSession(db: Database.Database, token: string): boolean {
  return db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(hashToken(token)).changes > 0;
}

/** Ends every session of a user (password changed, account removed), except optionally the caller's own. */
export function revokeUserSessions(
  db: Database.Database,
  username: string,
  exceptToken?: string | null,
): number {
  if (exceptToken)
    return db
      .prepare('DELETE FROM sessions WHERE username = ? AND token_hash != ?')
      .run(username, hashToken(exceptToken)).changes;
  return db.prepare('DELETE FROM sessions WHERE username = ?').run(username).changes;
}

/** Deletes expired sessions; returns how many. */
export function purgeExpiredSessions(db: Database.Database, now: number = Date.now()): number {
  return db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(new Date(now).toISOString()).changes;
}
