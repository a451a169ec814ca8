import type { RgbImage } from '../photo/image.js';
import { nms } from '../detect/nms.js';
import { cropImage } from '../detect/tiling.js';
import type { Box, Detection, FaceDetector } from '../detect/types.js';

export interface RegionPlan {
  /** Rectangles of the frame to run the detector on; null: the whole frame. */
  regions: Box[] | null;
}

export interface PlanOptions {
  /** The detector's input size: a region is never smaller, so it is never enlarged to fit. */
  input: { width: number; height: number };
  /** Past this many regions, or this share of the frame, one whole-frame pass is cheaper. */
  maxRegions?: number;
  maxShare?: number;
}

const area = (b: Box): number => (b[2] - b[0]) * (b[3] - b[1]);
const overlaps = (a: Box, b: Box): boolean => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

/** Grows a box around its centre to at least w×h and the detector's shape, kept inside the frame. */
function fit(b: Box, minW: number, minH: number, aspect: number, W: number, H: number): Box {
  let w = Math.max(b[2] - b[0], minW);
  let h = Math.max(b[3] - b[1], minH);
  // The shape of the detector's input, so a stretching detector does not squash the faces.
  if (w / h < aspect) w = h * aspect;
  else h = w / aspect;
  w = Math.min(w, W);
  h = Math.min(h, H);
  const cx = (b[0] + b[2]) / 2;
  const cy = (b[1] + b[3]) / 2;
  const x1 = Math.min(Math.max(0, cx - w / 2), W - w);
  const y1 = Math.min(Math.max(0, cy - h / 2), H - h);
  return [Math.round(x1), Math.round(y1), Math.round(x1 + w), Math.round(y1 + h)];
}

/**
 * Where to look for faces in a frame: around what moved (padded: a head sits above the moving
 * body, and moves on before the next frame) and around every live track, moving or not (a person
 * who stops stays tracked). Each region is at least the detector's input size, so a face in it is
 * seen at 1:1 or larger, where the whole 1280×720 frame squeezed into 320×240 shows it at a
 * quarter: motion regions see small faces better than whole-frame detection. Overlapping regions
 * are merged; when they would cover most of the frame, the whole frame is cheaper.
 */
export function planRegions(
  width: number,
  height: number,
  motion: readonly Box[],
  tracks: readonly Box[],
  opts: PlanOptions,
): RegionPlan {
  const maxRegions = opts.maxRegions ?? 4;
  const maxShare = opts.maxShare ?? 0.6;
  const aspect = opts.input.width / opts.input.height;
  const minW = Math.min(width, opts.input.width);
  const minH = Math.min(height, opts.input.height);
  const padded: Box[] = [
    ...motion.map((b): Box => {
      const p = Math.max(16, 0.2 * Math.max(b[2] - b[0], b[3] - b[1]));
      // More room above: what moves is mostly a body, the face is at its top.
      return [b[0] - p, b[1] - 2 * p, b[2] + p, b[3] + p];
    }),
    ...tracks.map((b): Box => {
      const p = Math.max(b[2] - b[0], b[3] - b[1]);
      return [b[0] - p, b[1] - p, b[2] + p, b[3] + p];
    }),
  ];
  let boxes = padded.map((b) => fit(b, minW, minH, aspect, width, height));
  // Merge until no two overlap (each merge is refitted, which may make it overlap another).
  for (let merged = true; merged;) {
    merged = false;
    outer: for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        if (!overlaps(boxes[i]!, boxes[j]!)) continue;
        const a = boxes[i]!;
        const b = boxes[j]!;
        const u: Box = [
          Math.min(a[0], b[0]),
          Math.min(a[1], b[1]),
          Math.max(a[2], b[2]),
          Math.max(a[3], b[3]),
        ];
        boxes = boxes.filter((_, k) => k !== i && k !== j);
        boxes.push(fit(u, minW, minH, aspect, width, height));
        merged = true;
        break outer;
      }
  }
  const share = boxes.reduce((s, b) => s + area(b), 0) / (width * height);
  if (boxes.length > maxRegions || share > maxShare) return { regions: null };
  return { regions: boxes };
}

/** The detector run on each region; detections in frame pixels, duplicates merged. */
export async function detectInRegions(
  detector: FaceDetector,
  img: RgbImage,
  regions: readonly Box[],
): Promise<Detection[]> {
  const all: Detection[] = [];
  for (const r of regions) {
    const x = Math.max(0, Math.floor(r[0]));
    const y = Math.max(0, Math.floor(r[1]));
    const w = Math.min(img.width - x, Math.ceil(r[2] - r[0]));
    const h = Math.min(img.height - y, Math.ceil(r[3] - r[1]));
    if (w < 8 || h < 8) continue;
    for (const d of await detector.detect(cropImage(img, x, y, w, h)))
      all.push({
        score: d.score,
        box: [d.box[0] + x, d.box[1] + y, d.box[2] + x, d.box[3] + y],
        landmarks: d.landmarks?.map(([px, py]) => [px + x, py + y]) ?? null,
      });
  }
  return regions.length > 1 ? nms(all, 0.4) : all;
}
