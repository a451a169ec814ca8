import { describe, expect, it } from 'vitest';
import type { FaceQuality } from '../quality/quality.js';
import { sampleWeight, shouldEmbed } from './track-decision.js';

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
