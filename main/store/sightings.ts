import type { SqlPort } from './sql-port.js';
import type { SightingRepository } from './repositories.js';

/** What a live sighting changes beyond inserting rows: ends, last sightings, corrections. */
export function sqliteSightings(db: SqlPort): SightingRepository {
  return {
    setAppearanceEnd: (appearanceId, lastSeen) => {
      db.prepare('UPDATE appearances SET last_seen = ? WHERE appearance_id = ?').run(lastSeen, appearanceId);
    },
    extendAppearance: (appearanceId, lastSeen) => {
      db.prepare(
        'UPDATE appearances SET last_seen = CASE WHEN last_seen > ? THEN last_seen ELSE ? END WHERE appearance_id = ?',
      ).run(lastSeen, lastSeen, appearanceId);
    },
    setPossibleMember: (appearanceId, memberId, similarity) => {
      db.prepare(
        'UPDATE appearances SET possible_member_id = ?, possible_member_similarity = ? WHERE appearance_id = ?',
      ).run(memberId, similarity, appearanceId);
    },
    countAppearances: (window) =>
      window
        ? (db
            .prepare(
              'SELECT COUNT(*) FROM appearances WHERE camera_id = ? AND first_seen >= ? AND first_seen < ?',
            )
            .pluck()
            .get(window.cameraId, window.from, window.to) as number)
        : (db.prepare('SELECT COUNT(*) FROM appearances').pluck().get() as number),
    extendMemberSeen: (memberId, at) => {
      db.prepare(
        'UPDATE members SET last_seen = CASE WHEN last_seen IS NULL OR last_seen < ? THEN ? ELSE last_seen END WHERE member_id = ?',
      ).run(at, at, memberId);
    },
    setUnknownLastSeen: (unknownId, at) => {
      db.prepare('UPDATE unknown_persons SET last_seen = ? WHERE unknown_id = ?').run(at, unknownId);
    },
    extendUnknownSeen: (unknownId, at) => {
      db.prepare(
        'UPDATE unknown_persons SET last_seen = CASE WHEN last_seen > ? THEN last_seen ELSE ? END WHERE unknown_id = ?',
      ).run(at, at, unknownId);
    },
    isActiveUnknown: (unknownId) =>
      !!db
        .prepare('SELECT 1 FROM unknown_persons WHERE unknown_id = ? AND status = ?')
        .get(unknownId, 'active'),
    closeUnknown: (unknownId, status, identifiedAs, at) =>
      db
        .prepare(
          "UPDATE unknown_persons SET status = ?, identified_as = ?, closed_at = ? WHERE unknown_id = ? AND status = 'active'",
        )
        .run(status, identifiedAs, at, unknownId).changes > 0,
    moveToMember: (appearanceId, unknownId, memberId, confidence) => {
      db.prepare(
        `UPDATE appearances SET person_kind = 'member', person_id = ?, confidence = ?,
           possible_member_id = NULL, possible_member_similarity = NULL
         WHERE appearance_id = ? AND person_kind = 'unknown' AND person_id = ?`,
      ).run(memberId, confidence, appearanceId, unknownId);
    },
    dismissedSince: (since) =>
      db
        .prepare(
          `SELECT unknown_id AS id, COALESCE(closed_at, last_seen) AS closed FROM unknown_persons
         WHERE status = 'dismissed' AND COALESCE(closed_at, last_seen) >= ?`,
        )
        .all(since) as { id: string; closed: string }[],
  };
}
