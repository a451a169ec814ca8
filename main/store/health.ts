import type Database from 'better-sqlite3';
import { integrityCheck, schemaVersion } from './open.js';
import type { HealthRepository } from './repositories.js';

/** The store's own state: schema, integrity, row counts, open alerts and the last engine error. */
export function sqliteHealth(db: Database.Database): HealthRepository {
  const count = (sql: string): number => (db.prepare(sql).pluck().get() as number) ?? 0;
  return {
    schemaVersion: () => schemaVersion(db),
    integrity: () => integrityCheck(db),
    counts: () => ({
      members: count('SELECT COUNT(*) FROM members'),
      unknown_persons: count('SELECT COUNT(*) FROM unknown_persons'),
      embeddings: count('SELECT COUNT(*) FROM embeddings'),
    }),
    openAlerts: () =>
      db
        .prepare(
          `SELECT COUNT(*) AS total, COALESCE(SUM(priority IN ('high', 'critical')), 0) AS urgent
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
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
    copyTo: (file) => {
      db.prepare('VACUUM INTO ?').run(file);
    },
  };
}
