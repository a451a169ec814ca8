import type { SqlPort } from './sql-port.js';
import type { AppearanceRepository, MemberSighting, NewAppearance } from './repositories.js';
import type { PersonKind } from './vectors.js';

export interface AppearanceRow {
  appearance_id: number;
  person_kind: PersonKind;
  person_id: string;
  camera_id: string | null;
  source: string;
  first_seen: string;
  last_seen: string;
  confidence: number;
  bbox: string;
}

/** The writer's operation id (migration 8) stays in the store: rows go out as they always did. */
export function withoutOp<T extends object>(row: T): T {
  if (!('op_id' in row)) return row;
  const { op_id: _, ...rest } = row as T & { op_id: unknown };
  return rest as T;
}

export function insertAppearance(db: SqlPort, a: NewAppearance): number {
  const info = db
    .prepare(
      `INSERT INTO appearances (person_kind, person_id, camera_id, source, first_seen, last_seen, confidence, bbox, op_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      a.person_kind,
      a.person_id,
      a.camera_id,
      a.source,
      a.first_seen,
      a.last_seen,
      a.confidence,
      JSON.stringify(a.bbox),
      a.op_id ?? null,
    );
  return Number(info.lastInsertRowid);
}

export function listAppearances(db: SqlPort, since?: string): AppearanceRow[] {
  const rows = since
    ? (db
        .prepare('SELECT * FROM appearances WHERE last_seen >= ? ORDER BY first_seen')
        .all(since) as AppearanceRow[])
    : (db.prepare('SELECT * FROM appearances ORDER BY first_seen').all() as AppearanceRow[]);
  return rows.map(withoutOp);
}

/** The sightings of one SQLite store. */
export class SqliteAppearances implements AppearanceRepository {
  constructor(private readonly db: SqlPort) {}

  insert(a: NewAppearance): number {
    return insertAppearance(this.db, a);
  }

  idOfOp(opId: string): number | undefined {
    return this.db.prepare('SELECT appearance_id FROM appearances WHERE op_id = ?').pluck().get(opId) as
      number | undefined;
  }

  list(since?: string): AppearanceRow[] {
    return listAppearances(this.db, since);
  }

  ofMember(memberId: string, limit: number): MemberSighting[] {
    return this.db
      .prepare(
        `SELECT appearance_id, person_kind, person_id, camera_id, first_seen, last_seen, confidence
         FROM appearances WHERE person_kind = 'member' AND person_id = ? ORDER BY first_seen DESC LIMIT ?`,
      )
      .all(memberId, limit) as MemberSighting[];
  }

  ofUnknown(unknownId: string): AppearanceRow[] {
    return (
      this.db
        .prepare(
          `SELECT * FROM appearances WHERE person_kind = 'unknown' AND person_id = ?
       ORDER BY last_seen DESC, appearance_id DESC`,
        )
        .all(unknownId) as AppearanceRow[]
    ).map(withoutOp);
  }

  isOfUnknown(appearanceId: number, unknownId: string): boolean {
    return !!this.db
      .prepare(
        "SELECT 1 FROM appearances WHERE appearance_id = ? AND person_kind = 'unknown' AND person_id = ?",
      )
      .get(appearanceId, unknownId);
  }

  countOfUnknown(unknownId: string, since?: string): number {
    return since === undefined
      ? (this.db
          .prepare("SELECT COUNT(*) FROM appearances WHERE person_kind = 'unknown' AND person_id = ?")
          .pluck()
          .get(unknownId) as number)
      : (this.db
          .prepare(
            "SELECT COUNT(*) FROM appearances WHERE person_kind = 'unknown' AND person_id = ? AND last_seen >= ?",
          )
          .pluck()
          .get(unknownId, since) as number);
  }

  delete(appearanceId: number): void {
    this.db.prepare('DELETE FROM appearances WHERE appearance_id = ?').run(appearanceId);
  }
}
