import { centroid, dot } from '../match/similarity.js';
import type { Store } from '../store/store.js';
import type { UnknownRow } from '../store/unknowns.js';

export interface MergeResult {
  kept: string;
  merged: string;
  similarity: number;
}

/**
 * One stranger split over several UNKNOWN_ ids (a track broken by an occlusion, a first sighting
 * in poor light) is stitched back together: active unknowns whose templates are closer than
 * `threshold` are merged, the one seen more often absorbing the other — its appearances, cameras,
 * first/last seen and best embeddings. Greedy, highest similarity first, each id used once per pass;
 * a later pass can merge further.
 */
export function mergeUnknownFragments(store: Store, threshold: number, maxShots: number): MergeResult[] {
  const vectors = store.vectors;
  const rows = store.unknowns.active();
  const templates = new Map<string, Float32Array>();
  for (const r of rows) {
    const vs = vectors.vectorsOf('unknown', r.unknown_id).map((v) => v.vector);
    if (vs.length) templates.set(r.unknown_id, centroid(vs));
  }
  const ids = [...templates.keys()];
  const pairs: { a: string; b: string; s: number }[] = [];
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const s = dot(templates.get(ids[i]!)!, templates.get(ids[j]!)!);
      if (s >= threshold) pairs.push({ a: ids[i]!, b: ids[j]!, s });
    }
  }
  pairs.sort((x, y) => y.s - x.s);
  const used = new Set<string>();
  const byId = new Map(rows.map((r) => [r.unknown_id, r]));
  const results: MergeResult[] = [];
  for (const p of pairs) {
    if (used.has(p.a) || used.has(p.b)) continue;
    used.add(p.a);
    used.add(p.b);
    const [keep, drop] =
      byId.get(p.a)!.appearance_count >= byId.get(p.b)!.appearance_count
        ? [byId.get(p.a)!, byId.get(p.b)!]
        : [byId.get(p.b)!, byId.get(p.a)!];
    store.transaction(() => {
      absorbUnknown(store, keep, drop, maxShots);
      store.audit.append({
        actor: 'engine',
        action: 'unknowns_merged',
        subject: keep.unknown_id,
        details: { merged: drop.unknown_id, similarity: Math.round(p.s * 1000) / 1000 },
      });
    }, 'immediate');
    results.push({ kept: keep.unknown_id, merged: drop.unknown_id, similarity: p.s });
  }
  return results;
}

/**
 * Moves one unknown person into another: appearances, alerts, cameras, first/last seen, the crop
 * when the kept one has none, and the best embeddings up to `maxShots`; the dropped row and its
 * vectors are deleted. Call inside the caller's transaction, which also audits the merge.
 */
export function absorbUnknown(store: Store, keep: UnknownRow, drop: UnknownRow, maxShots: number): void {
  const vectors = store.vectors;
  const cameras = [
    ...new Set([...(JSON.parse(keep.cameras) as string[]), ...(JSON.parse(drop.cameras) as string[])]),
  ];
  store.unknowns.mergeRows({
    keep: keep.unknown_id,
    drop: drop.unknown_id,
    appearances: drop.appearance_count,
    cameras,
    firstSeen: drop.first_seen,
    lastSeen: drop.last_seen,
    bestQuality: drop.best_quality ?? 0,
  });
  // Keep the kept person's crop if it has one, else take over the other's.
  if (store.crops.has(keep.unknown_id)) store.crops.delete(drop.unknown_id);
  else store.crops.move(drop.unknown_id, keep.unknown_id);
  const have = vectors.vectorsOf('unknown', keep.unknown_id).length;
  const moving = store.unknowns.templatesByQuality(drop.unknown_id);
  for (const id of moving.slice(0, Math.max(0, maxShots - have)))
    vectors.add('unknown', keep.unknown_id, vectors.vector(id), {});
  vectors.removePerson('unknown', drop.unknown_id);
  store.unknowns.delete(drop.unknown_id);
}
