import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

export interface UnknownRow {
  unknown_id: string;
  status: 'active' | 'identified' | 'dismissed';
  first_seen: string;
  last_seen: string;
  appearance_count: number;
  cameras: string;
  best_quality: number | null;
  recognizer: string;
  identified_as: string | null;
  created_at: string;
}

/** UNKNOWN_YYYYMMDD_xxxxxxxx: the day first seen, then 32 random bits. */
export function newUnknownId(at: Date): string {
  const day = at.toISOString().slice(0, 10).replaceAll('-', '');
  return `UNKNOWN_${day}_${randomBytes(4).toString('hex')}`;
}

export function insertUnknown(
  db: Database.Database,
  id: string,
  at: string,
  cameraId: string | null,
  quality: number,
  recognizer: string,
): void {
  db.prepare(
    `INSERT INTO unknown_persons (unknown_id, first_seen, last_seen, appearance_count, cameras, best_quality, recognizer, created_at)
     VALUES (?, ?, ?, 1, ?, ?, ?, ?)`,
  ).run(id, at, at, JSON.stringify(cameraId ? [cameraId] : []), quality, recognizer, at);
}

export function recordUnknownSeen(
  db: Database.Database,
  id: string,
  at: string,
  cameraId: string | null,
  quality: number,
): void {
  const row = db.prepare('SELECT cameras, best_quality FROM unknown_persons WHERE unknown_id = ?').get(id) as
    Pick<UnknownRow, 'cameras' | 'best_quality'> | undefined;
  if (!row) return;
  const cameras = JSON.parse(row.cameras) as string[];
  if (cameraId && !cameras.includes(cameraId)) cameras.push(cameraId);
  db.prepare(
    `UPDATE unknown_persons SET appearance_count = appearance_count + 1,
       last_seen = CASE WHEN last_seen < ? THEN ? ELSE last_seen END,
       first_seen = CASE WHEN first_seen > ? THEN ? ELSE first_seen END,
       cameras = ?, best_quality = MAX(COALESCE(best_quality, 0), ?)
     WHERE unknown_id = ?`,
  ).run(at, at, at, at, JSON.stringify(cameras), quality, id);
}

export function listUnknowns(db: Database.Database): UnknownRow[] {
  return db
    .prepare('SELECT * FROM unknown_persons ORDER BY last_seen DESC, unknown_id')
    .all() as UnknownRow[];
}
