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
 * How many prefilter candidates to rescore exactly (float fetch + dot product) for a gallery of `size`.
 * PLACEHOLDER: tuned from main/bench/search.ts measurements below.
 */
export function candidateCount(size: number): number {
  if (size <= 0) return 0;
  return Math.min(size, 256);
}

/** How many Hamming-nearest codes the prefilter re-ranks by asymmetric score. */
export function prefilterPool(size: number): number {
  if (size <= 0) return 0;
  return Math.min(size, Math.max(4096, Math.ceil(size / 64)));
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
