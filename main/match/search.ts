/**
 * Exact rescoring of prefilter candidates, and the candidate budget that makes the prefilter safe.
 *
 * Embeddings are stored L2-normalised, so cosine similarity is the plain dot product; nothing here
 * renormalises, which would only hide a caller that forgot to.
 */

import { dot } from './similarity.js';

export { dot };

export interface ScoredId {
  id: number;
  similarity: number;
}

/*
 * Prefilter budgets, from main/bench/search.ts with 512-bit codes (synthetic faces whose impostor
 * cosines have mean 0.03 and sd 0.08 at 512-d, 0.09 at 128-d, as with ArcFace/MobileFaceNet-class
 * models; genuine probes at cosine 0.45–0.7 to their source; open-set probes are faces nobody
 * enrolled). The figure that matters is the rank of the exact top-1:
 *
 *                                Hamming rank (pool)      asymmetric rank in pool (candidates)
 *   512-d 100k genuine           max 64                   max 3
 *   512-d 100k open-set ≥ 0.36   p50 21, max 752          p50 2, max 122
 *   512-d 1M   genuine           p99 899, max 1134        p99 5, max 23
 *   512-d 1M   open-set ≥ 0.36   p50 66, max 8816         p50 6, max 678
 *   128-d 1M   genuine           p99 115, max 813         p99 7, max 9
 *   128-d 1M   open-set ≥ 0.36   p50 20, max 9464         p50 4, max 448
 *
 * Genuine probes are easy: their code is far closer than any impostor's. The hard case is an open-set
 * probe whose best impostor still clears the match threshold — only marginally closer than the rest,
 * so its rank grows with the gallery. Missing it turns a false match into a different one or none,
 * which is still a disagreement with exact search, so both budgets are sized for it, not just for
 * genuine recall. Hamming ranks grow about linearly with the gallery, asymmetric ranks more slowly.
 */

/**
 * How many Hamming-nearest codes the prefilter re-ranks by asymmetric score for a gallery of `size`:
 * 2% of the gallery, at least 2048 — about twice the worst Hamming rank measured at either size.
 * Scoring the pool costs ~60 ns a code inside the scan (~1.5 ms for 1M), so a generous pool is cheap.
 */
export function prefilterPool(size: number): number {
  if (size <= 0) return 0;
  return Math.min(size, Math.max(2048, Math.ceil(size / 50)));
}

/**
 * How many prefilter candidates to rescore exactly for a gallery of `size`: ½√size, at least 64
 * (159 at 100k, 500 at 1M). Each costs a float fetch from sqlite (~12–18 µs with the database
 * memory-mapped) and that, not the scan, dominates the latency budget, so the count follows the
 * slower-than-linear growth of the asymmetric rank rather than the gallery size: it covers every
 * genuine probe with a wide margin and nearly every open-set false match.
 */
export function candidateCount(size: number): number {
  if (size <= 0) return 0;
  return Math.min(size, Math.max(64, Math.ceil(Math.sqrt(size) / 2)));
}

/** Orders by similarity, best first; equal similarities by id so results are deterministic. */
const better = (a: ScoredId, b: ScoredId): boolean =>
  a.similarity > b.similarity || (a.similarity === b.similarity && a.id < b.id);

/**
 * The k candidates most similar to the query, best first, by exact cosine. Keeps a sorted buffer of at
 * most k entries: after it fills, almost every candidate loses to the current worst in one comparison,
 * so a full scan is O(n) for the small k used in identification.
 */
export function rescore(
  query: Float32Array,
  candidates: Iterable<[number, Float32Array]>,
  k: number,
): ScoredId[] {
  const limit = Math.max(0, Math.floor(k));
  const top: ScoredId[] = [];
  if (limit === 0) return top;
  for (const [id, vector] of candidates) {
    if (vector.length !== query.length) {
      throw new RangeError(
        `rescore: embedding ${id} has ${vector.length} dimensions, query has ${query.length}`,
      );
    }
    const scored = { id, similarity: dot(query, vector) };
    if (top.length === limit) {
      if (!better(scored, top[limit - 1] as ScoredId)) continue;
      top.pop();
    }
    let at = top.length;
    while (at > 0 && better(scored, top[at - 1] as ScoredId)) at--;
    top.splice(at, 0, scored);
  }
  return top;
}

/** Brute-force reference: the exact top-k over every embedding, for tests and benchmarks. */
export function exactTopK(query: Float32Array, all: Iterable<[number, Float32Array]>, k: number): ScoredId[] {
  return rescore(query, all, k);
}
