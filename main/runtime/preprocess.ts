import type { RgbImage } from '../decode/image.js';
import type { InputSpec } from '../models/manifest.js';

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

function bilinear(img: RgbImage, x: number, y: number, c: number): number {
  const { width, height, data } = img;
  const xc = Math.min(Math.max(x, 0), width - 1);
  const yc = Math.min(Math.max(y, 0), height - 1);
  const x0 = Math.floor(xc);
  const y0 = Math.floor(yc);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const fx = xc - x0;
  const fy = yc - y0;
  const a = data[(y0 * width + x0) * 3 + c]!;
  const b = data[(y0 * width + x1) * 3 + c]!;
  const d = data[(y1 * width + x0) * 3 + c]!;
  const e = data[(y1 * width + x1) * 3 + c]!;
  return (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
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
  const channels = spec.channels === 'GRAY' ? 1 : 3;
  const pad = (0 - spec.mean) * spec.scale;
  const order = spec.channels === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  for (let ty = 0; ty < H; ty++) {
    // Sample at pixel centres so a plain resize matches OpenCV's INTER_LINEAR geometry.
    const srcY = region.y + (ty + 0.5) / sy - 0.5;
    const insideY = (ty + 0.5) / sy <= region.h + 0.5;
    for (let tx = 0; tx < W; tx++) {
      const srcX = region.x + (tx + 0.5) / sx - 0.5;
      const inside = insideY && (tx + 0.5) / sx <= region.w + 0.5;
      const o = offset + ty * W + tx;
      if (!inside) {
        for (let c = 0; c < channels; c++) out[o + c * plane] = pad;
        continue;
      }
      if (channels === 1) {
        const g =
          0.299 * bilinear(img, srcX, srcY, 0) +
          0.587 * bilinear(img, srcX, srcY, 1) +
          0.114 * bilinear(img, srcX, srcY, 2);
        out[o] = (g - spec.mean) * spec.scale;
      } else {
        for (let c = 0; c < 3; c++)
          out[o + c * plane] = (bilinear(img, srcX, srcY, order[c]!) - spec.mean) * spec.scale;
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
