import { dialectOf, type SqlPort } from './sql-port.js';
import type { CropRepository, SealedCrop } from './repositories.js';

/** The encrypted best-shot crops of unknown persons (sealing and opening is privacy/crops). */
export class SqliteCrops implements CropRepository {
  constructor(private readonly db: SqlPort) {}

  put(unknownId: string, c: SealedCrop, createdAt: string, expiresAt: string): void {
    this.db
      .prepare(
        `INSERT INTO unknown_crops (unknown_id, key_iv, key_tag, wrapped_key, iv, tag, ciphertext, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (unknown_id) DO UPDATE SET key_iv = excluded.key_iv, key_tag = excluded.key_tag, wrapped_key = excluded.wrapped_key,
       iv = excluded.iv, tag = excluded.tag, ciphertext = excluded.ciphertext, created_at = excluded.created_at, expires_at = excluded.expires_at`,
      )
      .run(unknownId, c.key_iv, c.key_tag, c.wrapped_key, c.iv, c.tag, c.ciphertext, createdAt, expiresAt);
  }

  get(unknownId: string): SealedCrop | undefined {
    return this.db.prepare('SELECT * FROM unknown_crops WHERE unknown_id = ?').get(unknownId) as
      SealedCrop | undefined;
  }

  has(unknownId: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM unknown_crops WHERE unknown_id = ?').get(unknownId);
  }

  dates(unknownId: string): { created_at: string; expires_at: string } | undefined {
    return this.db
      .prepare('SELECT created_at, expires_at FROM unknown_crops WHERE unknown_id = ?')
      .get(unknownId) as { created_at: string; expires_at: string } | undefined;
  }

  delete(unknownId: string): boolean {
    return this.db.prepare('DELETE FROM unknown_crops WHERE unknown_id = ?').run(unknownId).changes > 0;
  }

  move(from: string, to: string): void {
    this.db.prepare('UPDATE unknown_crops SET unknown_id = ? WHERE unknown_id = ?').run(to, from);
  }

  reapplyRetention(days: number): number {
    return this.db
      .prepare(
        dialectOf(this.db) === 'sqlite'
          ? "UPDATE unknown_crops SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '+' || ? || ' days')"
          : // The same ISO text (milliseconds, Z) from the server's date arithmetic in UTC.
            `UPDATE unknown_crops SET expires_at = to_char((created_at::timestamptz + make_interval(days => CAST(? AS integer))) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
      )
      .run(days).changes;
  }

  purgeExpired(now: string): number {
    return this.db.prepare('DELETE FROM unknown_crops WHERE expires_at <= ?').run(now).changes;
  }
}
