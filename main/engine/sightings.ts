import type { Box } from '../contract/contract.js';
import { deleteCrop } from '../privacy/crops.js';
import { newUnknownId } from '../store/unknowns.js';
import type { PersonMatch } from '../store/vectors.js';
import type { Engine } from './engine.js';

/**
 * The store writes of one live sighting, each a single transaction, shared by the pipeline and
 * the crash harness that checks they survive a kill at any point. A write that creates a row may
 * carry an `opId` (a UUID chosen when the write was decided, see buffered-writer.ts): written again
 * after its first commit's answer was lost, it finds that row and changes nothing.
 */

/** The contract's face box, [x1, y1, x2, y2] in frame pixels. */
export type Bbox = Box;

const iso = (ms: number): string => new Date(ms).toISOString();

export interface MemberSighting {
  memberId: string;
  cameraId: string;
  firstSeen: number;
  lastSeen: number;
  similarity: number;
  bbox: Bbox;
}

/** A member named on a camera: one appearance row, and the member's last sighting. */
export function recordMemberSighting(engine: Engine, s: MemberSighting, opId?: string): number {
  const store = engine.store;
  return store.transaction(() => {
    const done = opId === undefined ? undefined : store.appearances.idOfOp(opId);
    if (done !== undefined) return done;
    const id = store.appearances.insert({
      person_kind: 'member',
      person_id: s.memberId,
      camera_id: s.cameraId,
      source: 'camera',
      first_seen: iso(s.firstSeen),
      last_seen: iso(s.lastSeen),
      confidence: s.similarity,
      bbox: s.bbox,
      op_id: opId ?? null,
    });
    store.members.recordSeen(s.memberId, iso(s.lastSeen));
    return id;
  }, 'immediate');
}

/** The track of an already logged appearance went on: its end moves. */
export function extendAppearance(engine: Engine, appearanceId: number, lastSeen: number): void {
  engine.store.sightings.setAppearanceEnd(appearanceId, iso(lastSeen));
}

export interface UnknownShot {
  embedding: Float32Array;
  quality: number;
}

export interface UnknownSighting {
  cameraId: string;
  firstSeen: number;
  lastSeen: number;
  bbox: Bbox;
  /** Best shots first. */
  shots: UnknownShot[];
  /** The nearest stored unknown person, if any. */
  nearest: PersonMatch | undefined;
  /** What `nearest` was searched with (the track's template); absent: the best shot. */
  probe?: Float32Array;
  /** Similarity from which the nearest unknown is taken to be the same person. */
  unknownThreshold: number;
  /** The member this stranger resembles, close below the recognition threshold (kept on the appearance). */
  possibleMember?: { memberId: string; similarity: number } | null;
  /** Filled with the ids of the vectors this sighting stored (so a corrected sighting can take them back). */
  vectorsAdded?: number[];
}

export interface UnknownPlan {
  kind: 'new_unknown' | 'recurring_unknown';
  unknownId: string;
  confidence: number;
}

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

/** Who the stranger is taken to be, decided before (and whether or not) anything is written. */
export function planUnknownSighting(s: UnknownSighting): UnknownPlan {
  if (s.nearest && s.nearest.similarity >= s.unknownThreshold) {
    return {
      kind: 'recurring_unknown',
      unknownId: s.nearest.personId,
      confidence: round4(s.nearest.similarity),
    };
  }
  return {
    kind: 'new_unknown',
    unknownId: newUnknownId(new Date(s.firstSeen)),
    confidence: round4(1 - Math.max(0, s.nearest?.similarity ?? 0)),
  };
}

/**
 * Records a stranger's track: a new unknown person (row, best shots, audit entry) or one more
 * sighting of a known one (a few more views kept), and the appearance. Returns the appearance id.
 * If the transaction fails, the in-memory search index is put back to what the store holds, so
 * no vector that was rolled back can be matched (or fail a later search).
 *
 * A new stranger is decided again inside the (immediate) transaction, against the index as it is
 * then: on the shared store another node may have created this very stranger since the plan was
 * made (the transaction's start brings its vectors in), and the sighting joins that identity
 * instead of making a second one. `plan` is updated in place, so the caller sees who it became.
 * On the embedded store nothing can have changed in between, and the decision stays the plan's.
 */
export function recordUnknownSighting(
  engine: Engine,
  s: UnknownSighting,
  plan: UnknownPlan,
  opId?: string,
): number {
  const store = engine.store;
  const vectors = store.vectors;
  const quality = s.shots[0]?.quality ?? 0;
  const maxShots = store.settings.read('max_embeddings_per_person');
  let id = plan.unknownId;
  try {
    return store.transaction(() => {
      const done = opId === undefined ? undefined : store.appearances.idOfOp(opId);
      if (done !== undefined) return done;
      const probe = s.probe ?? s.shots[0]?.embedding;
      if (plan.kind === 'new_unknown' && probe) {
        const now = vectors.searchPeople('unknown', probe, 1)[0];
        if (now && now.similarity >= s.unknownThreshold) {
          plan.kind = 'recurring_unknown';
          plan.unknownId = now.personId;
          plan.confidence = round4(now.similarity);
          id = now.personId;
        }
      }
      if (plan.kind === 'recurring_unknown') {
        store.unknowns.recordSeen(id, iso(s.lastSeen), s.cameraId, quality);
        const have = vectors.vectorsOf('unknown', id).length;
        for (const shot of s.shots.slice(0, Math.max(0, Math.min(2, maxShots - have)))) {
          // Not inside `?.push(…)`: optional chaining would skip the add itself without a list.
          const added = vectors.add('unknown', id, shot.embedding, { quality: shot.quality });
          s.vectorsAdded?.push(added);
        }
      } else {
        store.unknowns.insert(id, iso(s.firstSeen), s.cameraId, quality, engine.recognizer.id);
        if (s.lastSeen > s.firstSeen) store.sightings.setUnknownLastSeen(id, iso(s.lastSeen));
        for (const shot of s.shots.slice(0, maxShots)) {
          // Not inside `?.push(…)`: optional chaining would skip the add itself without a list.
          const added = vectors.add('unknown', id, shot.embedding, { quality: shot.quality });
          s.vectorsAdded?.push(added);
        }
        store.audit.append({
          actor: 'engine',
          action: 'unknown_detected',
          subject: id,
          details: { camera: s.cameraId },
        });
      }
      const appearance = store.appearances.insert({
        person_kind: 'unknown',
        person_id: id,
        camera_id: s.cameraId,
        source: 'camera',
        first_seen: iso(s.firstSeen),
        last_seen: iso(s.lastSeen),
        confidence: plan.confidence,
        bbox: s.bbox,
        op_id: opId ?? null,
      });
      if (s.possibleMember)
        store.sightings.setPossibleMember(
          appearance,
          s.possibleMember.memberId,
          round4(s.possibleMember.similarity),
        );
      return appearance;
    }, 'immediate');
  } catch (e) {
    if (store.isOpen) vectors.reactivate('unknown', id);
    throw e;
  }
}

export interface OpenSighting {
  appearanceId: number;
  kind: 'member' | 'unknown';
  personId: string;
}

/**
 * A track still in view: its appearance's end and the person's last sighting move (written every
 * few seconds, so a guard looking at the store sees who is here now).
 */
export function extendSighting(engine: Engine, s: OpenSighting, lastSeen: number): void {
  const store = engine.store;
  const at = iso(lastSeen);
  store.transaction(() => {
    store.sightings.extendAppearance(s.appearanceId, at);
    if (s.kind === 'unknown') store.sightings.extendUnknownSeen(s.personId, at);
    else store.sightings.extendMemberSeen(s.personId, at);
  }, 'immediate');
}

/**
 * A visit that outlived the maximum track age goes on in a new appearance row of the same person
 * (no new identity, no alert); the person's sighting count grows by one.
 */
export type ContinuedSighting = Omit<OpenSighting, 'appearanceId'> & {
  cameraId: string;
  at: number;
  confidence: number;
  bbox: Bbox;
};

export function continueSighting(engine: Engine, s: ContinuedSighting, opId?: string): number {
  const store = engine.store;
  return store.transaction(() => {
    const done = opId === undefined ? undefined : store.appearances.idOfOp(opId);
    if (done !== undefined) return done;
    const id = store.appearances.insert({
      person_kind: s.kind,
      person_id: s.personId,
      camera_id: s.cameraId,
      source: 'camera',
      first_seen: iso(s.at),
      last_seen: iso(s.at),
      confidence: s.confidence,
      bbox: s.bbox,
      op_id: opId ?? null,
    });
    if (s.kind === 'member') store.members.recordSeen(s.personId, iso(s.at));
    else store.unknowns.recordSeen(s.personId, iso(s.at), s.cameraId, 0);
    return id;
  }, 'immediate');
}

/**
 * A stranger the reviewers dismissed, seen again: the visit is logged under the dismissed case,
 * which stays closed (no new identity, no vectors added, no alert).
 */
export interface DismissedSighting {
  unknownId: string;
  cameraId: string;
  firstSeen: number;
  lastSeen: number;
  similarity: number;
  bbox: Bbox;
}

export function recordDismissedSighting(engine: Engine, s: DismissedSighting, opId?: string): number {
  const store = engine.store;
  return store.transaction(() => {
    const done = opId === undefined ? undefined : store.appearances.idOfOp(opId);
    if (done !== undefined) return done;
    store.unknowns.recordSeen(s.unknownId, iso(s.lastSeen), s.cameraId, 0);
    return store.appearances.insert({
      person_kind: 'unknown',
      person_id: s.unknownId,
      camera_id: s.cameraId,
      source: 'camera',
      first_seen: iso(s.firstSeen),
      last_seen: iso(s.lastSeen),
      confidence: round4(s.similarity),
      bbox: s.bbox,
      op_id: opId ?? null,
    });
  }, 'immediate');
}

export interface Correction {
  /** The visit's appearance rows, logged under the unknown person. */
  appearanceIds: number[];
  unknownId: string;
  /** The unknown person was created by this visit (not an earlier one it joined). */
  created: boolean;
  /** Vectors this visit stored under the unknown person. */
  vectorsAdded: number[];
  memberId: string;
  similarity: number;
  cameraId: string;
  lastSeen: number;
}

/**
 * A stranger who turns out to be a member, by later evidence of the same visit: the visit's
 * appearances move to the member, the views it gave the unknown person are taken back, an unknown
 * person left with no sighting is deleted (row, vectors, crop), and the correction is audited.
 * Returns whether the unknown person was deleted.
 */
export function correctToMember(engine: Engine, c: Correction): boolean {
  const store = engine.store;
  return store.transaction(() => {
    for (const id of c.appearanceIds)
      store.sightings.moveToMember(id, c.unknownId, c.memberId, round4(c.similarity));
    store.members.recordSeen(c.memberId, iso(c.lastSeen));
    const left = store.appearances.countOfUnknown(c.unknownId);
    const removed = c.created && left === 0;
    if (removed) {
      store.vectors.removePerson('unknown', c.unknownId);
      deleteCrop(store, c.unknownId);
      store.unknowns.delete(c.unknownId);
    } else {
      for (const id of c.vectorsAdded) store.vectors.removeVector(id);
      store.unknowns.recount(c.unknownId);
    }
    store.audit.append({
      actor: 'engine',
      action: 'sighting_corrected',
      subject: c.memberId,
      details: {
        from: c.unknownId,
        camera: c.cameraId,
        appearances: c.appearanceIds.join(','),
        unknown_removed: removed,
      },
    });
    return removed;
  }, 'immediate');
}
