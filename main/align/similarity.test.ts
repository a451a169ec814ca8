import { describe, expect, it } from 'vitest';
import { applyAffine, estimateSimilarity, invertAffine, type Point } from './similarity.js';
import { ARCFACE_TEMPLATE_112, alignFace, warpAffine } from './warp.js';

describe('estimateSimilarity', () => {
  it('recovers a known rotation, scale and translation exactly', () => {
    const angle = 0.3;
    const s = 1.7;
    const truth = [
      s * Math.cos(angle),
      -s * Math.sin(angle),
      12,
      s * Math.sin(angle),
      s * Math.cos(angle),
      -5,
    ] as const;
    const src: Point[] = [
      [10, 20],
      [40, 22],
      [25, 35],
      [14, 50],
      [38, 51],
    ];
    const dst = src.map((p) => applyAffine([...truth], p));
    const m = estimateSimilarity(src, dst);
    m.forEach((v, i) => expect(v).toBeCloseTo(truth[i]!, 9));
  });

  it('is the least-squares fit when points are noisy', () => {
    const src: Point[] = ARCFACE_TEMPLATE_112.map(([x, y]) => [x * 2 + 100, y * 2 + 50]);
    const noisy: Point[] = src.map(([x, y], i) => [x + (i % 2 ? 1.5 : -1.5), y + (i % 3 ? -1 : 1)]);
    const m = estimateSimilarity(noisy, ARCFACE_TEMPLATE_112);
    const err = noisy.reduce((e, p, i) => {
      const q = applyAffine(m, p);
      return e + Math.hypot(q[0] - ARCFACE_TEMPLATE_112[i]![0], q[1] - ARCFACE_TEMPLATE_112[i]![1]);
    }, 0);
    expect(err / 5).toBeLessThan(1.5);
    expect(m[0]).toBeCloseTo(0.5, 1);
  });

  it('inverts', () => {
    const m = estimateSimilarity(
      [
        [0, 0],
        [1, 0],
      ],
      [
        [5, 5],
        [5, 7],
      ],
    );
    const p = applyAffine(invertAffine(m), applyAffine(m, [3, 4]));
    expect(p[0]).toBeCloseTo(3, 9);
    expect(p[1]).toBeCloseTo(4, 9);
  });

  it('refuses degenerate landmarks', () => {
    expect(() =>
      estimateSimilarity(
        [
          [1, 1],
          [1, 1],
        ],
        [
          [0, 0],
          [1, 1],
        ],
      ),
    ).toThrow();
  });
});

describe('warp', () => {
  it('moves a bright pixel where the transform says', () => {
    const img = { width: 50, height: 50, data: new Uint8Array(50 * 50 * 3) };
    img.data.set([255, 255, 255], (20 * 50 + 10) * 3);
    const out = warpAffine(img, [1, 0, 5, 0, 1, -3], 50, 50);
    expect(out.data[(17 * 50 + 15) * 3]).toBe(255);
    expect(out.data[(20 * 50 + 10) * 3]).toBe(0);
  });

  it('aligns landmarks onto the ArcFace template', () => {
    const img = { width: 300, height: 300, data: new Uint8Array(300 * 300 * 3) };
    const lm: Point[] = ARCFACE_TEMPLATE_112.map(([x, y]) => [x * 1.5 + 60, y * 1.5 + 40]);
    for (const [x, y] of lm) img.data.set([200, 200, 200], (Math.round(y) * 300 + Math.round(x)) * 3);
    const crop = alignFace(img, lm);
    expect(crop.width).toBe(112);
    for (const [x, y] of ARCFACE_TEMPLATE_112) {
      let max = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++)
          max = Math.max(max, crop.data[((Math.round(y) + dy) * 112 + Math.round(x) + dx) * 3]!);
      expect(max).toBeGreaterThan(40);
    }
  });
});
