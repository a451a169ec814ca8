import { describe, expect, it } from 'vitest';
import { clipBox, iou, nms } from './nms.js';

describe('nms', () => {
  it('computes IoU', () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150);
    expect(iou([0, 0, 10, 10], [20, 20, 30, 30])).toBe(0);
  });

  it('keeps the best of overlapping boxes and all separate ones', () => {
    const kept = nms(
      [
        { box: [0, 0, 10, 10], score: 0.8, landmarks: null },
        { box: [1, 1, 11, 11], score: 0.9, landmarks: null },
        { box: [50, 50, 60, 60], score: 0.7, landmarks: null },
      ],
      0.4,
    );
    expect(kept.map((k) => k.score)).toEqual([0.9, 0.7]);
  });

  it('clips to the image', () => {
    expect(clipBox([-5, -5, 120, 90], 100, 80)).toEqual([0, 0, 100, 80]);
  });
});
