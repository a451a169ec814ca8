import { describe, expect, it } from 'vitest';
import type { Box } from '../detect/types.js';
import { IouTracker } from './tracker.js';

const box = (x: number, y: number, s = 50): Box => [x, y, x + s, y + s];

describe('IouTracker', () => {
  it('follows two faces walking past each other and ends them when they leave', () => {
    const tr = new IouTracker<string>('cam', { maxIdleMs: 500 });
    const ids: [number, number][] = [];
    for (let f = 0; f < 10; f++) {
      const at = f * 200;
      // A walks right, B walks left, 15 px per frame: they cross around frame 5.
      const { assigned } = tr.update(
        [
          { box: box(100 + f * 15, 100), payload: 'A' },
          { box: box(260 - f * 15, 300), payload: 'B' },
        ],
        at,
      );
      ids.push([assigned[0]!.id, assigned[1]!.id]);
    }
    expect(new Set(ids.map((p) => p[0])).size).toBe(1);
    expect(new Set(ids.map((p) => p[1])).size).toBe(1);
    expect(ids[0]![0]).not.toBe(ids[0]![1]);
    const track = tr.active.find((t) => t.id === ids[0]![0])!;
    expect(track.observations.map((o) => o.payload).every((p) => p === 'A')).toBe(true);
    expect(track.hits).toBe(10);
    const { ended } = tr.update([], 10 * 200 + 600);
    expect(ended.map((t) => t.id).sort()).toEqual([...ids[0]!].sort());
    expect(tr.active).toHaveLength(0);
  });

  it('starts a new track for a face that appears elsewhere, and predicts a fast mover', () => {
    const tr = new IouTracker<number>('cam');
    const a = tr.update([{ box: box(0, 0), payload: 1 }], 0).assigned[0]!;
    tr.update([{ box: box(30, 0), payload: 2 }], 100);
    // 30 px per frame: plain IoU with the last box would be low at 60 px; the prediction keeps it.
    const c = tr.update([{ box: box(62, 0), payload: 3 }], 200).assigned[0]!;
    expect(c.id).toBe(a.id);
    const far = tr.update([{ box: box(400, 400), payload: 4 }], 300).assigned[0]!;
    expect(far.id).not.toBe(a.id);
  });
});
