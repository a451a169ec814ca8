import type Database from 'better-sqlite3';
import { appendAudit, flushAuditAnchor, forwardAuditAnchor, verifyAudit } from './audit.js';
import { addCamera, getCamera, listCameras, removeCamera } from './cameras.js';
import { deleteMemberRow, getMember, insertMember, listMembers, setMemberAccess } from './members.js';
import type {
  AuditRepository,
  CameraRepository,
  MemberRepository,
  UnknownRepository,
} from './repositories.js';
import { getUnknown, listUnknowns } from './unknowns.js';

/**
 * Repositories over the row modules of members, unknown persons, cameras and the audit log, with
 * what the engine, accounts, CLI and tools ask of them.
 */

export function sqliteMembers(db: Database.Database): MemberRepository {
  return {
    get: (memberId) => getMember(db, memberId),
    list: () => listMembers(db),
    insert: (memberId, m, recognizer, quality) => insertMember(db, memberId, m, recognizer, quality),
    delete: (memberId) => deleteMemberRow(db, memberId),
    setAccess: (memberId, change) => setMemberAccess(db, memberId, change),
    matchableIds: () =>
      db
        .prepare("SELECT member_id FROM members WHERE status IN ('active', 'suspended') ORDER BY member_id")
        .pluck()
        .all() as string[],
  };
}

export function sqliteUnknowns(db: Database.Database): UnknownRepository {
  return {
    get: (unknownId) => getUnknown(db, unknownId),
    list: () => listUnknowns(db),
    activeIds: () =>
      db.prepare("SELECT unknown_id FROM unknown_persons WHERE status = 'active'").pluck().all() as string[],
  };
}

export function sqliteCameras(db: Database.Database): CameraRepository {
  return {
    list: () => listCameras(db),
    get: (cameraId) => getCamera(db, cameraId),
    add: (c) => addCamera(db, c),
    remove: (cameraId) => removeCamera(db, cameraId),
  };
}

export function sqliteAudit(db: Database.Database): AuditRepository {
  return {
    append: (entry) => appendAudit(db, entry),
    verify: () => verifyAudit(db),
    flushAnchor: () => flushAuditAnchor(db),
    forwardAnchor: (forward) => forwardAuditAnchor(db, forward),
  };
}
