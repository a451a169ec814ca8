import type { Point } from '../align/similarity.js';
import type { RgbImage } from '../photo/image.js';
import { param, type ModelEntry } from '../catalogue/manifest.js';
import { ort, runNchw } from '../runtime/session.js';
import { letterbox } from './letterbox.js';
import { clipBox, nms } from './nms.js';
import type { Detection, FaceDetector } from './types.js';

/** YuNet (libfacedetection): anchor-free, per-stride cls/obj/bbox/kps heads, 5 landmarks. */
export class YuNetDetector implements FaceDetector {
  constructor(
    readonly entry: ModelEntry,
    private readonly session: ort.InferenceSession,
  ) {}

  async detect(img: RgbImage): Promise<Detection[]> {
    const lb = letterbox(img, this.entry.input);
    const out = await runNchw(this.session, this.entry, lb.tensor, [1, 3, lb.height, lb.width]);
    const threshold = param(this.entry, 'score_threshold', 0.6);
    const dets: Detection[] = [];
    for (const stride of param<number[]>(this.entry, 'strides', [8, 16, 32])) {
      const cls = out[`cls_${stride}`]!.data as Float32Array;
      const obj = out[`obj_${stride}`]!.data as Float32Array;
      const bbox = out[`bbox_${stride}`]!.data as Float32Array;
      const kps = out[`kps_${stride}`]!.data as Float32Array;
      const cols = Math.floor(lb.width / stride);
      const rows = Math.floor(lb.height / stride);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const i = r * cols + c;
          const clsScore = Math.min(Math.max(cls[i]!, 0), 1);
          const objScore = Math.min(Math.max(obj[i]!, 0), 1);
          const score = Math.sqrt(clsScore * objScore);
          if (score < threshold) continue;
          const cx = (c + bbox[i * 4]!) * stride;
          const cy = (r + bbox[i * 4 + 1]!) * stride;
          const w = Math.exp(bbox[i * 4 + 2]!) * stride;
          const h = Math.exp(bbox[i * 4 + 3]!) * stride;
          const s = 1 / lb.scale;
          const landmarks: Point[] = [];
          for (let k = 0; k < 5; k++) {
            landmarks.push([
              (kps[i * 10 + 2 * k]! + c) * stride * s,
              (kps[i * 10 + 2 * k + 1]! + r) * stride * s,
            ]);
          }
          const box = clipBox(
            [(cx - w / 2) * s, (cy - h / 2) * s, (cx + w / 2) * s, (cy + h / 2) * s],
            img.width,
            img.height,
          );
          dets.push({ box, score, landmarks });
        }
      }
    }
    return nms(dets, param(this.entry, 'nms_iou', 0.3));
  }
}
