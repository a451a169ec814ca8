/**
 * Score normalisation against the closest other member (the cohort of one that matters).
 *
 * A stranger tends to resemble several members a little, a member resembles one member a lot. So
 * the top candidate's cosine says more when the runner-up is far below it: every candidate of a
 * probe loses `weight` × (runner-up − `above`) when the runner-up scores above `above`, and
 * nothing otherwise. The shift is the same for every candidate of the probe, so the ranking is
 * unchanged; a clear match keeps its cosine, a face close to two members drops below the
 * threshold sooner. The runner-up is already among the prefilter's rescored candidates, so
 * this costs nothing at search time.
 *
 * The rule belongs to the recognizer (its manifest params `runner_up_weight` and
 * `runner_up_above`, read by Engine), because where a runner-up stops being noise depends on the
 * model's score scale. What it buys is measured by bench:accuracy (README, Measured → Accuracy).
 */
export interface RunnerUpPenalty {
  /** Fraction of the runner-up's excess over `above` taken off every candidate. */
  weight: number;
  /** A runner-up at or below this similarity is noise and costs nothing. */
  above: number;
}

/** What one probe's candidates lose, given the similarity of its second-best person. */
export function penaltyFor(runnerUp: number | undefined, rule: RunnerUpPenalty | null): number {
  if (!rule || runnerUp === undefined) return 0;
  return rule.weight * Math.max(0, runnerUp - rule.above);
}

/**
 * The probe's candidates, best first, each lowered by the probe's penalty. `ranked` must hold the
 * best two people when there are two (search with k ≥ 2).
 */
export function penaliseRunnerUp<T extends { similarity: number }>(
  ranked: readonly T[],
  rule: RunnerUpPenalty | null,
): T[] {
  const p = penaltyFor(ranked[1]?.similarity, rule);
  return p === 0 ? [...ranked] : ranked.map((m) => ({ ...m, similarity: m.similarity - p }));
}
