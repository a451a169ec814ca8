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
  samples: readonly FaceSample[],
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
 * Whether a new face of a track is worth embedding (the expensive step): never before it is
 * confirmed by a second detection or for a face that fails the gate; the first few usable faces;
 * after that only a face better than every one embedded so far, up to `maxAttempts` per track;
 * once decided (or past `maxAttempts`), one face every refresh period.
 */
export function shouldEmbed(
  q: FaceQuality,
  track: {
    decided: boolean;
    attempts: number;
    bestEmbeddedWeight: number;
    hits: number;
    /**
     * A stranger's track keeps being looked at, slowly (see LIVE_TIMING.refreshMs): later evidence
     * may show a member, and a long visit keeps fresh views. True when the next look is due.
     */
    refreshDue?: boolean;
  },
  opts: DecisionOptions = DEFAULT_DECISION,
): boolean {
  if (track.hits < opts.minHits || skipReason(q)) return false;
  // A decided track is only looked at again now and then, to notice the tracker swapping people
  // (and, for a stranger, a member seen better).
  if (track.decided || track.attempts >= opts.maxAttempts) return track.refreshDue === true;
  return (
    track.attempts < opts.firstAttempts ||
    sampleWeight(q) > track.bestEmbeddedWeight ||
    track.refreshDue === true
  );
}

/** Timings of live decisions, in milliseconds of frame time (the camera's clock, not the host's). */
export interface LiveTiming {
  /** A stranger's track embeds one more usable face at most this often once its first looks are spent. */
  refreshMs: number;
  /** A track whose faces match a member, but not yet enough to name them, waits this long before being called a stranger. */
  memberWaitMs: number;
  /** A track lost and found again on the same camera within this gap is the same visit. */
  relinkGapMs: number;
  /** The open appearance's last_seen is written at least this often while the track lasts. */
  extendEveryMs: number;
  /** A visit longer than this is split into a new appearance row (a camera watching a desk all day). */
  maxVisitMs: number;
}

export const LIVE_TIMING: LiveTiming = {
  refreshMs: 2000,
  memberWaitMs: 2500,
  relinkGapMs: 8000,
  extendEveryMs: 3000,
  maxVisitMs: 30 * 60_000,
};

/** Below the recognition threshold by at most this much, a stranger is flagged as a possible member. */
export const POSSIBLE_MEMBER_MARGIN = 0.05;

/**
 * Whether a track that names no member has enough to be decided as a stranger while still in view:
 * two good embedded faces (a glimpse is not an identity), and, when some face already matches a
 * member above the recognition threshold without enough weight to name them, the member's chance to
 * gather that weight (`memberWaitMs` of track time) so a member is not first announced as a stranger.
 */
export function strangerReady(
  samples: readonly FaceSample[],
  bestMemberSimilarity: number,
  trackAgeMs: number,
  t: Thresholds,
  timing: LiveTiming = LIVE_TIMING,
): boolean {
  const good = samples.filter((s) => s.embedding && !skipReason(s.quality)).length;
  if (good < 2) return false;
  return bestMemberSimilarity < t.recognition || trackAgeMs >= timing.memberWaitMs;
}

/** The member a stranger most resembles, when close enough below the threshold to say so. */
export function possibleMember(
  samples: readonly FaceSample[],
  search: (embedding: Float32Array) => PersonMatch | undefined,
  t: Thresholds,
  margin = POSSIBLE_MEMBER_MARGIN,
): { memberId: string; similarity: number } | null {
  let best: PersonMatch | undefined;
  for (const s of samples) {
    if (!s.embedding || skipReason(s.quality)) continue;
    const m = search(s.embedding);
    if (m && (!best || m.similarity > best.similarity)) best = m;
  }
  if (!best || best.similarity < t.recognition - margin) return null;
  return { memberId: best.personId, similarity: best.similarity };
}

/** The best shot of a track: the face with the highest evidence weight. */
export function bestShot(samples: readonly FaceSample[]): FaceSample | undefined {
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
  samples: readonly FaceSample[],
  max = 5,
): { template: Float32Array; shots: (FaceSample & { embedding: Float32Array })[] } | null {
  const good = samples
    .filter((s): s is FaceSample & { embedding: Float32Array } => !!s.embedding && !skipReason(s.quality))
    .sort((a, b) => sampleWeight(b.quality) - sampleWeight(a.quality));
  if (good.length === 0) return null;
  const shots = good.slice(0, max);
  return { template: centroid(shots.slice(0, 3).map((s) => s.embedding)), shots };
}
