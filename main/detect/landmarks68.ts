import type { Point } from '../align/similarity.js';
import type { RgbImage } from '../photo/image.js';
import { param, type ModelEntry } from '../catalogue/manifest.js';
import { regionToTensor, type Region } from '../runtime/preprocess.js';
import { ort, runNchw } from '../runtime/session.js';
import type { Box, LandmarkModel } from './types.js';

/**
 * Reduces the iBUG 68-point layout to the five ArcFace alignment points: eye centres from the
 * four eyelid points (corners excluded, they drift with gaze), nose tip, and each mouth corner
 * averaged over its outer and inner lip point.
 */
export function fivePointsFrom68(p: readonly Point[]): Point[] {
  const mean = (idx: number[]): Point => [
    idx.reduce((s, i) => s + p[i]![0], 0) / idx.length,
    idx.reduce((s, i) => s + p[i]![1], 0) / idx.length,
  ];
  return [mean([37, 38, 40, 41]), mean([43, 44, 46, 47]), mean([30]), mean([48, 60]), mean([54, 64])];
}

/** The box (optionally scaled), shifted to lie inside the image as the model was trained. */
function cropRegion(box: Box, img: RgbImage, scaleValue: number): Region {
  const bw = box[2] - box[0];
  const bh = box[3] - box[1];
  const scale = Math.min((img.height - 1) / bh, (img.width - 1) / bw, scaleValue);
  const w = bw * scale;
  const h = bh * scale;
  let x = box[0] + bw / 2 - w / 2;
  let y = box[1] + bh / 2 - h / 2;
  x = Math.max(0, Math.min(x, img.width - 1 - w));
  y = Math.max(0, Math.min(y, img.height - 1 - h));
  return { x, y, w, h };
}

/** A 68-point landmark regressor over a grey face crop (coordinates normalised to the crop). */
export class Landmarks68Model implements LandmarkModel {
  constructor(
    readonly entry: ModelEntry,
    private readonly session: ort.InferenceSession,
  ) {}

  async landmarks(img: RgbImage, boxes: Box[]): Promise<Point[][]> {
    const spec = this.entry.input;
    const outName = String(this.entry.output.points ?? this.session.outputNames[0]);
    const result: Point[][] = [];
    for (const box of boxes) {
      const region = cropRegion(box, img, param(this.entry, 'crop_scale', 1));
      const tensor = new Float32Array(spec.width * spec.height);
      regionToTensor(img, region, spec, tensor);
      const out = await runNchw(this.session, this.entry, tensor, [1, 1, spec.height, spec.width]);
      const raw = out[outName]!.data as Float32Array;
      const pts: Point[] = [];
      for (let k = 0; k < raw.length / 2; k++)
        pts.push([raw[2 * k]! * region.w + region.x, raw[2 * k + 1]! * region.h + region.y]);
      result.push(fivePointsFrom68(pts));
    }
    return result;
  }
}
