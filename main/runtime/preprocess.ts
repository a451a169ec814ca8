import type { RgbImage } from '../photo/image.js';
import type { InputSpec } from '../catalogue/manifest.js';

export interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Where a region of the source landed in the tensor: tensor = (source - origin) * scale. */
export interface TensorMapping {
  originX: number;
  originY: number;
  scaleX: number;
  scaleY: number;
}

/**
 * Samples a region of an image into a model's input tensor (NCHW, the spec's channel order and
 * normalisation), writing at `offset` so several crops can share one batch tensor.
 */
export function regionToTensor(
  img: RgbImage,
  region: Region,
  spec: InputSpec,
  out: Float32Array,
  offset = 0,
  size: { width: number; height: number } = spec,
): TensorMapping {
  const W = size.width;
  const H = size.height;
  let sx = W / region.w;
  let sy = H / region.h;
  if (spec.resize === 'letterbox') sx = sy = Math.min(sx, sy);
  const plane = W * H;
  const grey = spec.channels === 'GRAY';
  const pad = (0 - spec.mean) * spec.scale;
  const bgr = spec.channels === 'BGR';
  const { width: IW, height: IH, data } = img;
  const row = IW * 3;
  // Column sampling positions are the same for every row: compute them once.
  const xa = new Int32Array(W);
  const xb = new Int32Array(W);
  const fxs = new Float32Array(W);
  const inX = new Uint8Array(W);
  for (let tx = 0; tx < W; tx++) {
    // Sample at pixel centres so a plain resize matches OpenCV's INTER_LINEAR geometry.
    const srcX = Math.min(Math.max(region.x + (tx + 0.5) / sx - 0.5, 0), IW - 1);
    const x0 = Math.floor(srcX);
    xa[tx] = x0 * 3;
    xb[tx] = Math.min(x0 + 1, IW - 1) * 3;
    fxs[tx] = srcX - x0;
    inX[tx] = (tx + 0.5) / sx <= region.w + 0.5 ? 1 : 0;
  }
  const k = spec.scale;
  const m = spec.mean;
  for (let ty = 0; ty < H; ty++) {
    const srcY = Math.min(Math.max(region.y + (ty + 0.5) / sy - 0.5, 0), IH - 1);
    const y0 = Math.floor(srcY);
    const r0 = y0 * row;
    const r1 = Math.min(y0 + 1, IH - 1) * row;
    const fy = srcY - y0;
    const insideY = (ty + 0.5) / sy <= region.h + 0.5;
    const o = offset + ty * W;
    for (let tx = 0; tx < W; tx++) {
      if (!insideY || !inX[tx]) {
        out[o + tx] = pad;
        if (!grey) out[o + tx + plane] = out[o + tx + 2 * plane] = pad;
        continue;
      }
      const fx = fxs[tx]!;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const a = r0 + xa[tx]!;
      const b = r0 + xb[tx]!;
      const c = r1 + xa[tx]!;
      const d = r1 + xb[tx]!;
      const r = data[a]! * w00 + data[b]! * w01 + data[c]! * w10 + data[d]! * w11;
      const g = data[a + 1]! * w00 + data[b + 1]! * w01 + data[c + 1]! * w10 + data[d + 1]! * w11;
      const bl = data[a + 2]! * w00 + data[b + 2]! * w01 + data[c + 2]! * w10 + data[d + 2]! * w11;
      if (grey) {
        out[o + tx] = (0.299 * r + 0.587 * g + 0.114 * bl - m) * k;
      } else {
        out[o + tx] = ((bgr ? bl : r) - m) * k;
        out[o + tx + plane] = (g - m) * k;
        out[o + tx + 2 * plane] = ((bgr ? r : bl) - m) * k;
      }
    }
  }
  return { originX: region.x, originY: region.y, scaleX: sx, scaleY: sy };
}

/** Packs already-aligned RGB crops of the spec's size into one NCHW batch tensor. */
export function cropsToTensor(crops: RgbImage[], spec: InputSpec, flip = false): Float32Array {
  const W = spec.width;
  const H = spec.height;
  const plane = W * H;
  const out = new Float32Array(crops.length * 3 * plane);
  const order = spec.channels === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  crops.forEach((crop, n) => {
    const base = n * 3 * plane;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const sx = flip ? W - 1 - x : x;
        const si = (y * W + sx) * 3;
        const o = base + y * W + x;
        for (let c = 0; c < 3; c++)
          out[o + c * plane] = (crop.data[si + order[c]!]! - spec.mean) * spec.scale;
      }
    }
  });
  return out;
}
