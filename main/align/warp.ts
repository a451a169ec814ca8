import type { RgbImage } from '../decode/image.js';
import { estimateSimilarity, invertAffine, type Affine, type Point } from './similarity.js';

/** The ArcFace 112×112 five-point template: eye centres, nose tip, mouth corners. */
export const ARCFACE_TEMPLATE_112: readonly Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/** Warps `img` by the forward transform `m` into a width×height RGB crop (bilinear, black border). */
export function warpAffine(img: RgbImage, m: Affine, width: number, height: number): RgbImage {
  const inv = invertAffine(m);
  const out = new Uint8Array(width * height * 3);
  const { data, width: W, height: H } = img;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sx = inv[0] * x + inv[1] * y + inv[2];
      const sy = inv[3] * x + inv[4] * y + inv[5];
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < -1 || y0 < -1 || x0 >= W || y0 >= H) continue;
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const px = (xx: number, yy: number): number =>
          xx < 0 || yy < 0 || xx >= W || yy >= H ? 0 : data[(yy * W + xx) * 3 + c]!;
        const v =
          (px(x0, y0) * (1 - fx) + px(x0 + 1, y0) * fx) * (1 - fy) +
          (px(x0, y0 + 1) * (1 - fx) + px(x0 + 1, y0 + 1) * fx) * fy;
        out[o + c] = Math.round(v);
      }
    }
  }
  return { width, height, data: out };
}

/** Aligns a face on its five landmarks to the ArcFace template of the given size. */
export function alignFace(img: RgbImage, landmarks: readonly Point[], size = 112): RgbImage {
  const k = size / 112;
  const template = ARCFACE_TEMPLATE_112.map(([x, y]): Point => [x * k, y * k]);
  return warpAffine(img, estimateSimilarity(landmarks, template), size, size);
}
