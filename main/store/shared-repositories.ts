import type Database from 'better-sqlite3';
import { insertAppearance, listAppearances } from './appearances.js';
import { appendAudit, flushAuditAnchor, forwardAuditAnchor, verifyAudit } from './audit.js';
import { addCamera, getCamera, listCameras, removeCamera } from './cameras.js';
import {
  deleteMemberRow,
  getMember,
  insertMember,
  listMembers,
  recordMemberSeen,
  setMemberAccess,
} from './members.js';
import type {
  AppearanceRepository,
  AuditRepository,
  CameraRepository,
  MemberRepository,
  UnknownRepository,
} from './repositories.js';
import { getUnknown, insertUnknown, listUnknowns, recordUnknownSeen, recountUnknown } from './unknowns.js';

/**
 * The parts of the member, unknown-person, appearance, camera and audit repositories that the
 * engine, accounts, CLI and tools use, over the row modules. store-a's classes implement the same
 * interfaces in full; this file goes when the two branches meet.
 */

export function sqliteMembers(db: Database.Database): MemberRepository {
  return {
    insert: (id, member, recognizer, quality) => insertMember(db, id, member, recognizer, quality),
    get: (id) => getMember(db, id),
    list: () => listMembers(db),
    setAccess: (id, change) => setMemberAccess(db, id, change),
    delete: (id) => deleteMemberRow(db, id),
    recordSeen: (id, at) => recordMemberSeen(db, id, at),
    matchableIds: () =>
      db
        .prepare("SELECT member_id FROM members WHERE status IN ('active', 'suspended') ORDER BY member_id")
        .pluck()
        .all() as string[],
  };
}

export function sqliteUnknowns(db: Database.Database): UnknownRepository {
  return {
    insert: (id, at, cameraId, quality, recognizer) =>
      insertUnknown(db, id, at, cameraId, quality, recognizer),
    recordSeen: (id, at, cameraId, quality) => recordUnknownSeen(db, id, at, cameraId, quality),
    get: (id) => getUnknown(db, id),
    list: () => listUnknowns(db),
    recount: (id) => recountUnknown(db, id),
    delete: (id) => db.prepare('DELETE FROM unknown_persons WHERE unknown_id = ?').run(id).changes > 0,
    activeIds: () =>
      db.prepare("SELECT unknown_id FROM unknown_persons WHERE status = 'active'").pluck().all() as string[],
  };
}

export function sqliteAppearances(db: Database.Database): AppearanceRepository {
  return {
    insert: (a) => insertAppearance(db, a),
    list: (since) => listAppearances(db, since),
    countOfUnknown: (unknownId, since) =>
      since === undefined
        ? (db
            .prepare("SELECT COUNT(*) FROM appearances WHERE person_kind = 'unknown' AND person_id = ?")
            .pluck()
            .get(unknownId) as number)
        : (db
            .prepare(
              "SELECT COUNT(*) FROM appearances WHERE person_kind = 'unknown' AND person_id = ? AND last_seen >= ?",
            )
            .pluck()
            .get(unknownId, since) as number),
  };
}

export function sqliteCameras(db: Database.Database): CameraRepository {
  return {
    add: (camera) => addCamera(db, camera),
    get: (id) => getCamera(db, id),
    list: () => listCameras(db),
    remove: (id) => removeCamera(db, id),
  };
}

export function sqliteAudit(db: Database.Database): AuditRepository {
  return {
    append: (entry, at) => appendAudit(db, entry, at),
    verify: () => verifyAudit(db),
    forwardAnchor: (forward) => forwardAuditAnchor(db, forward),
    flushAnchor: () => flushAuditAnchor(db),
  };
}
