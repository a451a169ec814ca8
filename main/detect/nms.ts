import type { Box, Detection } from './types.js';

export function iou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy non-maximum suppression, highest score first. */
export function nms(dets: Detection[], iouThreshold: number, maxKeep = 500): Detection[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const keep: Detection[] = [];
  for (const d of sorted) {
    if (keep.length >= maxKeep) break;
    if (keep.every((k) => iou(k.box, d.box) <= iouThreshold)) keep.push(d);
  }
  return keep;
}

export function clipBox(box: Box, width: number, height: number): Box {
  return [
    Math.max(0, Math.min(width, box[0])),
    Math.max(0, Math.min(height, box[1])),
    Math.max(0, Math.min(width, box[2])),
    Math.max(0, Math.min(height, box[3])),
  ];
}
