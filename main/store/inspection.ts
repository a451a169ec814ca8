import type { SqlPort } from './sql-port.js';

/**
 * Read-only questions the crash harness asks of a store after a kill: which rows exist, and
 * which hang on nothing. Ids only, never personal fields.
 */
export interface StoreInspection {
  memberIds(): string[];
  unknownIds(): string[];
  /** Active members and unknown persons (with `order`, each by id). */
  activeMemberIds(): string[];
  activeUnknownIds(): string[];
  /** Every member, then every active unknown person (the subjects an erasure storm works through). */
  subjectIds(): string[];
  cropIds(): string[];
  appearanceOwners(): { id: number; person: string }[];
  alertOwners(): { id: number; person: string | null }[];
  embeddingOwners(): { id: number; person: string }[];
  /** Per member: stored shots and centroids. */
  memberVectorCounts(): Map<string, { shots: number; centroids: number }>;
  embeddingIds(): number[];
  vectorIds(): number[];
  /** Embedding rows whose vector is missing. */
  embeddingsWithoutVector(): number[];
  hasAppearance(appearanceId: number, personId?: string): boolean;
  hasAlert(alertId: number): boolean;
  hasCrop(unknownId: string): boolean;
  audited(action: string, subject: string): boolean;
  /** How many embedding, appearance, alert and crop rows still name this person. */
  traces(personId: string): number;
}

export function sqliteInspection(db: SqlPort): StoreInspection {
  const ids = (sql: string): string[] => db.prepare(sql).pluck().all() as string[];
  const one = (sql: string, ...args: unknown[]): boolean =>
    db
      .prepare(sql)
      .pluck()
      .get(...args) !== undefined;
  return {
    memberIds: () => ids('SELECT member_id FROM members'),
    unknownIds: () => ids('SELECT unknown_id FROM unknown_persons'),
    activeMemberIds: () => ids("SELECT member_id FROM members WHERE status = 'active' ORDER BY member_id"),
    activeUnknownIds: () =>
      ids("SELECT unknown_id FROM unknown_persons WHERE status = 'active' ORDER BY unknown_id"),
    subjectIds: () =>
      ids(
        "SELECT member_id FROM members UNION ALL SELECT unknown_id FROM unknown_persons WHERE status = 'active'",
      ),
    cropIds: () => ids('SELECT unknown_id FROM unknown_crops'),
    appearanceOwners: () =>
      db.prepare('SELECT appearance_id AS id, person_id AS person FROM appearances').all() as {
        id: number;
        person: string;
      }[],
    alertOwners: () =>
      db.prepare('SELECT alert_id AS id, person_id AS person FROM alerts').all() as {
        id: number;
        person: string | null;
      }[],
    embeddingOwners: () =>
      db.prepare('SELECT embedding_id AS id, person_id AS person FROM embeddings').all() as {
        id: number;
        person: string;
      }[],
    memberVectorCounts: () =>
      new Map(
        (
          db
            .prepare(
              "SELECT person_id, SUM(CASE WHEN is_centroid = 0 THEN 1 ELSE 0 END) AS shots, SUM(CASE WHEN is_centroid = 1 THEN 1 ELSE 0 END) AS centroids FROM embeddings WHERE person_kind = 'member' GROUP BY person_id",
            )
            .all() as { person_id: string; shots: number; centroids: number }[]
        ).map((r) => [r.person_id, { shots: Number(r.shots), centroids: Number(r.centroids) }]),
      ),
    embeddingIds: () => ids('SELECT embedding_id FROM embeddings').map(Number),
    vectorIds: () => ids('SELECT embedding_id FROM face_vectors').map(Number),
    embeddingsWithoutVector: () =>
      ids(
        'SELECT embedding_id FROM embeddings e WHERE NOT EXISTS (SELECT 1 FROM face_vectors v WHERE v.embedding_id = e.embedding_id)',
      ).map(Number),
    hasAppearance: (appearanceId, personId) =>
      personId === undefined
        ? one('SELECT 1 FROM appearances WHERE appearance_id = ?', appearanceId)
        : one('SELECT 1 FROM appearances WHERE appearance_id = ? AND person_id = ?', appearanceId, personId),
    hasAlert: (alertId) => one('SELECT 1 FROM alerts WHERE alert_id = ?', alertId),
    hasCrop: (unknownId) => one('SELECT 1 FROM unknown_crops WHERE unknown_id = ?', unknownId),
    audited: (action, subject) =>
      one('SELECT 1 FROM audit_log WHERE action = ? AND subject = ?', action, subject),
    traces: (personId) =>
      db
        .prepare(
          `SELECT (SELECT COUNT(*) FROM embeddings WHERE person_id = @p) + (SELECT COUNT(*) FROM appearances WHERE person_id = @p)
              + (SELECT COUNT(*) FROM alerts WHERE person_id = @p) + (SELECT COUNT(*) FROM unknown_crops WHERE unknown_id = @p)`,
        )
        .pluck()
        .get({ p: personId }) as number,
  };
}
