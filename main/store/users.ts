import type { SqlPort } from './sql-port.js';
import type { Role } from '../contract/roles.js';
import type { UserRecord, UserRepository } from './repositories.js';

/** The console's accounts (users table); the lockout and password rules are in accounts/users.ts. */
export function sqliteUsers(db: SqlPort): UserRepository {
  return {
    get: (username) =>
      db.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserRecord | undefined,
    list: () => db.prepare('SELECT * FROM users ORDER BY username').all() as UserRecord[],
    countAdmins: () => db.prepare("SELECT COUNT(*) FROM users WHERE role = 'admin'").pluck().get() as number,
    insert: (u: { username: string; role: Role; password_hash: string; at: string }) => {
      db.prepare(
        'INSERT INTO users (username, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
      ).run(u.username, u.role, u.password_hash, u.at, u.at);
    },
    setPassword: (username, hash, at) =>
      db
        .prepare(
          'UPDATE users SET password_hash = ?, updated_at = ?, failed_logins = 0, locked_until = NULL WHERE username = ?',
        )
        .run(hash, at, username).changes > 0,
    delete: (username) => {
      db.prepare('DELETE FROM users WHERE username = ?').run(username);
    },
    addFailure: (username) =>
      db
        .prepare(
          'UPDATE users SET failed_logins = failed_logins + 1 WHERE username = ? RETURNING failed_logins',
        )
        .pluck()
        .get(username) as number | undefined,
    setLockedUntil: (username, until) => {
      db.prepare('UPDATE users SET locked_until = ? WHERE username = ?').run(until, username);
    },
    clearFailures: (username, lastLogin) => {
      if (lastLogin !== null)
        db.prepare(
          'UPDATE users SET failed_logins = 0, locked_until = NULL, last_login = ? WHERE username = ?',
        ).run(lastLogin, username);
      else
        db.prepare('UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = ?').run(
          username,
        );
    },
    replaceHash: (username, previous, hash) => {
      db.prepare('UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?').run(
        hash,
        username,
        previous,
      );
    },
  };
}
