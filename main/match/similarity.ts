export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Unit-length mean of unit vectors: the person's template. */
export function centroid(vectors: readonly Float32Array[]): Float32Array {
  const c = new Float32Array(vectors[0]!.length);
  for (const v of vectors) for (let i = 0; i < c.length; i++) c[i]! += v[i]!;
  let n = 0;
  for (let i = 0; i < c.length; i++) n += c[i]! * c[i]!;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < c.length; i++) c[i]! /= n;
  return c;
}

/**
 * A probe's similarity to a person: the better of their centroid and their closest stored shot.
 * The centroid averages out one bad photo; the closest shot keeps a distinct look (glasses,
 * beard) that the average would blur.
 */
export function personSimilarity(
  probe: Float32Array,
  center: Float32Array,
  shots: readonly Float32Array[],
): number {
  let best = dot(probe, center);
  for (const s of shots) best = Math.max(best, dot(probe, s));
  return best;
}
