/**
 * Threshold choice from score samples: the similarity at which a chosen share of impostor
 * comparisons is accepted, and how many genuine comparisons pass there. Shared by
 * `vigil calibrate` and bench:accuracy so the product and its benchmark choose thresholds alike.
 */

/**
 * The lowest threshold whose accepted share of `impostors` is at most `far`: a score is accepted
 * at `threshold` when it is ≥ it. With n impostor scores the finest step is 1/n, so a FAR below
 * 1/n is met by sitting just above the highest impostor.
 */
export function thresholdAtFar(impostors: readonly number[], far: number): number {
  if (impostors.length === 0) return NaN;
  const sorted = [...impostors].sort((a, b) => b - a);
  const allowed = Math.floor(far * sorted.length);
  // Accepting `allowed` scores means sitting just above the next one down.
  const bar = sorted[Math.min(allowed, sorted.length - 1)]!;
  return bar + 1e-6;
}

/** Share of `scores` at or above `threshold`. */
export function rateAtOrAbove(scores: readonly number[], threshold: number): number {
  if (scores.length === 0) return NaN;
  let n = 0;
  for (const s of scores) if (s >= threshold) n++;
  return n / scores.length;
}

export interface DetPoint {
  threshold: number;
  /** False accepts: impostor scores at or above the threshold. */
  far: number;
  /** False rejects: genuine scores below the threshold. */
  frr: number;
}

/** The detection-error trade-off over `steps` thresholds spanning both samples. */
export function detCurve(genuine: readonly number[], impostors: readonly number[], steps = 60): DetPoint[] {
  if (genuine.length === 0 || impostors.length === 0) return [];
  const all = [...genuine, ...impostors];
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const points: DetPoint[] = [];
  for (let i = 0; i <= steps; i++) {
    const threshold = lo + ((hi - lo) * i) / steps;
    points.push({
      threshold,
      far: rateAtOrAbove(impostors, threshold),
      frr: 1 - rateAtOrAbove(genuine, threshold),
    });
  }
  return points;
}
