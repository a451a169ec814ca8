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
