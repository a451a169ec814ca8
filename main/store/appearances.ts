import type Database from 'better-sqlite3';
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

export function insertAppearance(
  db: Database.Database,
  a: Omit<AppearanceRow, 'appearance_id' | 'bbox'> & { bbox: number[] },
): number {
  const info = db
    .prepare(
      `INSERT INTO appearances (person_kind, person_id, camera_id, source, first_seen, last_seen, confidence, bbox)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
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
    );
  return Number(info.lastInsertRowid);
}

export function listAppearances(db: Database.Database, since?: string): AppearanceRow[] {
  return since
    ? (db
        .prepare('SELECT * FROM appearances WHERE last_seen >= ? ORDER BY first_seen')
        .all(since) as AppearanceRow[])
    : (db.prepare('SELECT * FROM appearances ORDER BY first_seen').all() as AppearanceRow[]);
}
