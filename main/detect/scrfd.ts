import type { Point } from '../align/similarity.js';
import type { RgbImage } from '../photo/image.js';
import { param, type ModelEntry } from '../catalogue/manifest.js';
import { ort, runNchw } from '../runtime/session.js';
import { letterbox } from './letterbox.js';
import { clipBox, nms } from './nms.js';
import type { Detection, FaceDetector } from './types.js';

/**
 * SCRFD (InsightFace): per stride, scores / distance boxes / distance keypoints around anchor
 * centres, several anchors per cell. Outputs come in that order, one triple of heads per stride.
 */
export class ScrfdDetector implements FaceDetector {
  constructor(
    readonly entry: ModelEntry,
    private readonly session: ort.InferenceSession,
  ) {}

  async detect(img: RgbImage): Promise<Detection[]> {
    const lb = letterbox(img, this.entry.input);
    const out = await runNchw(this.session, this.entry, lb.tensor, [1, 3, lb.height, lb.width]);
    const names = this.session.outputNames;
    const strides = param<number[]>(this.entry, 'strides', [8, 16, 32]);
    const anchors = param(this.entry, 'anchors_per_cell', 2);
    const threshold = param(this.entry, 'score_threshold', 0.5);
    const fmc = strides.length;
    const hasKps = names.length >= fmc * 3;
    const s = 1 / lb.scale;
    const dets: Detection[] = [];
    strides.forEach((stride, si) => {
      const scores = out[names[si]!]!.data as Float32Array;
      const bbox = out[names[si + fmc]!]!.data as Float32Array;
      const kps = hasKps ? (out[names[si + fmc * 2]!]!.data as Float32Array) : null;
      const cols = Math.ceil(lb.width / stride);
      for (let i = 0; i < scores.length; i++) {
        const score = scores[i]!;
        if (score < threshold) continue;
        const cell = Math.floor(i / anchors);
        const cx = (cell % cols) * stride;
        const cy = Math.floor(cell / cols) * stride;
        const box = clipBox(
          [
            (cx - bbox[i * 4]! * stride) * s,
            (cy - bbox[i * 4 + 1]! * stride) * s,
            (cx + bbox[i * 4 + 2]! * stride) * s,
            (cy + bbox[i * 4 + 3]! * stride) * s,
          ],
          img.width,
          img.height,
        );
        let landmarks: Point[] | null = null;
        if (kps) {
          landmarks = [];
          for (let k = 0; k < 5; k++) {
            landmarks.push([
              (cx + kps[i * 10 + 2 * k]! * stride) * s,
              (cy + kps[i * 10 + 2 * k + 1]! * stride) * s,
            ]);
          }
        }
        dets.push({ box, score, landmarks });
      }
    });
    return nms(dets, param(this.entry, 'nms_iou', 0.4));
  }
}
