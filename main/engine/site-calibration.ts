/**
 * This site's own threshold: genuine scores from its members' stored shots (each shot against the
 * rest of its owner's templates, leave-one-out) and impostor scores (each member's shots against
 * every other member, and every active unknown person against every member), the DET curve they
 * draw, and the threshold that gives a chosen false-accept rate here.
 */
import { detCurve, rateAtOrAbove, thresholdAtFar, type DetPoint } from '../decide/far.js';
import { VigilError } from '../errors.js';
import { dot } from '../match/similarity.js';
import type { Store } from '../store/store.js';
import type { Engine } from './engine.js';

export interface Calibration {
  genuine_pairs: number;
  impostor_pairs: number;
  far: number;
  /** null while there is too little data (see `needs`). */
  threshold: number | null;
  expected_accept_rate: number | null;
  current_threshold: number;
  /** What is missing before a threshold can be trusted; null when there is enough. */
  needs: string | null;
  det: DetPoint[];
}

/** Below these the curve's tail is noise: a FAR of f needs well over 1/f impostor comparisons. */
export const MIN_MEMBERS = 5;
export const MIN_GENUINE = 20;
const impostorsNeeded = (far: number): number => Math.ceil(3 / far);

/** Best similarity of `v` to any of `templates`. */
function best(v: Float32Array, templates: readonly Float32Array[]): number {
  let s = -1;
  for (const t of templates) s = Math.max(s, dot(v, t));
  return s;
}

export interface ScoreSets {
  genuine: number[];
  impostor: number[];
  members: number;
}

/** Genuine and impostor scores from the store's active members and unknown persons. */
export function siteScores(store: Store): ScoreSets {
  const vectors = store.vectors;
  const memberIds = store.members.matchableIds();
  const shots = new Map<string, Float32Array[]>();
  for (const id of memberIds) {
    const v = vectors.vectorsOf('member', id).filter((x) => !x.isCentroid);
    if (v.length > 0)
      shots.set(
        id,
        v.map((x) => x.vector),
      );
  }
  const genuine: number[] = [];
  const impostor: number[] = [];
  const ids = [...shots.keys()];
  for (const id of ids) {
    const own = shots.get(id)!;
    // Each shot as a probe against the person's other shots: a sighting matched to the rest.
    if (own.length >= 2)
      for (let i = 0; i < own.length; i++)
        genuine.push(
          best(
            own[i]!,
            own.filter((_, j) => j !== i),
          ),
        );
    for (const other of ids) {
      if (other === id) continue;
      // Every shot of one member probing another member's templates, as identification would.
      for (const v of own) impostor.push(best(v, shots.get(other)!));
    }
  }
  const unknownIds = store.unknowns.activeIds();
  for (const u of unknownIds) {
    const v = vectors.vectorsOf('unknown', u)[0];
    if (!v) continue;
    for (const id of ids) impostor.push(best(v.vector, shots.get(id)!));
  }
  return { genuine, impostor, members: ids.length };
}

/** The calibration for `far` from `scores`, or what more it needs. */
export function calibrate(scores: ScoreSets, far: number, currentThreshold: number): Calibration {
  if (!(far > 0 && far < 1))
    throw new VigilError('INVALID_ARGUMENT', 'The false-accept rate must be between 0 and 1.');
  const base = {
    genuine_pairs: scores.genuine.length,
    impostor_pairs: scores.impostor.length,
    far,
    current_threshold: currentThreshold,
  };
  const missing: string[] = [];
  if (scores.members < MIN_MEMBERS) missing.push(`${MIN_MEMBERS - scores.members} more member(s)`);
  if (scores.genuine.length < MIN_GENUINE)
    missing.push(
      `${MIN_GENUINE - scores.genuine.length} more photo(s) of members already enrolled (each member needs at least 2)`,
    );
  const needImpostors = impostorsNeeded(far);
  if (scores.impostor.length < needImpostors)
    missing.push(
      `${needImpostors - scores.impostor.length} more impostor comparisons (more members or photos, or a higher false-accept rate)`,
    );
  if (missing.length > 0)
    return {
      ...base,
      threshold: null,
      expected_accept_rate: null,
      needs: `Calibration needs ${missing.join(', ')}.`,
      det: [],
    };
  const threshold = thresholdAtFar(scores.impostor, far);
  return {
    ...base,
    threshold: Math.round(threshold * 1e4) / 1e4,
    expected_accept_rate: Math.round(rateAtOrAbove(scores.genuine, threshold) * 1e4) / 1e4,
    needs: null,
    det: detCurve(scores.genuine, scores.impostor),
  };
}

/**
 * Applies a threshold: globally (the `thresholds` setting of the active recognizer, which the live
 * configuration reads) or on one camera. Audited with the old and new value.
 */
export function applyThreshold(
  engine: Pick<Engine, 'store' | 'recognizer' | 'settings'>,
  threshold: number,
  opts: { cameraId?: string | null; actor: string; far?: number },
): void {
  const store = engine.store;
  const recognizerId = engine.recognizer.id;
  if (!(threshold > 0 && threshold < 1))
    throw new VigilError('INVALID_ARGUMENT', 'A recognition threshold must be between 0 and 1.');
  store.transaction(() => {
    let previous: number | null;
    if (opts.cameraId) {
      const row = store.settings.cameraThreshold(opts.cameraId);
      if (!row) throw new VigilError('NOT_FOUND', `No camera with id ${opts.cameraId}.`);
      previous = row.recognition_threshold;
      store.settings.setCameraThreshold(opts.cameraId, threshold);
    } else {
      const all = store.settings.read('thresholds');
      previous = all[recognizerId]?.recognition ?? null;
      store.settings.write('thresholds', {
        ...all,
        [recognizerId]: { ...all[recognizerId], recognition: threshold },
      });
    }
    store.audit.append({
      actor: opts.actor,
      action: 'threshold_calibrated',
      subject: opts.cameraId ?? recognizerId,
      details: { previous, threshold, ...(opts.far !== undefined ? { far: opts.far } : {}) },
    });
  }, 'immediate');
  // Applied at once in this process; a server elsewhere notices the stored change within 2 s.
  engine.settings.refresh();
}
