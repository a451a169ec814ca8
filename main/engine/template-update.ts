/**
 * Member templates that keep up with how people look now: a live sighting that named a member
 * confidently, on a good-quality face, with no other member close, becomes one of their stored
 * shots. The number of shots stays within max_embeddings_per_person (the worst, then oldest, learnt
 * shot is retired, not deleted — enrolled shots only once no learnt one is left: they are the
 * operator's word on who this is), every update is audited with what it added
 * and retired, and `revertTemplateUpdate` undoes one.
 */
import type { Thresholds } from '../decide/bands.js';
import { centroid } from '../match/similarity.js';
import { ENROLL_GATE, gateFailure, type FaceQuality } from '../quality/quality.js';
import type { Store } from '../store/store.js';

/** How far above the recognition threshold a sighting must score to teach anything. */
export const CONFIDENT_MARGIN = 0.1;
/** How far ahead of the runner-up member it must be: an ambiguous face teaches the wrong person. */
export const UNAMBIGUOUS_MARGIN = 0.12;
/** Closer than this to a stored shot, a sighting adds nothing new. */
export const NEAR_DUPLICATE = 0.9;

export interface Sighting {
  memberId: string;
  embedding: Float32Array;
  quality: FaceQuality;
  /** The appearance the sighting was logged as, so a later correction can find the update. */
  appearanceId: number | null;
  /** True when an operator said this sighting was not this member: it never teaches. */
  corrected?: boolean;
}

export type UpdateOutcome =
  { updated: true; added: number; retired: number | null } | { updated: false; reason: string };

/** Replaces the member's centroid with the mean of their current shots (inside a transaction). */
function refreshCentroid(s: Store, memberId: string): void {
  const stored = s.vectors.vectorsOf('member', memberId);
  for (const v of stored) if (v.isCentroid) s.vectors.removeVector(v.id);
  const shots = stored.filter((v) => !v.isCentroid).map((v) => v.vector);
  if (shots.length > 0) s.vectors.add('member', memberId, centroid(shots), { isCentroid: true });
}

/** Decides whether `sighting` may teach its member's template and, if so, stores it (audited). */
export function learnFromSighting(
  s: Store,
  sighting: Sighting,
  t: Thresholds,
  actor = 'engine',
): UpdateOutcome {
  if (sighting.corrected) return { updated: false, reason: 'corrected by an operator' };
  if (gateFailure(sighting.quality, ENROLL_GATE)) return { updated: false, reason: 'quality' };
  const [top, second] = s.vectors.searchPeople('member', sighting.embedding, 2);
  if (!top || top.personId !== sighting.memberId) return { updated: false, reason: 'not the top member' };
  if (top.similarity < t.recognition + CONFIDENT_MARGIN) return { updated: false, reason: 'not confident' };
  if (second && top.similarity - second.similarity < UNAMBIGUOUS_MARGIN)
    return { updated: false, reason: 'ambiguous' };
  if (top.similarity >= NEAR_DUPLICATE) return { updated: false, reason: 'nothing new' };
  const maxShots = s.settings.read('max_embeddings_per_person');
  return s.transaction((): UpdateOutcome => {
    const shots = s.templates.replaceableShots(sighting.memberId);
    let retired: number | null = null;
    if (shots.length >= maxShots) {
      const worst = shots[0]!;
      // Only a better view replaces one: a full template never gets worse by learning.
      if (worst.quality !== null && worst.quality >= sighting.quality.score)
        return { updated: false, reason: 'no worse shot to replace' };
      s.vectors.retire(worst.id);
      retired = worst.id;
    }
    const added = s.vectors.add('member', sighting.memberId, sighting.embedding, {
      quality: sighting.quality.score,
      learnt: { appearanceId: sighting.appearanceId },
    });
    refreshCentroid(s, sighting.memberId);
    s.audit.append({
      actor,
      action: 'template_updated',
      subject: sighting.memberId,
      details: {
        added,
        retired,
        appearance: sighting.appearanceId,
        similarity: Math.round(top.similarity * 1e4) / 1e4,
      },
    });
    return { updated: true, added, retired };
  }, 'immediate');
}

/**
 * Undoes template updates: the learnt shot is deleted and the one it displaced is matched again.
 * By the learnt shot's id, or every update taught by one appearance (an operator's correction).
 */
export function revertTemplateUpdate(
  s: Store,
  by: { embeddingId: number } | { appearanceId: number },
  actor: string,
): number {
  return s.transaction(() => {
    const rows = s.templates.learntShots(by);
    for (const r of rows) {
      const audit = s.templates.updateRecords(r.memberId);
      const entry = audit
        .map((d) => JSON.parse(d) as { added: number; retired: number | null })
        .find((d) => d.added === r.id);
      s.vectors.removeVector(r.id);
      if (entry?.retired != null) s.vectors.restore(entry.retired);
      refreshCentroid(s, r.memberId);
      s.audit.append({
        actor,
        action: 'template_update_reverted',
        subject: r.memberId,
        details: { removed: r.id, restored: entry?.retired ?? null },
      });
    }
    return rows.length;
  }, 'immediate');
}
