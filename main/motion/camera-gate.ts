import type { RgbImage } from '../photo/image.js';
import type { Box } from '../detect/types.js';
import { MotionDetector, type NormalisedRect } from './motion-detector.js';
import { planRegions } from './regions.js';

/** What to do with one frame of a camera. */
export type GateDecision =
  /** Nothing moved and nobody is tracked: no detector call. */
  | { kind: 'quiet' }
  /** Look at the whole frame (first frame, a change of most of the picture, or too much motion). */
  | { kind: 'whole'; reason: 'first' | 'global_change' | 'wide_motion' | 'gating_off' }
  /** Look only in these rectangles (frame pixels). */
  | { kind: 'regions'; regions: Box[] };

export interface GateCounts {
  quiet: number;
  regions: number;
  whole: number;
}

export interface GateOptions {
  /** The detector's input size (regions are never smaller). */
  input: { width: number; height: number };
  masks?: readonly NormalisedRect[];
  /** Off: every frame is looked at whole, as before motion gating. */
  enabled?: boolean;
}

/**
 * One camera's motion gate: decides per frame whether the face detector runs, and where. The
 * regions of live tracks are always included, moving or not, so a person who stands still keeps
 * being detected and tracked.
 */
export class CameraGate {
  private readonly motion: MotionDetector;
  private enabled: boolean;
  readonly counts: GateCounts = { quiet: 0, regions: 0, whole: 0 };
  /** Whether the last frame had motion outside the live tracks (the camera is active). */
  lastMotion = false;

  constructor(private readonly opts: GateOptions) {
    this.motion = new MotionDetector({ masks: opts.masks ?? [] });
    this.enabled = opts.enabled ?? true;
  }

  configure(c: { masks?: readonly NormalisedRect[]; enabled?: boolean }): void {
    if (c.masks) this.motion.setMasks(c.masks);
    if (c.enabled !== undefined && c.enabled !== this.enabled) {
      this.enabled = c.enabled;
      this.motion.reset();
    }
  }

  decide(frame: RgbImage, tracks: readonly Box[]): GateDecision {
    const d = this.plan(frame, tracks);
    this.counts[d.kind]++;
    return d;
  }

  private plan(frame: RgbImage, tracks: readonly Box[]): GateDecision {
    if (!this.enabled) return { kind: 'whole', reason: 'gating_off' };
    const m = this.motion.update(frame);
    this.lastMotion = m.whole !== null || m.regions.length > 0;
    if (m.whole) return { kind: 'whole', reason: m.whole };
    if (m.regions.length === 0 && tracks.length === 0) return { kind: 'quiet' };
    const plan = planRegions(frame.width, frame.height, m.regions, tracks, { input: this.opts.input });
    return plan.regions
      ? { kind: 'regions', regions: plan.regions }
      : { kind: 'whole', reason: 'wide_motion' };
  }
}
