import type {
  AppearanceView,
  AssignOutcome,
  SimilarMember,
  UnknownDetail,
  UnknownHistoryEntry,
  UnknownView,
} from '../contract/contract.js';
import type { Engine } from '../engine/engine.js';
import { VigilError } from '../errors.js';
import { centroid } from '../match/similarity.js';
import { hasCrop, readCrop } from '../privacy/crops.js';
import type { AppearanceRow } from '../store/appearances.js';
import { appendAudit } from '../store/audit.js';
import { readConfig } from '../store/config.js';
import { getMember, insertMember, newMemberId, type NewMember } from '../store/members.js';
import {
  getUnknown,
  queryUnknowns,
  recountUnknown,
  setUnknownNotes,
  type UnknownRow,
  type UnknownStatus,
} from '../store/unknowns.js';
import { absorbUnknown } from '../decide/merge-unknowns.js';

/**
 * The review queue: what a reviewer does with an unknown person (name them, make them a member,
 * dismiss them, take a wrong sighting away, merge two ids of one stranger). Each action runs in one
 * transaction with its audit row; audit rows carry ids and kinds only, never names or notes.
 */

type Db = Engine['db'];

export function unknownView(db: Db, row: UnknownRow): UnknownView {
  return {
    unknown_id: row.unknown_id,
    status: row.status,
    first_seen: row.first_seen,
    last_seen: row.last_seen,
    appearance_count: row.appearance_count,
    cameras: JSON.parse(row.cameras) as string[],
    has_crop: hasCrop(db, row.unknown_id),
    identified_as: row.identified_as,
  };
}

function mustGet(db: Db, id: string): UnknownRow {
  const row = getUnknown(db, id);
  if (!row) throw new VigilError('NOT_FOUND', `No unknown person with id ${id}.`);
  return row;
}

function mustBeActive(row: UnknownRow): void {
  if (row.status !== 'active')
    throw new VigilError('CONFLICT', `${row.unknown_id} was already ${row.status}; its case is closed.`);
}

export function listUnknownViews(
  db: Db,
  opts: { sort: 'newest' | 'frequent'; status: UnknownStatus | 'all' },
): UnknownView[] {
  return queryUnknowns(db, opts).map((r) => unknownView(db, r));
}

export function getUnknownView(db: Db, id: string): UnknownView {
  return unknownView(db, mustGet(db, id));
}

/** Members whose stored faces resemble this unknown's, best first (for "possibly NAME?"). */
export function similarMembers(engine: Engine, id: string, k = 3): SimilarMember[] {
  const shots = engine.vectors.vectorsOf('unknown', id).filter((v) => !v.isCentroid);
  if (shots.length === 0) return [];
  const best = new Map<string, number>();
  for (const s of shots)
    for (const m of engine.vectors.searchPeople('member', s.vector, k))
      best.set(m.personId, Math.max(best.get(m.personId) ?? -1, m.similarity));
  // Far below the threshold a resemblance means nothing; 0.1 under it is still worth a look.
  const floor = engine.thresholds().recognition - 0.1;
  return [...best]
    .filter(([, sim]) => sim >= floor)
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .flatMap(([memberId, sim]) => {
      const m = getMember(engine.db, memberId);
      return m ? [{ member_id: memberId, name: m.name, similarity: Math.round(sim * 1e4) / 1e4 }] : [];
    });
}

export function unknownDetailWithMatches(engine: Engine, id: string): UnknownDetail {
  return {
    ...unknownDetail(engine.db, id),
    similar_members: similarMembers(engine, id),
    recognition_threshold: engine.thresholds().recognition,
  };
}

export function unknownDetail(db: Db, id: string): UnknownDetail {
  const row = mustGet(db, id);
  const sightings = db
    .prepare(
      `SELECT * FROM appearances WHERE person_kind = 'unknown' AND person_id = ?
       ORDER BY last_seen DESC, appearance_id DESC`,
    )
    .all(id) as AppearanceRow[];
  return {
    ...unknownView(db, row),
    sightings: sightings.map((a): AppearanceView => ({
      appearance_id: a.appearance_id,
      person_kind: 'unknown',
      person_id: a.person_id,
      name: null,
      camera_id: a.camera_id,
      first_seen: a.first_seen,
      last_seen: a.last_seen,
      confidence: a.confidence,
    })),
    similar_members: [],
    recognition_threshold: 0,
  };
}

/**
 * Closes the open and acknowledged alerts about a person whose case was just closed, with a note
 * saying why; returns their ids (for the consoles' toasts). Inside the caller's transaction.
 */
export function closeAlertsOf(
  db: Db,
  kind: 'member' | 'unknown',
  personId: string,
  note: string,
  actor: string,
): number[] {
  const ids = db
    .prepare("SELECT alert_id FROM alerts WHERE person_kind = ? AND person_id = ? AND status != 'resolved'")
    .pluck()
    .all(kind, personId) as number[];
  if (ids.length === 0) return ids;
  db.prepare(
    `UPDATE alerts SET status = 'resolved', resolved_at = ?,
       notes = CASE WHEN notes IS NULL OR notes = '' THEN ? ELSE notes || ' · ' || ? END
     WHERE person_kind = ? AND person_id = ? AND status != 'resolved'`,
  ).run(new Date().toISOString(), note, note, kind, personId);
  appendAudit(db, {
    actor,
    action: 'alerts_resolved_with_case',
    subject: personId,
    details: { count: ids.length, alerts: ids.slice(0, 50).join(',') },
  });
  return ids;
}

/** Hands an unknown's sightings (and all its alerts) to a member; returns how many moved. */
function moveSightingsToMember(db: Db, unknownId: string, memberId: string): number {
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

/** The decrypted best-shot crop; viewing it is audited (who and whose, never the image). */
export function viewCrop(engine: Engine, id: string, actor: string): Buffer {
  mustGet(engine.db, id);
  const jpeg = readCrop(engine.db, engine.masterKey, id);
  appendAudit(engine.db, { actor, action: 'crop_viewed', subject: id });
  return jpeg;
}

export function identifyUnknown(
  engine: Engine,
  id: string,
  who: { name: string; type: string; notes?: string | null },
  actor: string,
): UnknownView {
  const db = engine.db;
  db.transaction(() => {
    mustBeActive(mustGet(db, id));
    engine.resolveUnknown(id, 'identified', `${who.name} (${who.type})`, {
      actor,
      details: { type: who.type },
    });
    setUnknownNotes(db, id, who.notes ?? null);
    closeAlertsOf(db, 'unknown', id, `Closed: ${id} was identified by ${actor}.`, actor);
  }).immediate();
  return getUnknownView(db, id);
}

export function dismissUnknown(engine: Engine, id: string, notes: string | null, actor: string): UnknownView {
  const db = engine.db;
  db.transaction(() => {
    mustBeActive(mustGet(db, id));
    engine.resolveUnknown(id, 'dismissed', undefined, { actor });
    setUnknownNotes(db, id, notes);
    closeAlertsOf(db, 'unknown', id, `Closed: ${id} was dismissed by ${actor}.`, actor);
  }).immediate();
  return getUnknownView(db, id);
}

export type MemberFields = NewMember & {
  member_type?: string;
  notes?: string | null;
};

/**
 * Makes a member of an unknown person from the embeddings already stored for them: the vectors
 * are re-labelled, not copied, plus a centroid as enrollment adds, so the next sighting is matched
 * as the member. The unknown's case is closed as identified (identified_as = the member id) and its
 * crop deleted; its past sightings stay with the closed case.
 */
export function convertUnknown(
  engine: Engine,
  id: string,
  member: MemberFields,
  actor: string,
): { member_id: string; embeddings_count: number } {
  const db = engine.db;
  const memberId = newMemberId();
  let moved = 0;
  try {
    db.transaction(() => {
      mustBeActive(mustGet(db, id));
      const shots = engine.vectors.vectorsOf('unknown', id).filter((v) => !v.isCentroid);
      if (shots.length === 0)
        throw new VigilError(
          'CONFLICT',
          `No face embeddings are stored for ${id}, so no member can be made from it; enroll the person with photos instead.`,
        );
      const qualities = db
        .prepare(
          "SELECT quality FROM embeddings WHERE person_kind = 'unknown' AND person_id = ? AND quality IS NOT NULL",
        )
        .pluck()
        .all(id) as number[];
      const quality = qualities.length ? qualities.reduce((s, q) => s + q, 0) / qualities.length : 0;
      insertMember(db, memberId, member, engine.recognizer.id, quality);
      db.prepare('UPDATE members SET member_type = ?, notes = ? WHERE member_id = ?').run(
        member.member_type ?? 'member',
        member.notes ?? null,
        memberId,
      );
      moved = engine.vectors.relabel(
        { kind: 'unknown', personId: id },
        { kind: 'member', personId: memberId },
      );
      engine.vectors.add('member', memberId, centroid(shots.map((s) => s.vector)), {
        isCentroid: true,
        quality,
      });
      engine.resolveUnknown(id, 'identified', memberId, { actor, details: { member: memberId } });
      const sightings = moveSightingsToMember(db, id, memberId);
      appendAudit(db, {
        actor,
        action: 'member_registered',
        subject: memberId,
        details: { source: 'unknown', unknown: id, embeddings: moved, sightings },
      });
      closeAlertsOf(db, 'member', memberId, `Closed: ${id} became member ${memberId} (${actor}).`, actor);
    }).immediate();
  } catch (e) {
    // The rollback restored the rows; put the in-memory index back to match them.
    engine.vectors.forget('member', memberId);
    const row = db.open ? getUnknown(db, id) : undefined;
    if (row?.status === 'active') engine.vectors.reactivate('unknown', id);
    throw e;
  }
  return { member_id: memberId, embeddings_count: moved };
}

/**
 * Names an unknown person as an existing member: the unknown's best faces join the member's
 * templates (up to the per-person limit), its sightings and alerts become the member's, its open
 * alerts are resolved with a note, and the case is closed as identified (identified_as = member).
 * One transaction, audited with ids and counts only.
 */
export function assignUnknownToMember(
  engine: Engine,
  id: string,
  memberId: string,
  notes: string | null,
  actor: string,
): AssignOutcome {
  const db = engine.db;
  let added = 0;
  let sightings = 0;
  let alerts: number[] = [];
  try {
    db.transaction(() => {
      mustBeActive(mustGet(db, id));
      const member = getMember(db, memberId);
      if (!member) throw new VigilError('NOT_FOUND', `No member with id ${memberId}.`);
      const max = readConfig(db, 'max_embeddings_per_person');
      const have = engine.vectors.vectorsOf('member', memberId).filter((v) => !v.isCentroid).length;
      const shots = db
        .prepare(
          `SELECT embedding_id AS id, quality FROM embeddings
           WHERE person_kind = 'unknown' AND person_id = ? AND is_centroid = 0 ORDER BY quality DESC`,
        )
        .all(id) as { id: number; quality: number | null }[];
      // At least the best face joins: the views the member was missed in are what they lack.
      const room = Math.max(1, max - have);
      for (const shot of shots.slice(0, room)) {
        engine.vectors.add('member', memberId, engine.vectors.vector(shot.id), { quality: shot.quality });
        added++;
      }
      engine.resolveUnknown(id, 'identified', memberId, { actor, details: { member: memberId } });
      engine.vectors.removePerson('unknown', id);
      setUnknownNotes(db, id, notes);
      sightings = moveSightingsToMember(db, id, memberId);
      alerts = closeAlertsOf(
        db,
        'member',
        memberId,
        `Closed: ${id} was identified as ${memberId} by ${actor}.`,
        actor,
      );
      appendAudit(db, {
        actor,
        action: 'unknown_assigned',
        subject: id,
        details: { member: memberId, embeddings: added, sightings, alerts: alerts.length },
      });
    }).immediate();
  } catch (e) {
    // The rollback restored the rows; put the in-memory index back to match them.
    if (db.open) {
      engine.vectors.reactivate('member', memberId);
      if (getUnknown(db, id)?.status === 'active') engine.vectors.reactivate('unknown', id);
    }
    throw e;
  }
  return {
    unknown: getUnknownView(db, id),
    member_id: memberId,
    embeddings_added: added,
    sightings_moved: sightings,
    alerts_resolved: alerts.length,
  };
}

/**
 * Closed cases for the history tab: identified and dismissed people from their rows, merged ones
 * from the audit log (a merged id's row is gone). Searchable by id and by the member's name.
 */
export function unknownHistory(
  db: Db,
  opts: { query?: string; outcome: 'identified' | 'dismissed' | 'merged' | 'all'; limit: number },
): UnknownHistoryEntry[] {
  const closedAt = db.prepare(
    "SELECT at, actor FROM audit_log WHERE subject = ? AND action IN ('unknown_identified', 'unknown_dismissed') ORDER BY audit_id DESC LIMIT 1",
  );
  const out: UnknownHistoryEntry[] = [];
  if (opts.outcome !== 'merged') {
    const rows = (
      opts.outcome === 'all'
        ? db.prepare("SELECT * FROM unknown_persons WHERE status != 'active'").all()
        : db.prepare('SELECT * FROM unknown_persons WHERE status = ?').all(opts.outcome)
    ) as UnknownRow[];
    for (const r of rows) {
      const closed = closedAt.get(r.unknown_id) as { at: string; actor: string } | undefined;
      const member = r.identified_as ? getMember(db, r.identified_as) : undefined;
      out.push({
        unknown_id: r.unknown_id,
        outcome: r.status === 'dismissed' ? 'dismissed' : 'identified',
        at: closed?.at ?? r.last_seen,
        by: closed?.actor ?? null,
        into_id: member ? member.member_id : null,
        into_name: member ? member.name : r.identified_as,
        appearance_count: r.appearance_count,
        last_seen: r.last_seen,
      });
    }
  }
  if (opts.outcome === 'merged' || opts.outcome === 'all') {
    const merges = db
      .prepare("SELECT at, actor, subject, details FROM audit_log WHERE action = 'unknowns_merged'")
      .all() as { at: string; actor: string; subject: string; details: string }[];
    for (const m of merges) {
      let merged: unknown;
      try {
        merged = (JSON.parse(m.details) as { merged?: unknown }).merged;
      } catch {
        merged = undefined;
      }
      if (typeof merged !== 'string') continue;
      out.push({
        unknown_id: merged,
        outcome: 'merged',
        at: m.at,
        by: m.actor,
        into_id: m.subject,
        into_name: m.subject,
        appearance_count: 0,
        last_seen: null,
      });
    }
  }
  const q = opts.query?.trim().toLowerCase();
  return out
    .filter(
      (e) =>
        !q ||
        e.unknown_id.toLowerCase().includes(q) ||
        (e.into_name ?? '').toLowerCase().includes(q) ||
        (e.into_id ?? '').toLowerCase().includes(q),
    )
    .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
    .slice(0, opts.limit);
}

/** Takes a wrongly attributed sighting away from an unknown person and re-derives their counts. */
export function removeSighting(
  engine: Engine,
  id: string,
  appearanceId: number,
  actor: string,
): UnknownDetail {
  const db = engine.db;
  db.transaction(() => {
    const row = mustGet(db, id);
    const found = db
      .prepare(
        "SELECT 1 FROM appearances WHERE appearance_id = ? AND person_kind = 'unknown' AND person_id = ?",
      )
      .get(appearanceId, id);
    if (!found) throw new VigilError('NOT_FOUND', `Sighting ${appearanceId} is not one of ${id}'s.`);
    const left = db
      .prepare("SELECT COUNT(*) FROM appearances WHERE person_kind = 'unknown' AND person_id = ?")
      .pluck()
      .get(id) as number;
    if (left <= 1)
      throw new VigilError(
        'CONFLICT',
        `This is the only sighting of ${row.unknown_id}; dismiss the case instead of removing it.`,
      );
    db.prepare('DELETE FROM appearances WHERE appearance_id = ?').run(appearanceId);
    recountUnknown(db, id);
    appendAudit(db, {
      actor,
      action: 'unknown_sighting_removed',
      subject: id,
      details: { appearance: appearanceId },
    });
  }).immediate();
  return unknownDetail(db, id);
}

/** A reviewer's merge of two ids of one stranger: `merge` is absorbed into `keep`. */
export function mergeUnknownInto(
  engine: Engine,
  keepId: string,
  mergeId: string,
  actor: string,
): UnknownView {
  if (keepId === mergeId)
    throw new VigilError('INVALID_ARGUMENT', 'An unknown person cannot be merged into itself.');
  const db = engine.db;
  db.transaction(() => {
    const keep = mustGet(db, keepId);
    const drop = mustGet(db, mergeId);
    mustBeActive(keep);
    mustBeActive(drop);
    absorbUnknown(db, engine.vectors, keep, drop, readConfig(db, 'max_embeddings_per_person'));
    appendAudit(db, { actor, action: 'unknowns_merged', subject: keepId, details: { merged: mergeId } });
  }).immediate();
  return getUnknownView(db, keepId);
}
