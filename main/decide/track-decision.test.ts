import { describe, expect, it } from 'vitest';
import type { FaceQuality } from '../quality/quality.js';
import type { PersonMatch } from '../store/vectors.js';
import {
  decideMember,
  possibleMember,
  sampleWeight,
  shouldEmbed,
  strangerReady,
  type FaceSample,
} from './track-decision.js';

const face = (faceSize: number, score = 0.8): FaceQuality => ({
  faceSize,
  sharpness: 50,
  brightness: 120,
  yaw: 0,
  pitch: 0,
  roll: 0,
  score,
});

describe('shouldEmbed', () => {
  const track = { decided: false, attempts: 0, bestEmbeddedWeight: 0, hits: 2 };

  it('waits for a second detection before spending an embedding on a track', () => {
    expect(shouldEmbed(face(80), { ...track, hits: 1 })).toBe(false);
    expect(shouldEmbed(face(80), track)).toBe(true);
  });

  it('embeds the first two usable faces, then only better ones, never a gated or decided one', () => {
    const good = face(80);
    const w = sampleWeight(good);
    expect(shouldEmbed(good, { ...track, attempts: 1, bestEmbeddedWeight: w })).toBe(true);
    expect(shouldEmbed(good, { ...track, attempts: 2, bestEmbeddedWeight: w })).toBe(false);
    expect(shouldEmbed(face(110), { ...track, attempts: 2, bestEmbeddedWeight: w })).toBe(true);
    expect(shouldEmbed(face(20), track)).toBe(false);
    expect(shouldEmbed(good, { ...track, decided: true })).toBe(false);
    expect(shouldEmbed(face(110), { ...track, attempts: 10, bestEmbeddedWeight: w })).toBe(false);
  });
});

describe('decideMember', () => {
  const t = { recognition: 0.42, unknown: 0.4 };
  /** One face per (member, similarity): the fake index answers with what the face was made to match. */
  const matches = new Map<Float32Array, PersonMatch | undefined>();
  const sample = (memberId: string | null, similarity: number, size = 112, score = 0.8): FaceSample => {
    const embedding = new Float32Array([matches.size]);
    matches.set(embedding, memberId ? { kind: 'member', personId: memberId, similarity } : undefined);
    return { embedding, quality: face(size, score), box: [0, 0, size, size], at: 0 };
  };
  const search = (e: Float32Array) => matches.get(e);

  it('names a member from one good face above the threshold', () => {
    expect(decideMember([sample('M_A', 0.6)], search, t)).toMatchObject({ memberId: 'M_A', similarity: 0.6 });
  });

  it('names nobody on a tie, or unless one member is clearly ahead', () => {
    expect(decideMember([sample('M_A', 0.6), sample('M_B', 0.61)], search, t)).toBeNull();
    // Two members close together: 2 votes to 1 is not the 1.5× margin when the one is heavier.
    expect(
      decideMember([sample('M_A', 0.5, 60), sample('M_A', 0.5, 60), sample('M_B', 0.5)], search, t),
    ).toBeNull();
    expect(
      decideMember([sample('M_A', 0.5), sample('M_A', 0.5), sample('M_B', 0.55)], search, t),
    ).toMatchObject({ memberId: 'M_A' });
  });

  it('does not name from low-quality evidence alone', () => {
    // Small, poor faces: each weighs 0.5 × 40/112 ≈ 0.18, two are not the 0.5 needed.
    expect(decideMember([sample('M_A', 0.7, 40, 0.5), sample('M_A', 0.7, 40, 0.5)], search, t)).toBeNull();
    expect(decideMember([sample('M_A', 0.41), sample('M_A', 0.415)], search, t)).toBeNull();
  });

  it('names a suspended member like any other (their alert is unauthorized_access)', () => {
    // Suspended members stay in the member index (VectorStore loads active and suspended ones);
    // the decision does not filter them, so the alert engine can raise the critical alert.
    expect(decideMember([sample('M_SUSPENDED', 0.55)], search, t)).toMatchObject({ memberId: 'M_SUSPENDED' });
  });

  it('flags a possible member close below the threshold, and waits before calling a near-match a stranger', () => {
    const near = [sample('M_A', 0.39), sample('M_A', 0.395)];
    expect(possibleMember(near, search, t)).toEqual({ memberId: 'M_A', similarity: 0.395 });
    expect(possibleMember([sample('M_A', 0.3)], search, t)).toBeNull();
    expect(strangerReady(near, 0.395, 500, t)).toBe(true);
    expect(strangerReady([sample(null, 0)], -1, 10_000, t)).toBe(false);
    // A face above the threshold without enough weight: the member gets a few seconds first.
    expect(strangerReady(near, 0.45, 1000, t)).toBe(false);
    expect(strangerReady(near, 0.45, 5000, t)).toBe(true);
  });

  it("keeps looking at a stranger's track slowly once its first looks are spent", () => {
    const track = { decided: false, attempts: 10, bestEmbeddedWeight: 1, hits: 50 };
    expect(shouldEmbed(face(80), track)).toBe(false);
    expect(shouldEmbed(face(80), { ...track, refreshDue: true })).toBe(true);
    // A decided track too, only to notice the tracker swapping people.
    expect(shouldEmbed(face(80), { ...track, decided: true })).toBe(false);
    expect(shouldEmbed(face(80), { ...track, decided: true, refreshDue: true })).toBe(true);
  });
});
