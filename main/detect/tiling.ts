import type { RgbImage } from '../decode/image.js';
import { nms } from './nms.js';
import type { Detection, FaceDetector } from './types.js';

/** Copies a rectangle of an RGB image. */
export function cropImage(img: RgbImage, x: number, y: number, w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++) {
    const src = ((y + r) * img.width + x) * 3;
    data.set(img.data.subarray(src, src + w * 3), r * w * 3);
  }
  return { width: w, height: h, data };
}

/** Tiles of half the frame (plus overlap) in a 2×2 grid: each is seen at twice the scale. */
export function halfFrameTiles(
  width: number,
  height: number,
  overlap = 0.15,
): { x: number; y: number; w: number; h: number }[] {
  const w = Math.min(width, Math.ceil((width / 2) * (1 + overlap)));
  const h = Math.min(height, Math.ceil((height / 2) * (1 + overlap)));
  const xs = [0, width - w];
  const ys = [0, height - h];
  return ys.flatMap((y) => xs.map((x) => ({ x, y, w, h })));
}

/**
 * CCTV faces are small: a detector with a 320-pixel input sees a 60-pixel face of a 1080p frame
 * as 10 pixels. Detecting on the whole frame and again on four overlapping half-frame tiles
 * doubles the scale faces are seen at, for five detector runs; duplicates across tiles are merged
 * by NMS. Worth it only when the frame is well above the detector's input size.
 */
export async function detectTiled(detector: FaceDetector, img: RgbImage): Promise<Detection[]> {
  const whole = await detector.detect(img);
  const spec = detector.entry.input;
  if (img.width < spec.width * 1.5 && img.height < spec.height * 1.5) return whole;
  const all = [...whole];
  for (const t of halfFrameTiles(img.width, img.height)) {
    for (const d of await detector.detect(cropImage(img, t.x, t.y, t.w, t.h))) {
      all.push({
        score: d.score,
        box: [d.box[0] + t.x, d.box[1] + t.y, d.box[2] + t.x, d.box[3] + t.y],
        landmarks: d.landmarks?.map(([px, py]) => [px + t.x, py + t.y]) ?? null,
      });
    }
  }
  return nms(all, 0.4);
}
