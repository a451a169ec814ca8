import type { RgbImage } from '../photo/image.js';
import type { Box } from '../detect/types.js';
import { param, type ModelEntry } from '../catalogue/manifest.js';
import { regionToTensor } from '../runtime/preprocess.js';
import { ort, runNchw } from '../runtime/session.js';

/**
 * MiniFASNet-style passive anti-spoofing (Silent-Face): a context crop around the face,
 * three classes, one of which is "real". Used on live enrollment capture.
 */
export class MiniFasNetLiveness {
  constructor(
    readonly entry: ModelEntry,
    private readonly session: ort.InferenceSession,
  ) {}

  /** Probability that the face is a live person rather than a print or screen. */
  async realProbability(img: RgbImage, box: Box): Promise<number> {
    const spec = this.entry.input;
    const k = param(this.entry, 'crop_scale', 2.7);
    const bw = box[2] - box[0];
    const bh = box[3] - box[1];
    const s = Math.min(k, (img.width - 1) / bw, (img.height - 1) / bh);
    const w = bw * s;
    const h = bh * s;
    const x = Math.max(0, Math.min(box[0] + bw / 2 - w / 2, img.width - 1 - w));
    const y = Math.max(0, Math.min(box[1] + bh / 2 - h / 2, img.height - 1 - h));
    const tensor = new Float32Array(3 * spec.width * spec.height);
    regionToTensor(img, { x, y, w, h }, spec, tensor);
    const out = await runNchw(this.session, this.entry, tensor, [1, 3, spec.height, spec.width]);
    const logits = out[String(this.entry.output.scores)]!.data as Float32Array;
    const max = Math.max(...logits);
    const exps = Array.from(logits, (v) => Math.exp(v - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    return exps[Number(this.entry.output.real_class)]! / sum;
  }

  get realThreshold(): number {
    return param(this.entry, 'real_threshold', 0.5);
  }
}
