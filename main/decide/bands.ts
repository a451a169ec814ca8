import type { PersonMatch } from '../store/vectors.js';

export interface Thresholds {
  /** A member is named at or above this similarity. */
  recognition: number;
  /** An unknown person is recognised again at or above this similarity. */
  unknown: number;
}

export type Band =
  | { type: 'known_member'; match: PersonMatch }
  | { type: 'recurring_unknown'; match: PersonMatch }
  | { type: 'new_unknown' };

/**
 * The seed's three bands. Members are tried first: a person who was an unknown and has since
 * been enrolled must be named, not re-logged as a stranger.
 */
export function decideBand(
  topMember: PersonMatch | undefined,
  topUnknown: PersonMatch | undefined,
  t: Thresholds,
): Band {
  if (topMember && topMember.similarity >= t.recognition) return { type: 'known_member', match: topMember };
  if (topUnknown && topUnknown.similarity >= t.unknown)
    return { type: 'recurring_unknown', match: topUnknown };
  return { type: 'new_unknown' };
}

export function resolveThresholds(
  manifest: Thresholds,
  configOverride: Partial<Thresholds> | undefined,
  cameraOverride: { recognition?: number | null; unknown?: number | null } | undefined,
): Thresholds {
  return {
    recognition: cameraOverride?.recognition ?? configOverride?.recognition ?? manifest.recognition,
    unknown: cameraOverride?.unknown ?? configOverride?.unknown ?? manifest.unknown,
  };
}
