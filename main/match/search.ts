/**
 * Exact rescoring of prefilter candidates, and the candidate budget that makes the prefilter safe.
 *
 * Embeddings are stored L2-normalised, so cosine similarity is the plain dot product; nothing here
 * renormalises, which would only hide a caller that forgot to.
 */

export interface ScoredId {
  id: number;
  similarity: number;
}

/**
 * How many Hamming-nearest candidates to rescore exactly for a gallery of `size` embeddings.
 *
 * Measured with main/bench/search.ts (512-d synthetic faces whose impostor cosines have a standard
 * deviation of ~0.08, like ArcFace-class models, and genuine probes at cosine 0.45–0.7 to their
 * source):
 * - Genuine probes are easy: the true match sits within the first ~10 Hamming ranks at 100k and the
 *   first ~100 at 1M, because its code is far closer than any impostor's.
 * - The hard case is an open-set probe (nobody enrolled) whose best impostor still clears the match
 *   threshold: that impostor is only marginally closer than the rest, so its Hamming rank spreads out
 *   roughly in proportion to the gallery size (up to a few hundred at 100k). Missing it would turn a
 *   false match into a different false match — or no match — so the budget is sized for it too.
 * - Cost is dominated by fetching candidates' floats from sqlite (~8–15 µs each with the database
 *   memory-mapped), not by the scan, so the budget grows sublinearly: ~512 candidates at 100k
 *   (~4 ms) and ~2000 at 1M still fit the 5 ms / 30 ms targets.
 * Small galleries are rescored exhaustively: below the floor the scan saves nothing worth the risk.
 */
export function candidateCount(size: number): number {
  if (size <= 0) return 0;
  const floor = 256;
  if (size <= floor) return size;
  return Math.min(size, Math.max(floor, Math.ceil(2 * Math.sqrt(size) * Math.log2(size) * 0.1)));
}

/** Cosine similarity of two unit vectors of equal length. */
export function dot(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  // Four independent accumulators let the JIT overlap the multiply-adds instead of serialising on one.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += (a[i] as number) * (b[i] as number);
    s1 += (a[i + 1] as number) * (b[i + 1] as number);
    s2 += (a[i + 2] as number) * (b[i + 2] as number);
    s3 += (a[i + 3] as number) * (b[i + 3] as number);
  }
  for (; i < n; i++) s0 += (a[i] as number) * (b[i] as number);
  return s0 + s1 + s2 + s3;
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
