import type { RgbImage } from '../photo/image.js';
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
  const row = W * 3;
  for (let y = 0; y < height; y++) {
    let sx = inv[1] * y + inv[2];
    let sy = inv[4] * y + inv[5];
    for (let x = 0; x < width; x++, sx += inv[0], sy += inv[3]) {
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < -1 || y0 < -1 || x0 >= W || y0 >= H) continue;
      const fx = sx - x0;
      const fy = sy - y0;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const o = (y * width + x) * 3;
      const i00 = y0 * row + x0 * 3;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < W && y0 + 1 < H) {
        // Fast path: all four neighbours inside the image.
        for (let c = 0; c < 3; c++) {
          const i = i00 + c;
          out[o + c] =
            data[i]! * w00 + data[i + 3]! * w01 + data[i + row]! * w10 + data[i + row + 3]! * w11 + 0.5;
        }
        continue;
      }
      const in00 = x0 >= 0 && y0 >= 0;
      const in01 = x0 + 1 < W && y0 >= 0;
      const in10 = x0 >= 0 && y0 + 1 < H;
      const in11 = x0 + 1 < W && y0 + 1 < H;
      for (let c = 0; c < 3; c++) {
        const i = i00 + c;
        const v =
          (in00 ? data[i]! * w00 : 0) +
          (in01 ? data[i + 3]! * w01 : 0) +
          (in10 ? data[i + row]! * w10 : 0) +
          (in11 ? data[i + row + 3]! * w11 : 0);
        out[o + c] = v + 0.5;
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
