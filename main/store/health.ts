import { VigilError } from '../errors.js';
import { sqliteOf, type SqlPort } from './sql-port.js';
import { integrityCheck, schemaVersion } from './open.js';
import type { HealthRepository } from './repositories.js';

/** The store's own state: schema, integrity, row counts, open alerts and the last engine error. */
export function sqliteHealth(db: SqlPort): HealthRepository {
  // The shared store: its version is in schema_migrations, its pages are the server's to check.
  const file = sqliteOf(db);
  const count = (sql: string): number => (db.prepare(sql).pluck().get() as number) ?? 0;
  return {
    schemaVersion: () =>
      file ? schemaVersion(file) : count('SELECT COALESCE(MAX(version), 0) FROM schema_migrations'),
    integrity: () => (file ? integrityCheck(file) : 'ok'),
    counts: () => ({
      members: count('SELECT COUNT(*) FROM members'),
      unknown_persons: count('SELECT COUNT(*) FROM unknown_persons'),
      embeddings: count('SELECT COUNT(*) FROM embeddings'),
    }),
    openAlerts: () =>
      db
        .prepare(
          `SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN priority IN ('high', 'critical') THEN 1 ELSE 0 END), 0) AS urgent
       FROM alerts WHERE status = 'open'`,
        )
        .get() as { total: number; urgent: number },
    lastSystemError: () =>
      (db
        .prepare(
          "SELECT alert_id, message, created_at, status FROM alerts WHERE type = 'system_error' ORDER BY alert_id DESC LIMIT 1",
        )
        .get() as { alert_id: number; message: string; created_at: string; status: string } | undefined) ??
      null,
    checkpoint: () => {
      file?.pragma('wal_checkpoint(TRUNCATE)');
    },
    copyTo: (to) => {
      if (!file)
        throw new VigilError(
          'INVALID_ARGUMENT',
          "The shared store is copied with PostgreSQL's own tools (pg_dump), not into a file by Vigil.",
        );
      file.prepare('VACUUM INTO ?').run(to);
    },
  };
}
