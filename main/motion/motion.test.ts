import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../photo/image.js';
import type { Box } from '../detect/types.js';
import { seeded } from '../testing/scenes.js';
import { CameraGate } from './camera-gate.js';
import { LoadGovernor } from './load-governor.js';
import { MotionDetector } from './motion-detector.js';
import { planRegions } from './regions.js';
import { cameraCapacitySchema } from '../config/schema.js';

const W = 640;
const H = 360;
const INPUT = { width: 320, height: 240 };

/** A textured wall with per-pixel sensor noise, a global brightness `light`, and grey squares. */
function frame(rand: () => number, light: number, squares: Box[] = [], noise = 6): RgbImage {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const wall = 90 + ((x >> 5) % 2) * 20 + ((y >> 6) % 2) * 15;
      const inside = squares.some((b) => x >= b[0] && x < b[2] && y >= b[1] && y < b[3]);
      const v = (inside ? 200 : wall) + light + (rand() - 0.5) * 2 * noise;
      const c = Math.max(0, Math.min(255, Math.round(v)));
      data.set([c, c, c], (y * W + x) * 3);
    }
  return { width: W, height: H, data };
}

describe('motion detector', () => {
  it('sees nothing in sensor noise and a slow change of light, then finds what moves', () => {
    const rand = seeded(7);
    const m = new MotionDetector();
    expect(m.update(frame(rand, 0)).whole).toBe('first');
    // 150 frames (30 s at 5 fps): noise of ±6 levels and light rising 30 levels.
    for (let i = 1; i <= 150; i++) {
      const r = m.update(frame(rand, i * 0.2));
      expect(r.regions, `frame ${i}`).toEqual([]);
      expect(r.whole).toBeNull();
    }
    const person: Box = [300, 100, 360, 260];
    const r = m.update(frame(rand, 30, [person]));
    expect(r.regions.length).toBe(1);
    const [b] = r.regions as [Box];
    // The box covers the square, to within one grid cell (4 px at 640 wide).
    expect(b[0]).toBeLessThanOrEqual(person[0]);
    expect(b[2]).toBeGreaterThanOrEqual(person[2]);
    expect(b[0]).toBeGreaterThan(person[0] - 8);
    expect(b[3]).toBeLessThan(person[3] + 8);
  });

  it('ignores motion inside a mask and restarts on a change of most of the picture', () => {
    const rand = seeded(3);
    const m = new MotionDetector({ masks: [[0, 0, 0.25, 0.5]] });
    m.update(frame(rand, 0));
    for (let i = 0; i < 10; i++) m.update(frame(rand, 0));
    // A clock in the masked corner ticks: nothing; the same change outside the mask: motion.
    expect(m.update(frame(rand, 0, [[20, 20, 100, 120]])).regions).toEqual([]);
    expect(m.update(frame(rand, 0, [[400, 20, 480, 120]])).regions.length).toBe(1);
    // The light drops by 80 levels at once: the whole picture moved together, which is not motion.
    const dark = m.update(frame(rand, -80, [[400, 20, 480, 120]]));
    expect(dark.whole).toBeNull();
    expect(dark.regions.length).toBe(1);
    // Most of the picture changes every which way (the signal turns to snow): look whole, restart.
    expect(m.update(frame(rand, -80, [], 120)).whole).toBe('global_change');
  });
  it('forgets, within a few seconds, what the first frame showed and has since left (no ghost)', () => {
    const rand = seeded(5);
    const m = new MotionDetector({ absorbAfter: 20 });
    m.update(frame(rand, 0, [[300, 100, 360, 260]]));
    const moving: number[] = [];
    for (let i = 1; i <= 30; i++) moving.push(m.update(frame(rand, 0)).regions.length);
    // The person was in the first frame and walked off: his old place differs from the background…
    expect(moving[0]).toBe(1);
    // …until it is taken as background: then the empty scene is still again.
    expect(moving.slice(20)).toEqual(Array(10).fill(0));
  });
});

describe('detection regions', () => {
  it('pads motion, keeps live tracks, merges overlaps and never goes below the detector input', () => {
    const plan = planRegions(1280, 720, [[600, 300, 640, 420]], [[100, 100, 140, 150]], { input: INPUT });
    expect(plan.regions).not.toBeNull();
    const regions = plan.regions!;
    expect(regions.length).toBe(2);
    for (const r of regions) {
      expect(r[2] - r[0]).toBeGreaterThanOrEqual(320);
      expect(r[3] - r[1]).toBeGreaterThanOrEqual(240);
      expect(r[0]).toBeGreaterThanOrEqual(0);
      expect(r[3]).toBeLessThanOrEqual(720);
    }
    const covers = (r: Box, b: Box) => r[0] <= b[0] && r[1] <= b[1] && r[2] >= b[2] && r[3] >= b[3];
    expect(regions.some((r) => covers(r, [600, 300, 640, 420]))).toBe(true);
    expect(regions.some((r) => covers(r, [100, 100, 140, 150]))).toBe(true);
    // Two close movers become one region.
    const near = planRegions(
      1280,
      720,
      [
        [600, 300, 640, 420],
        [660, 310, 700, 430],
      ],
      [],
      { input: INPUT },
    );
    expect(near.regions!.length).toBe(1);
    // Motion over most of the frame: one whole-frame pass.
    const wide = planRegions(1280, 720, [[0, 0, 1000, 700]], [], { input: INPUT });
    expect(wide.regions).toBeNull();
  });

  it('gates a still camera to no detector call, and keeps searching where a track stands still', () => {
    const rand = seeded(11);
    const gate = new CameraGate({ input: INPUT });
    expect(gate.decide(frame(rand, 0), [])).toEqual({ kind: 'whole', reason: 'first' });
    for (let i = 0; i < 20; i++) expect(gate.decide(frame(rand, 0), []).kind).toBe('quiet');
    const standing: Box = [300, 100, 340, 150];
    const d = gate.decide(frame(rand, 0), [standing]);
    expect(d.kind).toBe('regions');
    if (d.kind === 'regions') expect(d.regions.some((r) => r[0] <= 300 && r[2] >= 340)).toBe(true);
    expect(gate.counts).toEqual({ quiet: 20, regions: 1, whole: 1 });
  });
});

describe('capacity settings and overload', () => {
  it('validates masks and sub-stream addresses', () => {
    expect(cameraCapacitySchema.safeParse({ masks: [[0, 0, 0.5, 0.5]] }).success).toBe(true);
    expect(cameraCapacitySchema.safeParse({ masks: [[0.5, 0, 0.2, 0.5]] }).success).toBe(false);
    expect(cameraCapacitySchema.safeParse({ masks: [[0, 0, 1.5, 0.5]] }).success).toBe(false);
    expect(cameraCapacitySchema.safeParse({ substream_url: 'rtsp://cam/sub; rm -rf' }).success).toBe(false);
    expect(
      cameraCapacitySchema.safeParse({ substream_url: 'rtsp://10.0.0.5/stream2', hwaccel: 'vaapi' }).success,
    ).toBe(true);
    expect(cameraCapacitySchema.safeParse({ hwaccel: 'magic' }).success).toBe(false);
  });

  it('counts the machine overloaded for a while after a camera drops a frame', () => {
    const g = new LoadGovernor(5000);
    expect(g.observe(0, 1000)).toBe(false);
    expect(g.observe(0, 2000)).toBe(false);
    expect(g.observe(1, 3000)).toBe(true);
    expect(g.observe(1, 7000)).toBe(true);
    expect(g.observe(1, 8001)).toBe(false);
  });
});
