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
import { newMemberId, type NewMember } from '../store/members.js';
import type { Store } from '../store/store.js';
import type { UnknownRow, UnknownStatus } from '../store/unknowns.js';
import { absorbUnknown } from '../decide/merge-unknowns.js';

/**
 * The review queue: what a reviewer does with an unknown person (name them, make them a member,
 * dismiss them, take a wrong sighting away, merge two ids of one stranger). Each action runs in one
 * transaction with its audit row; audit rows carry ids and kinds only, never names or notes.
 */

export function unknownView(store: Store, row: UnknownRow): UnknownView {
  return {
    unknown_id: row.unknown_id,
    status: row.status,
    first_seen: row.first_seen,
    last_seen: row.last_seen,
    appearance_count: row.appearance_count,
    cameras: JSON.parse(row.cameras) as string[],
    has_crop: store.crops.has(row.unknown_id),
    identified_as: row.identified_as,
  };
}

function mustGet(store: Store, id: string): UnknownRow {
  const row = store.unknowns.get(id);
  if (!row) throw new VigilError('NOT_FOUND', `No unknown person with id ${id}.`);
  return row;
}

function mustBeActive(row: UnknownRow): void {
  if (row.status !== 'active')
    throw new VigilError('CONFLICT', `${row.unknown_id} was already ${row.status}; its case is closed.`);
}

export function listUnknownViews(
  store: Store,
  opts: { sort: 'newest' | 'frequent'; status: UnknownStatus | 'all' },
): UnknownView[] {
  return store.unknowns.query(opts).map((r) => unknownView(store, r));
}

export function getUnknownView(store: Store, id: string): UnknownView {
  return unknownView(store, mustGet(store, id));
}

/** Members whose stored faces resemble this unknown's, best first (for "possibly NAME?"). */
export function similarMembers(engine: Engine, id: string, k = 3): SimilarMember[] {
  const shots = engine.store.vectors.vectorsOf('unknown', id).filter((v) => !v.isCentroid);
  if (shots.length === 0) return [];
  const best = new Map<string, number>();
  for (const s of shots)
    for (const m of engine.store.vectors.searchPeople('member', s.vector, k))
      best.set(m.personId, Math.max(best.get(m.personId) ?? -1, m.similarity));
  // Far below the threshold a resemblance means nothing; 0.1 under it is still worth a look.
  const floor = engine.thresholds().recognition - 0.1;
  return [...best]
    .filter(([, sim]) => sim >= floor)
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .flatMap(([memberId, sim]) => {
      const m = engine.store.members.get(memberId);
      return m ? [{ member_id: memberId, name: m.name, similarity: Math.round(sim * 1e4) / 1e4 }] : [];
    });
}

export function unknownDetailWithMatches(engine: Engine, id: string): UnknownDetail {
  return {
    ...unknownDetail(engine.store, id),
    similar_members: similarMembers(engine, id),
    recognition_threshold: engine.thresholds().recognition,
  };
}

export function unknownDetail(store: Store, id: string): UnknownDetail {
  const row = mustGet(store, id);
  const sightings = store.appearances.ofUnknown(id);
  return {
    ...unknownView(store, row),
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
  store: Store,
  kind: 'member' | 'unknown',
  personId: string,
  note: string,
  actor: string,
): number[] {
  const ids = store.alerts.unresolvedOf(kind, personId);
  if (ids.length === 0) return ids;
  store.alerts.resolveAllOf(kind, personId, note, new Date().toISOString());
  store.audit.append({
    actor,
    action: 'alerts_resolved_with_case',
    subject: personId,
    details: { count: ids.length, alerts: ids.slice(0, 50).join(',') },
  });
  return ids;
}

/** The decrypted best-shot crop; viewing it is audited (who and whose, never the image). */
export function viewCrop(engine: Engine, id: string, actor: string): Buffer {
  mustGet(engine.store, id);
  const jpeg = engine.readCrop(id);
  engine.store.audit.append({ actor, action: 'crop_viewed', subject: id });
  return jpeg;
}

export function identifyUnknown(
  engine: Engine,
  id: string,
  who: { name: string; type: string; notes?: string | null },
  actor: string,
): UnknownView {
  const store = engine.store;
  store.transaction(() => {
    mustBeActive(mustGet(store, id));
    engine.resolveUnknown(id, 'identified', `${who.name} (${who.type})`, {
      actor,
      details: { type: who.type },
    });
    store.unknowns.setNotes(id, who.notes ?? null);
    closeAlertsOf(store, 'unknown', id, `Closed: ${id} was identified by ${actor}.`, actor);
  }, 'immediate');
  return getUnknownView(store, id);
}

export function dismissUnknown(engine: Engine, id: string, notes: string | null, actor: string): UnknownView {
  const store = engine.store;
  store.transaction(() => {
    mustBeActive(mustGet(store, id));
    engine.resolveUnknown(id, 'dismissed', undefined, { actor });
    store.unknowns.setNotes(id, notes);
    closeAlertsOf(store, 'unknown', id, `Closed: ${id} was dismissed by ${actor}.`, actor);
  }, 'immediate');
  return getUnknownView(store, id);
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
  const store = engine.store;
  const memberId = newMemberId();
  let moved = 0;
  try {
    store.transaction(() => {
      mustBeActive(mustGet(store, id));
      const shots = engine.store.vectors.vectorsOf('unknown', id).filter((v) => !v.isCentroid);
      if (shots.length === 0)
        throw new VigilError(
          'CONFLICT',
          `No face embeddings are stored for ${id}, so no member can be made from it; enroll the person with photos instead.`,
        );
      const qualities = store.unknowns.templateQualities(id);
      const quality = qualities.length ? qualities.reduce((s, q) => s + q, 0) / qualities.length : 0;
      store.members.insert(memberId, member, engine.recognizer.id, quality);
      store.members.setTypeAndNotes(memberId, member.member_type ?? 'member', member.notes ?? null);
      moved = engine.store.vectors.relabel(
        { kind: 'unknown', personId: id },
        { kind: 'member', personId: memberId },
      );
      engine.store.vectors.add('member', memberId, centroid(shots.map((s) => s.vector)), {
        isCentroid: true,
        quality,
      });
      engine.resolveUnknown(id, 'identified', memberId, { actor, details: { member: memberId } });
      const sightings = store.unknowns.handToMember(id, memberId);
      store.audit.append({
        actor,
        action: 'member_registered',
        subject: memberId,
        details: { source: 'unknown', unknown: id, embeddings: moved, sightings },
      });
      closeAlertsOf(store, 'member', memberId, `Closed: ${id} became member ${memberId} (${actor}).`, actor);
    }, 'immediate');
  } catch (e) {
    // The rollback restored the rows; put the in-memory index back to match them.
    engine.store.vectors.forget('member', memberId);
    const row = store.isOpen ? store.unknowns.get(id) : undefined;
    if (row?.status === 'active') engine.store.vectors.reactivate('unknown', id);
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
  const store = engine.store;
  let added = 0;
  let sightings = 0;
  let alerts: number[] = [];
  try {
    store.transaction(() => {
      mustBeActive(mustGet(store, id));
      const member = store.members.get(memberId);
      if (!member) throw new VigilError('NOT_FOUND', `No member with id ${memberId}.`);
      const max = store.settings.read('max_embeddings_per_person');
      const have = engine.store.vectors.vectorsOf('member', memberId).filter((v) => !v.isCentroid).length;
      const shots = store.unknowns.shotsByQuality(id);
      // At least the best face joins: the views the member was missed in are what they lack.
      const room = Math.max(1, max - have);
      for (const shot of shots.slice(0, room)) {
        engine.store.vectors.add('member', memberId, engine.store.vectors.vector(shot.id), {
          quality: shot.quality,
        });
        added++;
      }
      engine.resolveUnknown(id, 'identified', memberId, { actor, details: { member: memberId } });
      engine.store.vectors.removePerson('unknown', id);
      store.unknowns.setNotes(id, notes);
      sightings = store.unknowns.handToMember(id, memberId);
      alerts = closeAlertsOf(
        store,
        'member',
        memberId,
        `Closed: ${id} was identified as ${memberId} by ${actor}.`,
        actor,
      );
      store.audit.append({
        actor,
        action: 'unknown_assigned',
        subject: id,
        details: { member: memberId, embeddings: added, sightings, alerts: alerts.length },
      });
    }, 'immediate');
  } catch (e) {
    // The rollback restored the rows; put the in-memory index back to match them.
    if (store.isOpen) {
      engine.store.vectors.reactivate('member', memberId);
      if (store.unknowns.get(id)?.status === 'active') engine.store.vectors.reactivate('unknown', id);
    }
    throw e;
  }
  return {
    unknown: getUnknownView(store, id),
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
  store: Store,
  opts: { query?: string; outcome: 'identified' | 'dismissed' | 'merged' | 'all'; limit: number },
): UnknownHistoryEntry[] {
  const out: UnknownHistoryEntry[] = [];
  if (opts.outcome !== 'merged') {
    for (const r of store.unknowns.closed(opts.outcome)) {
      const closed = store.audit.latest(r.unknown_id, ['unknown_identified', 'unknown_dismissed']);
      const member = r.identified_as ? store.members.get(r.identified_as) : undefined;
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
    const merges = store.audit.withAction('unknowns_merged');
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
  const store = engine.store;
  store.transaction(() => {
    const row = mustGet(store, id);
    if (!store.appearances.isOfUnknown(appearanceId, id))
      throw new VigilError('NOT_FOUND', `Sighting ${appearanceId} is not one of ${id}'s.`);
    const left = store.appearances.countOfUnknown(id);
    if (left <= 1)
      throw new VigilError(
        'CONFLICT',
        `This is the only sighting of ${row.unknown_id}; dismiss the case instead of removing it.`,
      );
    store.appearances.delete(appearanceId);
    store.unknowns.recount(id);
    store.audit.append({
      actor,
      action: 'unknown_sighting_removed',
      subject: id,
      details: { appearance: appearanceId },
    });
  }, 'immediate');
  return unknownDetail(store, id);
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
  const store = engine.store;
  store.transaction(() => {
    const keep = mustGet(store, keepId);
    const drop = mustGet(store, mergeId);
    mustBeActive(keep);
    mustBeActive(drop);
    absorbUnknown(store, keep, drop, store.settings.read('max_embeddings_per_person'));
    store.audit.append({ actor, action: 'unknowns_merged', subject: keepId, details: { merged: mergeId } });
  }, 'immediate');
  return getUnknownView(store, keepId);
}
