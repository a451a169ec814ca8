import { iou } from '../detect/nms.js';
import type { Box } from '../detect/types.js';

export interface Observation<T> {
  box: Box;
  at: number;
  payload: T;
}

export interface Track<T> {
  id: number;
  cameraId: string;
  box: Box;
  /** Box displacement per millisecond, for predicting where the face is next. */
  velocity: [number, number];
  firstSeen: number;
  lastSeen: number;
  hits: number;
  observations: Observation<T>[];
}

export interface TrackerOptions {
  /** Minimum IoU between a track's predicted box and a detection to continue the track. */
  minIou: number;
  /** A track not seen for this long has ended. */
  maxIdleMs: number;
  /** Observations kept per track (the best by the caller's ranking are kept by the decider). */
  maxObservations: number;
}

/**
 * Follows faces across frames of one camera (SORT-style: constant-velocity prediction and greedy
 * IoU association, highest overlap first). Identity is decided per track, not per frame, so the
 * tracker only groups observations; it never looks at embeddings.
 */
export class IouTracker<T> {
  private tracks: Track<T>[] = [];
  private nextId = 1;
  private readonly opts: TrackerOptions;

  constructor(
    readonly cameraId: string,
    opts: Partial<TrackerOptions> = {},
  ) {
    this.opts = { minIou: 0.25, maxIdleMs: 2000, maxObservations: 30, ...opts };
  }

  get active(): readonly Track<T>[] {
    return this.tracks;
  }

  private predict(t: Track<T>, at: number): Box {
    const dt = at - t.lastSeen;
    const [vx, vy] = t.velocity;
    return [t.box[0] + vx * dt, t.box[1] + vy * dt, t.box[2] + vx * dt, t.box[3] + vy * dt];
  }

  /**
   * Associates one frame's detections; returns, for each detection in order, the track it joined,
   * and the tracks that ended (idle too long) so the caller can finalise them.
   */
  update(detections: { box: Box; payload: T }[], at: number): { assigned: Track<T>[]; ended: Track<T>[] } {
    const pairs: { t: number; d: number; overlap: number }[] = [];
    const predicted = this.tracks.map((t) => this.predict(t, at));
    detections.forEach((d, di) => {
      predicted.forEach((p, ti) => {
        const overlap = iou(p, d.box);
        if (overlap >= this.opts.minIou) pairs.push({ t: ti, d: di, overlap });
      });
    });
    pairs.sort((a, b) => b.overlap - a.overlap);
    const trackTaken = new Set<number>();
    const assigned: (Track<T> | undefined)[] = new Array(detections.length);
    for (const p of pairs) {
      if (trackTaken.has(p.t) || assigned[p.d]) continue;
      trackTaken.add(p.t);
      assigned[p.d] = this.tracks[p.t];
    }
    detections.forEach((d, di) => {
      let t = assigned[di];
      if (t) {
        const dt = Math.max(1, at - t.lastSeen);
        const cx = (d.box[0] + d.box[2] - t.box[0] - t.box[2]) / 2;
        const cy = (d.box[1] + d.box[3] - t.box[1] - t.box[3]) / 2;
        // Smoothed so one jittery detection does not throw the prediction off.
        t.velocity = [0.5 * t.velocity[0] + 0.5 * (cx / dt), 0.5 * t.velocity[1] + 0.5 * (cy / dt)];
        t.box = d.box;
        t.lastSeen = at;
        t.hits++;
      } else {
        t = {
          id: this.nextId++,
          cameraId: this.cameraId,
          box: d.box,
          velocity: [0, 0],
          firstSeen: at,
          lastSeen: at,
          hits: 1,
          observations: [],
        };
        this.tracks.push(t);
        assigned[di] = t;
      }
      t.observations.push({ box: d.box, at, payload: d.payload });
      if (t.observations.length > this.opts.maxObservations) t.observations.shift();
    });
    return { assigned: assigned as Track<T>[], ended: this.expire(at) };
  }

  /** Ends tracks idle for longer than maxIdleMs (or all, with `all`). */
  expire(at: number, all = false): Track<T>[] {
    const ended = this.tracks.filter((t) => all || at - t.lastSeen > this.opts.maxIdleMs);
    if (ended.length) this.tracks = this.tracks.filter((t) => !ended.includes(t));
    return ended;
  }
}
