import { createHash, randomBytes } from 'node:crypto';
import type { SessionUser } from '../contract/contract.js';
import { ROLE_PERMISSIONS, type Role } from '../contract/roles.js';
import type { Store } from '../store/store.js';

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

export function createSession(store: Store, username: string, now: number = Date.now()): NewSession {
  const token = randomBytes(32).toString('base64url');
  const expires_at = new Date(now + SESSION_TTL_MS).toISOString();
  store.sessions.insert({
    tokenHash: hashToken(token),
    username,
    createdAt: new Date(now).toISOString(),
    expiresAt: expires_at,
  });
  return { token, expires_at };
}

/** Who holds this token, or null when it is unknown, revoked or expired (an expired one is deleted). */
export function resolveSession(
  store: Store,
  token: string | null | undefined,
  now: number = Date.now(),
): SessionUser | null {
  // 32 bytes in base64url are 43 characters; anything else cannot be ours.
  if (typeof token !== 'string' || token.length !== 43) return null;
  const hash = hashToken(token);
  const row = store.sessions.find(hash);
  if (!row) return null;
  if (Date.parse(row.expires_at) <= now) {
    store.sessions.delete(hash);
    return null;
  }
  return sessionUser(row.username, row.role);
}

/** Ends one session (logout); true when it existed. */
export function revokeSession(store: Store, token: string): boolean {
  return store.sessions.delete(hashToken(token));
}

/** Ends every session of a user (password changed, account removed), except optionally the caller's own. */
export function revokeUserSessions(store: Store, username: string, exceptToken?: string | null): number {
  return store.sessions.deleteForUser(username, exceptToken ? hashToken(exceptToken) : null);
}

/** Deletes expired sessions; returns how many. */
export function purgeExpiredSessions(store: Store, now: number = Date.now()): number {
  return store.sessions.deleteExpired(new Date(now).toISOString());
}
