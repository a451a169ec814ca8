import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { PreviewFrame } from '../contract/contract.js';
import { findFfmpeg } from '../source/ffmpeg.js';
import { addCamera } from '../store/cameras.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { Engine } from './engine.js';
import type { EngineEvent } from './events.js';
import { Pipeline } from './pipeline.js';

// 1080p pedestrians walking towards the camera: several faces in every second of it.
const CLIP = asset('videos', 'facenet_pytorch_video.mp4');

describeWithAssets('console preview frames from a live camera', () => {
  let engine: Engine;
  const events: EngineEvent[] = [];
  /** Seconds the camera ran, from start to stop: the preview rate caps the frames sent in it. */
  let ranS = 0;
  beforeAll(async () => {
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) throw new Error('ffmpeg is required (bash .ci/setup installs it)');
    engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-preview-')) });
    addCamera(engine.store.sql, { id: 'arcade', name: 'Arcade', url: pathToFileURL(CLIP).href, loop: true });
    const pipeline = new Pipeline(engine, { ffmpegPath: ffmpeg.path, preview: { fps: 2, size: 480 } });
    pipeline.on('event', (e) => events.push(e));
    const started = performance.now();
    await pipeline.start();
    // Enough frames for the checks below, however slowly this machine decodes 1080p.
    await vi.waitFor(
      () => {
        expect(previews().length).toBeGreaterThanOrEqual(8);
        expect(previews().filter((f) => f.faces.length > 0).length).toBeGreaterThanOrEqual(3);
      },
      { timeout: 120_000, interval: 250 },
    );
    await pipeline.stop();
    ranS = (performance.now() - started) / 1000;
  }, 180_000);
  afterAll(() => engine?.close());

  const previews = (): PreviewFrame[] => events.filter((e): e is PreviewFrame => e.type === 'preview');

  it('sends small JPEG frames of the configured size at the preview rate', async () => {
    const p = previews();
    expect(p.length).toBeGreaterThanOrEqual(8);
    // 2 fps at most, whatever the camera's own rate (25 fps here): a slow machine only sends fewer.
    expect(p.length).toBeLessThanOrEqual(Math.ceil(2 * ranS) + 2);
    for (const f of p) {
      expect(f).toMatchObject({ camera_id: 'arcade', width: 480, height: 270 });
      const bytes = Buffer.from(f.jpeg, 'base64');
      expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
      expect([bytes.at(-2), bytes.at(-1)]).toEqual([0xff, 0xd9]);
      expect(bytes.length).toBeLessThan(100_000);
    }
    const meta = await sharp(Buffer.from(p.at(-1)!.jpeg, 'base64')).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 480, height: 270 });
  });

  it('draws the current tracks in preview pixels, labelled by their decision so far', () => {
    const withFaces = previews().filter((f) => f.faces.length > 0);
    expect(withFaces.length).toBeGreaterThanOrEqual(3);
    for (const f of withFaces) {
      for (const face of f.faces) {
        const [x1, y1, x2, y2] = face.bbox;
        expect(x1).toBeGreaterThanOrEqual(0);
        expect(y1).toBeGreaterThanOrEqual(0);
        expect(x2).toBeLessThanOrEqual(480);
        expect(y2).toBeLessThanOrEqual(270);
        // A face in a 480-px preview of this clip is a few to a few tens of pixels wide.
        expect(x2 - x1).toBeGreaterThan(2);
        expect(x2 - x1).toBeLessThan(150);
        expect(['member', 'unknown', 'pending']).toContain(face.kind);
        if (face.kind === 'pending') expect(face.label).toBe('');
        if (face.kind === 'unknown') expect(face.label).toMatch(/^UNKNOWN_/);
      }
    }
  });
});
