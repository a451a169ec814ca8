import type { AppearanceView, UnknownDetail, UnknownView } from '../contract/contract.js';
import type { Engine } from '../engine/engine.js';
import { VigilError } from '../errors.js';
import { centroid } from '../match/similarity.js';
import { hasCrop, readCrop } from '../privacy/crops.js';
import type { AppearanceRow } from '../store/appearances.js';
import { appendAudit } from '../store/audit.js';
import { readConfig } from '../store/config.js';
import { insertMember, newMemberId, type NewMember } from '../store/members.js';
import {
  getUnknown,
  queryUnknowns,
  recountUnknown,
  setUnknownNotes,
  type UnknownRow,
  type UnknownStatus,
} from '../store/unknowns.js';
import { absorbUnknown } from './merge-unknowns.js';

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
  };
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
  }).immediate();
  return getUnknownView(db, id);
}

export function dismissUnknown(engine: Engine, id: string, notes: string | null, actor: string): UnknownView {
  const db = engine.db;
  db.transaction(() => {
    mustBeActive(mustGet(db, id));
    engine.resolveUnknown(id, 'dismissed', undefined, { actor });
    setUnknownNotes(db, id, notes);
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
      appendAudit(db, {
        actor,
        action: 'member_registered',
        subject: memberId,
        details: { source: 'unknown', unknown: id, embeddings: moved },
      });
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
