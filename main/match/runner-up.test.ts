import { describe, expect, it } from 'vitest';
import { penaliseRunnerUp, penaltyFor } from './runner-up.js';

const rule = { weight: 0.5, above: 0.3 };
const ranked = (...s: number[]): { id: number; similarity: number }[] =>
  s.map((similarity, id) => ({ id, similarity }));

describe('runner-up penalty', () => {
  it('leaves a clear match alone: a runner-up at or below the floor is noise', () => {
    expect(penaliseRunnerUp(ranked(0.62, 0.3, 0.1), rule)).toEqual(ranked(0.62, 0.3, 0.1));
    expect(penaltyFor(0.25, rule)).toBe(0);
  });

  it('lowers every candidate by the same amount when a second person is close, keeping the order', () => {
    const out = penaliseRunnerUp(ranked(0.5, 0.46, 0.2), rule);
    expect(out.map((m) => m.id)).toEqual([0, 1, 2]);
    expect(out[0]!.similarity).toBeCloseTo(0.5 - 0.5 * 0.16, 10);
    expect(out[1]!.similarity).toBeCloseTo(0.46 - 0.08, 10);
    expect(out[2]!.similarity).toBeCloseTo(0.2 - 0.08, 10);
  });

  it('takes nothing without a runner-up or without a rule', () => {
    expect(penaliseRunnerUp(ranked(0.7), rule)).toEqual(ranked(0.7));
    expect(penaliseRunnerUp(ranked(0.5, 0.48), null)).toEqual(ranked(0.5, 0.48));
    expect(penaltyFor(undefined, rule)).toBe(0);
  });

  it('does not change the caller’s array', () => {
    const input = ranked(0.5, 0.45);
    penaliseRunnerUp(input, rule);
    expect(input).toEqual(ranked(0.5, 0.45));
  });
});
