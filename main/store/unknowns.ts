import { randomBytes } from 'node:crypto';
import type { SqlPort } from './sql-port.js';
import type { UnknownMerge, UnknownRepository } from './repositories.js';

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
  /** The reviewer's notes when the case was closed (migration 5). */
  notes: string | null;
}

/** UNKNOWN_YYYYMMDD_xxxxxxxx: the day first seen, then 32 random bits. */
export function newUnknownId(at: Date): string {
  const day = at.toISOString().slice(0, 10).replaceAll('-', '');
  return `UNKNOWN_${day}_${randomBytes(4).toString('hex')}`;
}

export function insertUnknown(
  db: SqlPort,
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
  db: SqlPort,
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
       cameras = ?, best_quality = CASE WHEN COALESCE(best_quality, 0) > ? THEN COALESCE(best_quality, 0) ELSE ? END
     WHERE unknown_id = ?`,
  ).run(at, at, at, at, JSON.stringify(cameras), quality, quality, id);
}

export function listUnknowns(db: SqlPort): UnknownRow[] {
  return db
    .prepare('SELECT * FROM unknown_persons ORDER BY last_seen DESC, unknown_id')
    .all() as UnknownRow[];
}

export type UnknownStatus = UnknownRow['status'];

export function getUnknown(db: SqlPort, id: string): UnknownRow | undefined {
  return db.prepare('SELECT * FROM unknown_persons WHERE unknown_id = ?').get(id) as UnknownRow | undefined;
}

/** The review queue: newest by last sighting, or most frequently seen first. */
export function queryUnknowns(
  db: SqlPort,
  opts: { sort: 'newest' | 'frequent'; status: UnknownStatus | 'all' },
): UnknownRow[] {
  const order =
    opts.sort === 'frequent'
      ? 'appearance_count DESC, last_seen DESC, unknown_id'
      : 'last_seen DESC, unknown_id';
  return opts.status === 'all'
    ? (db.prepare(`SELECT * FROM unknown_persons ORDER BY ${order}`).all() as UnknownRow[])
    : (db
        .prepare(`SELECT * FROM unknown_persons WHERE status = ? ORDER BY ${order}`)
        .all(opts.status) as UnknownRow[]);
}

export function setUnknownNotes(db: SqlPort, id: string, notes: string | null): void {
  db.prepare('UPDATE unknown_persons SET notes = ? WHERE unknown_id = ?').run(notes, id);
}

/**
 * Re-derives an unknown person's count, cameras and first/last seen from the sightings still
 * attributed to them (after one was removed as someone else); cameras in order of first sighting.
 */
export function recountUnknown(db: SqlPort, id: string): void {
  const totals = db
    .prepare(
      `SELECT COUNT(*) AS n, MIN(first_seen) AS first, MAX(last_seen) AS last
       FROM appearances WHERE person_kind = 'unknown' AND person_id = ?`,
    )
    .get(id) as { n: number; first: string | null; last: string | null };
  const cameras = db
    .prepare(
      `SELECT camera_id FROM appearances WHERE person_kind = 'unknown' AND person_id = ? AND camera_id IS NOT NULL
       GROUP BY camera_id ORDER BY MIN(first_seen), camera_id`,
    )
    .pluck()
    .all(id) as string[];
  db.prepare(
    `UPDATE unknown_persons SET appearance_count = ?, cameras = ?,
       first_seen = COALESCE(?, first_seen), last_seen = COALESCE(?, last_seen)
     WHERE unknown_id = ?`,
  ).run(totals.n, JSON.stringify(cameras), totals.first, totals.last, id);
}

/** The unknown persons of one SQLite store. */
export class SqliteUnknowns implements UnknownRepository {
  constructor(private readonly db: SqlPort) {}

  insert(id: string, at: string, cameraId: string | null, quality: number, recognizer: string): void {
    insertUnknown(this.db, id, at, cameraId, quality, recognizer);
  }

  recordSeen(id: string, at: string, cameraId: string | null, quality: number): void {
    recordUnknownSeen(this.db, id, at, cameraId, quality);
  }

  get(id: string): UnknownRow | undefined {
    return getUnknown(this.db, id);
  }

  list(): UnknownRow[] {
    return listUnknowns(this.db);
  }

  query(opts: { sort: 'newest' | 'frequent'; status: UnknownStatus | 'all' }): UnknownRow[] {
    return queryUnknowns(this.db, opts);
  }

  active(): UnknownRow[] {
    return this.db.prepare("SELECT * FROM unknown_persons WHERE status = 'active'").all() as UnknownRow[];
  }

  /** Ids of the active cases. */
  activeIds(): string[] {
    return this.db
      .prepare("SELECT unknown_id FROM unknown_persons WHERE status = 'active'")
      .pluck()
      .all() as string[];
  }

  closed(outcome: 'identified' | 'dismissed' | 'all'): UnknownRow[] {
    return (
      outcome === 'all'
        ? this.db.prepare("SELECT * FROM unknown_persons WHERE status != 'active'").all()
        : this.db.prepare('SELECT * FROM unknown_persons WHERE status = ?').all(outcome)
    ) as UnknownRow[];
  }

  setNotes(id: string, notes: string | null): void {
    setUnknownNotes(this.db, id, notes);
  }

  recount(id: string): void {
    recountUnknown(this.db, id);
  }

  templateQualities(id: string): number[] {
    return this.db
      .prepare(
        "SELECT quality FROM embeddings WHERE person_kind = 'unknown' AND person_id = ? AND quality IS NOT NULL",
      )
      .pluck()
      .all(id) as number[];
  }

  shotsByQuality(id: string): { id: number; quality: number | null }[] {
    return this.db
      .prepare(
        `SELECT embedding_id AS id, quality FROM embeddings
           WHERE person_kind = 'unknown' AND person_id = ? AND is_centroid = 0 ORDER BY quality DESC`,
      )
      .all(id) as { id: number; quality: number | null }[];
  }

  templatesByQuality(id: string): number[] {
    return this.db
      .prepare(
        "SELECT embedding_id FROM embeddings WHERE person_kind = 'unknown' AND person_id = ? ORDER BY quality DESC",
      )
      .pluck()
      .all(id) as number[];
  }

  mergeRows(m: UnknownMerge): void {
    this.db
      .prepare(
        `UPDATE unknown_persons SET appearance_count = appearance_count + ?, cameras = ?,
       first_seen = CASE WHEN first_seen < ? THEN first_seen ELSE ? END,
       last_seen = CASE WHEN last_seen > ? THEN last_seen ELSE ? END,
       best_quality = CASE WHEN COALESCE(best_quality, 0) > ? THEN COALESCE(best_quality, 0) ELSE ? END
     WHERE unknown_id = ?`,
      )
      .run(
        m.appearances,
        JSON.stringify(m.cameras),
        m.firstSeen,
        m.firstSeen,
        m.lastSeen,
        m.lastSeen,
        m.bestQuality,
        m.bestQuality,
        m.keep,
      );
    this.db
      .prepare("UPDATE appearances SET person_id = ? WHERE person_kind = 'unknown' AND person_id = ?")
      .run(m.keep, m.drop);
    this.db
      .prepare("UPDATE alerts SET person_id = ? WHERE person_kind = 'unknown' AND person_id = ?")
      .run(m.keep, m.drop);
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM unknown_persons WHERE unknown_id = ?').run(id).changes > 0;
  }

  handToMember(unknownId: string, memberId: string): number {
    const db = this.db;
    const moved = db
      .prepare(
        "UPDATE appearances SET person_kind = 'member', person_id = ? WHERE person_kind = 'unknown' AND person_id = ?",
      )
      .run(memberId, unknownId).changes;
    db.prepare(
      "UPDATE alerts SET person_kind = 'member', person_id = ? WHERE person_kind = 'unknown' AND person_id = ?",
    ).run(memberId, unknownId);
    const last = db
      .prepare("SELECT MAX(last_seen) FROM appearances WHERE person_kind = 'member' AND person_id = ?")
      .pluck()
      .get(memberId) as string | null;
    db.prepare(
      `UPDATE members SET total_appearances = total_appearances + ?,
       last_seen = CASE WHEN last_seen IS NULL OR last_seen < ? THEN ? ELSE last_seen END
     WHERE member_id = ?`,
    ).run(moved, last ?? '', last, memberId);
    return moved;
  }
}
