import type { SqlPort } from './sql-port.js';
import type { Role } from '../contract/roles.js';
import type { SessionRepository } from './repositories.js';

/** Login sessions by token hash (sessions table); expiry and hashing rules are in accounts/sessions.ts. */
export function sqliteSessions(db: SqlPort): SessionRepository {
  return {
    insert: (s) => {
      db.prepare(
        'INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES (?, ?, ?, ?)',
      ).run(s.tokenHash, s.username, s.createdAt, s.expiresAt);
    },
    find: (tokenHash) =>
      db
        .prepare(
          `SELECT s.expires_at, u.username, u.role FROM sessions s
       JOIN users u ON u.username = s.username WHERE s.token_hash = ?`,
        )
        .get(tokenHash) as { expires_at: string; username: string; role: Role } | undefined,
    delete: (tokenHash) => db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash).changes > 0,
    deleteForUser: (username, exceptTokenHash) =>
      exceptTokenHash
        ? db
            .prepare('DELETE FROM sessions WHERE username = ? AND token_hash != ?')
            .run(username, exceptTokenHash).changes
        : db.prepare('DELETE FROM sessions WHERE username = ?').run(username).changes,
    deleteExpired: (now) => db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now).changes,
  };
}
