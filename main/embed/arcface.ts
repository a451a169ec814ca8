import type { RgbImage } from '../photo/image.js';
import { VigilError } from '../errors.js';
import { param, type ModelEntry } from '../catalogue/manifest.js';
import { cropsToTensor } from '../runtime/preprocess.js';
import { ort, runNchw } from '../runtime/session.js';

export const MAX_BATCH = 8;

export function l2normalize(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

/**
 * Recognizers of the ArcFace-template family: 112×112 crops aligned on five points in, one
 * embedding out. Normalisation, channel order and embedding size come from the manifest.
 * With flip fusion the embedding of the mirrored crop is added before normalising, which
 * steadies the vector against small pose and alignment errors.
 */
export class ArcFaceRecognizer {
  readonly size: number;
  readonly flipFusion: boolean;
  readonly maxBatch: number;

  constructor(
    readonly entry: ModelEntry,
    private readonly session: ort.InferenceSession,
    batchable: boolean,
    flipFusion?: boolean,
  ) {
    this.size = Number(entry.output.size);
    this.flipFusion = flipFusion ?? param(entry, 'flip_fusion', false);
    this.maxBatch = batchable ? MAX_BATCH : 1;
  }

  private async run(tensor: Float32Array, n: number): Promise<Float32Array> {
    const spec = this.entry.input;
    const outName = String(this.entry.output.embedding || this.session.outputNames[0]);
    const out = await runNchw(this.session, this.entry, tensor, [n, 3, spec.height, spec.width]);
    const data = out[outName]!.data as Float32Array;
    if (data.length !== n * this.size) {
      throw new VigilError(
        'MODEL_INVALID',
        `${this.entry.id} returned ${data.length} values for ${n} face(s); the manifest says ${this.size} per face.`,
      );
    }
    return data;
  }

  async embed(crops: RgbImage[]): Promise<Float32Array[]> {
    const result: Float32Array[] = [];
    const step = this.flipFusion ? Math.max(1, Math.floor(this.maxBatch / 2)) : this.maxBatch;
    for (let start = 0; start < crops.length; start += step) {
      const chunk = crops.slice(start, start + step);
      const n = chunk.length;
      const plain = cropsToTensor(chunk, this.entry.input);
      if (!this.flipFusion) {
        const data = n === 1 || this.maxBatch > 1 ? await this.runAll(plain, n) : plain;
        for (let i = 0; i < n; i++) result.push(l2normalize(data.slice(i * this.size, (i + 1) * this.size)));
        continue;
      }
      const flipped = cropsToTensor(chunk, this.entry.input, true);
      const both = new Float32Array(plain.length * 2);
      both.set(plain, 0);
      both.set(flipped, plain.length);
      const data = await this.runAll(both, 2 * n);
      for (let i = 0; i < n; i++) {
        const v = data.slice(i * this.size, (i + 1) * this.size);
        const f = data.subarray((n + i) * this.size, (n + i + 1) * this.size);
        for (let k = 0; k < this.size; k++) v[k]! += f[k]!;
        result.push(l2normalize(v));
      }
    }
    return result;
  }

  /** Runs n crops, as one batch when the model allows it, else one by one. */
  private async runAll(tensor: Float32Array, n: number): Promise<Float32Array> {
    if (this.maxBatch > 1) return this.run(tensor, n);
    const per = tensor.length / n;
    const out = new Float32Array(n * this.size);
    for (let i = 0; i < n; i++)
      out.set(await this.run(tensor.slice(i * per, (i + 1) * per), 1), i * this.size);
    return out;
  }
}
