import type { Box } from '../detect/types.js';
import { centroid } from '../match/similarity.js';
import type { FaceQuality, QualityGate } from '../quality/quality.js';
import type { PersonMatch } from '../store/vectors.js';
import type { Thresholds } from './bands.js';

export interface FaceSample {
  /** Set only for the faces chosen for embedding (see shouldEmbed). */
  embedding?: Float32Array;
  quality: FaceQuality;
  box: Box;
  at: number;
}

/** Faces usable for deciding who someone is on a live camera (looser than enrollment). */
export const LIVE_GATE: QualityGate = {
  minFaceSize: 32,
  minSharpness: 8,
  maxYaw: 45,
  maxPitch: 40,
  minBrightness: 25,
  maxBrightness: 240,
};

export type SkipReason = 'too_small' | 'blurred' | 'profile' | 'dark';

export function skipReason(q: FaceQuality, gate: QualityGate = LIVE_GATE): SkipReason | null {
  if (q.faceSize < gate.minFaceSize) return 'too_small';
  if (Math.abs(q.yaw) > gate.maxYaw || Math.abs(q.pitch) > gate.maxPitch) return 'profile';
  if (q.brightness < gate.minBrightness || q.brightness > gate.maxBrightness) return 'dark';
  if (q.sharpness < gate.minSharpness) return 'blurred';
  return null;
}

/** How much one face counts as evidence: good, large faces count most. */
export function sampleWeight(q: FaceQuality): number {
  return q.score * Math.min(1, q.faceSize / 112);
}

export interface MemberEvidence {
  memberId: string;
  similarity: number;
  weight: number;
}

export interface DecisionOptions {
  /** At most this many faces of a track are compared (best first). */
  maxAttempts: number;
  /** Summed weight a member needs before being named. */
  minEvidence: number;
  /** The named member's evidence must beat the runner-up's by this factor: no name on a tie. */
  margin: number;
  /** Usable faces embedded unconditionally at the start of a track; later only better ones. */
  firstAttempts: number;
  /** Detections a track needs before any of its faces is embedded (a one-frame track is noise). */
  minHits: number;
}

/**
 * Embedding is the costliest step of a live frame. On the 1080p pedestrian clip (bench:pipeline)
 * minHits 2 took one camera from 2.26 to 1.42 embedded faces per analysed frame (61 → 46 ms of
 * engine CPU per frame), and firstAttempts 2 rather than 3 took four cameras from 1.62–1.68 to
 * 1.44–1.45 (50–51 → 45–48 ms), with the same number of unknown identities; two good faces are
 * still what a new unknown needs.
 */
export const DEFAULT_DECISION: DecisionOptions = {
  maxAttempts: 10,
  minEvidence: 0.5,
  margin: 1.5,
  firstAttempts: 2,
  minHits: 2,
};

/**
 * Frigate-style per-track naming: every usable face that clears the recognition threshold votes
 * for its best member with its quality weight; a name is given only when the weighted evidence is
 * enough and clearly ahead of any other member.
 */
export function decideMember(
  samples: FaceSample[],
  search: (embedding: Float32Array) => PersonMatch | undefined,
  t: Thresholds,
  opts: DecisionOptions = DEFAULT_DECISION,
): MemberEvidence | null {
  const best = [...samples]
    .sort((a, b) => sampleWeight(b.quality) - sampleWeight(a.quality))
    .slice(0, opts.maxAttempts);
  const votes = new Map<string, { weight: number; similarity: number }>();
  for (const s of best) {
    const m = search(s.embedding!);
    if (!m || m.similarity < t.recognition) continue;
    const v = votes.get(m.personId) ?? { weight: 0, similarity: 0 };
    v.weight += sampleWeight(s.quality);
    v.similarity = Math.max(v.similarity, m.similarity);
    votes.set(m.personId, v);
  }
  const ranked = [...votes].sort((a, b) => b[1].weight - a[1].weight);
  const [top, second] = ranked;
  if (!top || top[1].weight < opts.minEvidence) return null;
  if (second && top[1].weight < opts.margin * second[1].weight) return null;
  return { memberId: top[0], similarity: top[1].similarity, weight: top[1].weight };
}

/**
 * Whether a new face of a track is worth embedding (the expensive step): never once the track is
 * named, before it is confirmed by a second detection, or for a face that fails the gate; the
 * first few usable faces; after that only a face better than every one embedded so far, up to
 * `maxAttempts` per track.
 */
export function shouldEmbed(
  q: FaceQuality,
  track: { decided: boolean; attempts: number; bestEmbeddedWeight: number; hits: number },
  opts: DecisionOptions = DEFAULT_DECISION,
): boolean {
  if (track.decided || track.hits < opts.minHits || skipReason(q) || track.attempts >= opts.maxAttempts)
    return false;
  return track.attempts < opts.firstAttempts || sampleWeight(q) > track.bestEmbeddedWeight;
}

/** The best shot of a track: the face with the highest evidence weight. */
export function bestShot(samples: FaceSample[]): FaceSample | undefined {
  return samples.reduce<FaceSample | undefined>(
    (b, s) => (!b || sampleWeight(s.quality) > sampleWeight(b.quality) ? s : b),
    undefined,
  );
}

/**
 * What an unnamed track contributes to the unknown-person store: a template from its best faces
 * and up to `max` of their embeddings. A track with fewer than `minGood` usable faces may join an
 * existing unknown but may not create one (a glimpse is not an identity).
 */
export function unknownTemplate(
  samples: FaceSample[],
  max = 5,
): { template: Float32Array; shots: (FaceSample & { embedding: Float32Array })[] } | null {
  const good = samples
    .filter((s): s is FaceSample & { embedding: Float32Array } => !!s.embedding && !skipReason(s.quality))
    .sort((a, b) => sampleWeight(b.quality) - sampleWeight(a.quality));
  if (good.length === 0) return null;
  const shots = good.slice(0, max);
  return { template: centroid(shots.slice(0, 3).map((s) => s.embedding)), shots };
}
