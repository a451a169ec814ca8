import type { RgbImage } from '../photo/image.js';
import { param, type ModelEntry } from '../catalogue/manifest.js';
import { regionToTensor } from '../runtime/preprocess.js';
import { ort, runNchw } from '../runtime/session.js';
import { clipBox, nms } from './nms.js';
import type { Detection, FaceDetector } from './types.js';

/**
 * UltraFace (Ultra-Light-Fast-Generic-Face-Detector, RFB variant): SSD-style, no landmarks.
 * The supported exports decode boxes in the graph (normalised corners), so only score
 * filtering and NMS are left to do here.
 */
export class UltraFaceDetector implements FaceDetector {
  constructor(
    readonly entry: ModelEntry,
    private readonly session: ort.InferenceSession,
  ) {}

  async detect(img: RgbImage): Promise<Detection[]> {
    const spec = this.entry.input;
    const tensor = new Float32Array(3 * spec.width * spec.height);
    regionToTensor(img, { x: 0, y: 0, w: img.width, h: img.height }, spec, tensor);
    const out = await runNchw(this.session, this.entry, tensor, [1, 3, spec.height, spec.width]);
    const scores = out[String(this.entry.output.scores)]!.data as Float32Array;
    const boxes = out[String(this.entry.output.boxes)]!.data as Float32Array;
    const threshold = param(this.entry, 'score_threshold', 0.6);
    const n = scores.length / 2;
    const dets: Detection[] = [];
    for (let i = 0; i < n; i++) {
      const score = scores[i * 2 + 1]!;
      if (score < threshold) continue;
      const x1 = boxes[i * 4]!;
      const y1 = boxes[i * 4 + 1]!;
      const x2 = boxes[i * 4 + 2]!;
      const y2 = boxes[i * 4 + 3]!;
      const box = clipBox(
        [x1 * img.width, y1 * img.height, x2 * img.width, y2 * img.height],
        img.width,
        img.height,
      );
      if (box[2] - box[0] < 2 || box[3] - box[1] < 2) continue;
      dets.push({ box, score, landmarks: null });
    }
    return nms(dets, param(this.entry, 'nms_iou', 0.4));
  }
}
