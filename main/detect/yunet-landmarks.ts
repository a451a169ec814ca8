import type { Point } from '../align/similarity.js';
import type { RgbImage } from '../photo/image.js';
import { param, type ModelEntry } from '../catalogue/manifest.js';
import type { ort } from '../runtime/session.js';
import type { Box, Detection, LandmarkModel } from './types.js';
import { YuNetDetector } from './yunet.js';

/** A square crop of `side` pixels centred on (cx, cy), and its origin; outside the image is mid grey. */
export function squareCrop(
  img: RgbImage,
  cx: number,
  cy: number,
  side: number,
): { crop: RgbImage; x0: number; y0: number } {
  const s = Math.max(1, Math.round(side));
  const x0 = Math.round(cx - s / 2);
  const y0 = Math.round(cy - s / 2);
  const data = new Uint8Array(s * s * 3).fill(128);
  const xa = Math.max(0, x0);
  const xb = Math.min(img.width, x0 + s);
  for (let y = 0; y < s; y++) {
    const sy = y0 + y;
    if (sy < 0 || sy >= img.height || xb <= xa) continue;
    data.set(img.data.subarray((sy * img.width + xa) * 3, (sy * img.width + xb) * 3), (y * s + xa - x0) * 3);
  }
  return { crop: { width: s, height: s, data }, x0, y0 };
}

/** Mean distance between two five-point sets, in units of the first set's eye distance. */
export function disagreement(a: readonly Point[], b: readonly Point[]): number {
  const iod = Math.hypot(a[1]![0] - a[0]![0], a[1]![1] - a[0]![1]) || 1;
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += Math.hypot(a[k]![0] - b[k]![0], a[k]![1] - b[k]![1]);
  return sum / a.length / iod;
}

/** The smaller of the two sets' eye distances over the larger (1 = same scale). */
export function eyeScaleRatio(a: readonly Point[], b: readonly Point[]): number {
  const ia = Math.hypot(a[1]![0] - a[0]![0], a[1]![1] - a[0]![1]);
  const ib = Math.hypot(b[1]![0] - b[0]![0], b[1]![1] - b[0]![1]);
  return Math.max(ia, ib) > 0 ? Math.min(ia, ib) / Math.max(ia, ib) : 1;
}

/**
 * Five alignment points from YuNet run on a small crop around each box another detector found.
 * YuNet regresses the eyes, nose and mouth corners together with the face, from the whole face's
 * context, so the points hold where a 68-point regressor on a grey crop fails: side light that
 * leaves half the face black, and faces a few dozen pixels wide. On a 160-pixel crop it costs
 * about as much as the 68-point model. With a `fallback` (the 68-point model) both run and YuNet's
 * points are used only where the two disagree (see landmarks()).
 */
export class YuNetLandmarks implements LandmarkModel {
  private readonly detector: YuNetDetector;
  private readonly wholeImage: YuNetDetector;
  private readonly lastLook: YuNetDetector;

  constructor(
    readonly entry: ModelEntry,
    session: ort.InferenceSession,
    private readonly fallback: LandmarkModel | null,
  ) {
    const side = param(entry, 'crop_input', 160);
    this.detector = new YuNetDetector(
      {
        ...entry,
        input: { ...entry.input, width: side, height: side, dynamic_size: true, resize: 'letterbox' },
      },
      session,
    );
    const whole = {
      ...entry.input,
      width: 640,
      height: 640,
      dynamic_size: true,
      resize: 'letterbox' as const,
    };
    this.wholeImage = new YuNetDetector(
      {
        ...entry,
        input: whole,
        params: { ...entry.params, score_threshold: param(entry, 'photo_score_threshold', 0.6) },
      },
      session,
    );
    this.lastLook = new YuNetDetector({ ...entry, input: whole }, session);
  }

  /**
   * Faces in a whole photo (never a video frame): YuNet's boxes, with the points landmarks()
   * would choose on them. YuNet's boxes suit the 68-point model better than UltraFace's and hold
   * up in side light (bench:accuracy: celeba and yaleb both gain). `lastLook` lowers the score
   * bar to the crop's, for a photo in which nothing else found a face.
   */
  async detect(img: RgbImage, lastLook = false): Promise<Detection[]> {
    const dets = await (lastLook ? this.lastLook : this.wholeImage).detect(img);
    if (!this.fallback || dets.length === 0) return dets;
    const chosen = await this.choose(
      img,
      dets.map((d) => d.box),
      dets.map((d) => d.landmarks ?? null),
    );
    return dets.map((d, i) => ({ ...d, landmarks: chosen[i]! }));
  }

  async landmarks(img: RgbImage, boxes: Box[]): Promise<Point[][]> {
    const cropScale = param(this.entry, 'crop_scale', 1.8);
    const out: (Point[] | null)[] = [];
    for (const box of boxes) {
      const bw = box[2] - box[0];
      const bh = box[3] - box[1];
      const cx = (box[0] + box[2]) / 2;
      const cy = (box[1] + box[3]) / 2;
      const side = Math.max(bw, bh) * cropScale;
      const { crop, x0, y0 } = squareCrop(img, cx, cy, side);
      const dets = await this.detector.detect(crop);
      // The face the box is about is the one nearest the crop's centre, of a size like the box's.
      const half = crop.width / 2;
      let best: Point[] | null = null;
      let bestCost = Infinity;
      for (const d of dets) {
        if (!d.landmarks) continue;
        const dx = (d.box[0] + d.box[2]) / 2 - half;
        const dy = (d.box[1] + d.box[3]) / 2 - half;
        const size = Math.max(d.box[2] - d.box[0], d.box[3] - d.box[1]);
        const expected = Math.max(bw, bh);
        const off = Math.hypot(dx, dy) / expected;
        const ratio = size / expected;
        if (off > 0.6 || ratio < 0.4 || ratio > 2.5) continue;
        const cost = off - d.score;
        if (cost < bestCost) {
          bestCost = cost;
          best = d.landmarks;
        }
      }
      out.push(best ? best.map(([x, y]): Point => [x0 + x, y0 + y]) : null);
    }
    return this.choose(img, boxes, out);
  }

  /** YuNet's points where the 68-point fallback has lost the face, the fallback's elsewhere. */
  private async choose(img: RgbImage, boxes: Box[], out: (Point[] | null)[]): Promise<Point[][]> {
    if (!this.fallback) {
      const lost = out.filter((p) => !p).length;
      if (lost > 0) throw new Error(`${this.entry.id} found no face in ${lost} box(es)`);
      return out as Point[][];
    }
    const reference = await this.fallback.landmarks(img, boxes);
    // The 68-point convention is kept wherever the model still has the face: the recognizer was
    // trained on it and matches better with it (bench:accuracy celeba). It has lost the face when
    // its points are off by a quarter of the eye distance or more AND its eyes are squeezed
    // together or spread apart (eye distance off YuNet's by more than 30 %): side light that
    // blacks out half the face collapses them. A disagreement alone is mostly pose, where the
    // two conventions differ but the 68-point one still matches better.
    const agree = param(this.entry, 'agree_within', 0.25);
    const scaleWithin = param(this.entry, 'eye_scale_within', 0.7);
    return out.map((p, i) => {
      const ref = reference[i]!;
      return p && disagreement(p, ref) > agree && eyeScaleRatio(p, ref) < scaleWithin ? p : ref;
    });
  }
}
