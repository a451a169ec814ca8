import type { RgbImage } from '../photo/image.js';
import type { Box } from '../detect/types.js';

/** A rectangle of the picture in normalised coordinates (0–1): x1, y1, x2, y2. */
export type NormalisedRect = [number, number, number, number];

export interface MotionOptions {
  /** Width of the grey grid motion is computed on (cells); its height follows the frame's shape. */
  gridWidth?: number;
  /** Areas never looked at for motion (clocks, trees in the wind, screens). */
  masks?: readonly NormalisedRect[];
  /** A cell differs when it is this many noise deviations away from its background… */
  sigmas?: number;
  /** …and at least this many grey levels (compression noise of a flat wall is below it). */
  minDiff?: number;
  /** Connected changed cells fewer than this are noise, not something moving. */
  minCells?: number;
  /** How fast the background follows the scene where nothing moves (per frame). */
  learnRate?: number;
  /** How fast something that stopped moving becomes background (per frame). */
  absorbRate?: number;
  /**
   * A cell that has differed for this many frames in a row becomes background at once: what was
   * in the first frame and left (a ghost), a parked car, a moved chair. A person standing still
   * is not lost by it: live tracks are searched whether they move or not.
   */
  absorbAfter?: number;
  /** More of the picture changed than this: a lighting switch or a moved camera, not motion. */
  globalChange?: number;
}

export interface MotionResult {
  /** Boxes of what moved, in the frame's pixels; empty when the scene is still. */
  regions: Box[];
  /** Fraction of the (unmasked) picture that changed. */
  changed: number;
  /**
   * Why the whole frame should be looked at regardless of regions: the first frame, or a change
   * of most of the picture (the background restarts from it).
   */
  whole: 'first' | 'global_change' | null;
}

const DEFAULTS: Required<Omit<MotionOptions, 'masks'>> = {
  gridWidth: 160,
  sigmas: 4,
  minDiff: 10,
  minCells: 4,
  learnRate: 0.05,
  absorbRate: 0.002,
  absorbAfter: 20,
  globalChange: 0.6,
};

/**
 * Per camera, finds what moves on a small grey grid of each frame (160 cells wide: ~0.2 ms for a
 * 1280×720 frame). Each cell keeps a running background and a running estimate of its own noise,
 * so sensor noise and compression flicker do not count as motion; the median difference over the
 * picture is taken out first, so a slow change of the light (dusk, clouds, auto exposure) does
 * not either. Changed cells are cleaned (a cell needs changed neighbours) and grouped into boxes.
 */
export class MotionDetector {
  private readonly o: Required<Omit<MotionOptions, 'masks'>>;
  private masks: readonly NormalisedRect[];
  private gw = 0;
  private gh = 0;
  private step = 1;
  private frameW = 0;
  private frameH = 0;
  private bg: Float32Array = new Float32Array(0);
  private noise: Float32Array = new Float32Array(0);
  private grey: Float32Array = new Float32Array(0);
  private fg: Uint8Array = new Uint8Array(0);
  private fgAge: Uint16Array = new Uint16Array(0);
  private masked: Uint8Array = new Uint8Array(0);

  constructor(options: MotionOptions = {}) {
    const { masks, ...rest } = options;
    this.o = { ...DEFAULTS, ...rest };
    this.masks = masks ?? [];
  }

  /** New masks take effect on the next frame; the background is kept. */
  setMasks(masks: readonly NormalisedRect[]): void {
    this.masks = masks;
    if (this.gw) this.buildMask();
  }

  /** Forgets the background: the next frame is a first frame. */
  reset(): void {
    this.gw = 0;
  }

  update(frame: RgbImage): MotionResult {
    let first = false;
    if (frame.width !== this.frameW || frame.height !== this.frameH || this.gw === 0) {
      this.allocate(frame.width, frame.height);
      first = true;
    }
    this.sample(frame);
    const n = this.gw * this.gh;
    if (first) {
      this.bg.set(this.grey);
      this.fgAge.fill(0);
      this.noise.fill(4);
      return { regions: [], changed: 1, whole: 'first' };
    }
    const offset = this.medianOffset();
    const { sigmas, minDiff, learnRate, absorbRate } = this.o;
    let changedCells = 0;
    let open = 0;
    for (let i = 0; i < n; i++) {
      if (this.masked[i]) {
        this.fg[i] = 0;
        continue;
      }
      open++;
      const d = this.grey[i]! - this.bg[i]! - offset;
      const limit = Math.max(minDiff, sigmas * Math.sqrt(this.noise[i]!));
      const moving = d > limit || d < -limit;
      this.fg[i] = moving ? 1 : 0;
      if (moving) {
        changedCells++;
        if (++this.fgAge[i]! >= this.o.absorbAfter) {
          this.bg[i] = this.grey[i]! - offset;
          this.fgAge[i] = 0;
        } else this.bg[i]! += absorbRate * (this.grey[i]! - this.bg[i]!);
      } else {
        this.fgAge[i] = 0;
        this.bg[i]! += learnRate * (this.grey[i]! - this.bg[i]!);
        // Noise is learnt only where nothing moves, and bounded: a cell never goes blind or twitchy.
        this.noise[i] = Math.min(400, Math.max(1, this.noise[i]! + learnRate * (d * d - this.noise[i]!)));
      }
    }
    const changed = open ? changedCells / open : 0;
    if (changed > this.o.globalChange) {
      this.bg.set(this.grey);
      this.fgAge.fill(0);
      return { regions: [], changed, whole: 'global_change' };
    }
    return { regions: changedCells ? this.boxes() : [], changed, whole: null };
  }

  private allocate(width: number, height: number): void {
    this.frameW = width;
    this.frameH = height;
    this.step = Math.max(1, Math.floor(width / this.o.gridWidth));
    this.gw = Math.floor(width / this.step);
    this.gh = Math.floor(height / this.step);
    const n = this.gw * this.gh;
    this.bg = new Float32Array(n);
    this.noise = new Float32Array(n);
    this.grey = new Float32Array(n);
    this.fg = new Uint8Array(n);
    this.fgAge = new Uint16Array(n);
    this.buildMask();
  }

  private buildMask(): void {
    this.masked = new Uint8Array(this.gw * this.gh);
    for (const [x1, y1, x2, y2] of this.masks) {
      const cx1 = Math.max(0, Math.floor(x1 * this.gw));
      const cy1 = Math.max(0, Math.floor(y1 * this.gh));
      const cx2 = Math.min(this.gw, Math.ceil(x2 * this.gw));
      const cy2 = Math.min(this.gh, Math.ceil(y2 * this.gh));
      for (let y = cy1; y < cy2; y++) this.masked.fill(1, y * this.gw + cx1, y * this.gw + cx2);
    }
  }

  /** Each cell's grey level: the mean green of four points inside it (green carries most luma). */
  private sample(frame: RgbImage): void {
    const { step, gw, gh } = this;
    const a = Math.floor(step / 4);
    const b = Math.floor((3 * step) / 4);
    const row = frame.width * 3;
    const d = frame.data;
    for (let cy = 0; cy < gh; cy++) {
      const y0 = (cy * step + a) * row;
      const y1 = (cy * step + b) * row;
      for (let cx = 0; cx < gw; cx++) {
        const x0 = (cx * step + a) * 3 + 1;
        const x1 = (cx * step + b) * 3 + 1;
        this.grey[cy * gw + cx] = (d[y0 + x0]! + d[y0 + x1]! + d[y1 + x0]! + d[y1 + x1]!) / 4;
      }
    }
  }

  /** The median of frame − background over the open cells: the picture's overall change of light. */
  private medianOffset(): number {
    const hist = new Uint32Array(511);
    let count = 0;
    const n = this.gw * this.gh;
    for (let i = 0; i < n; i++) {
      if (this.masked[i]) continue;
      hist[Math.round(this.grey[i]! - this.bg[i]!) + 255]!++;
      count++;
    }
    let seen = 0;
    for (let v = 0; v < 511; v++) {
      seen += hist[v]!;
      if (seen * 2 >= count) return v - 255;
    }
    return 0;
  }

  /** Changed cells with enough changed neighbours, grouped into connected boxes (frame pixels). */
  private boxes(): Box[] {
    const { gw, gh, fg, step } = this;
    const keep = new Uint8Array(gw * gh);
    for (let y = 0; y < gh; y++)
      for (let x = 0; x < gw; x++) {
        if (!fg[y * gw + x]) continue;
        let around = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if ((dx || dy) && yy >= 0 && yy < gh && xx >= 0 && xx < gw) around += fg[yy * gw + xx]!;
          }
        if (around >= 2) keep[y * gw + x] = 1;
      }
    const boxes: Box[] = [];
    const stack: number[] = [];
    for (let start = 0; start < keep.length; start++) {
      if (keep[start] !== 1) continue;
      keep[start] = 2;
      stack.push(start);
      let cells = 0;
      let x1 = gw;
      let y1 = gh;
      let x2 = 0;
      let y2 = 0;
      while (stack.length) {
        const i = stack.pop()!;
        const x = i % gw;
        const y = (i - x) / gw;
        cells++;
        if (x < x1) x1 = x;
        if (y < y1) y1 = y;
        if (x > x2) x2 = x;
        if (y > y2) y2 = y;
        // 8-connected, and one cell of gap bridged: a person's outline breaks where he matches the wall.
        for (let dy = -2; dy <= 2; dy++)
          for (let dx = -2; dx <= 2; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || yy >= gh || xx < 0 || xx >= gw) continue;
            const j = yy * gw + xx;
            if (keep[j] === 1) {
              keep[j] = 2;
              stack.push(j);
            }
          }
      }
      if (cells >= this.o.minCells)
        boxes.push([
          x1 * step,
          y1 * step,
          Math.min(this.frameW, (x2 + 1) * step),
          Math.min(this.frameH, (y2 + 1) * step),
        ]);
    }
    return boxes;
  }
}
