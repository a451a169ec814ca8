import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
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
  beforeAll(async () => {
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) throw new Error('ffmpeg is required (bash .ci/setup installs it)');
    engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-preview-')) });
    addCamera(engine.store.sql, { id: 'arcade', name: 'Arcade', url: pathToFileURL(CLIP).href, loop: true });
    const pipeline = new Pipeline(engine, { ffmpegPath: ffmpeg.path, preview: { fps: 2, size: 480 } });
    pipeline.on('event', (e) => events.push(e));
    await pipeline.start();
    await new Promise((r) => setTimeout(r, 9000));
    await pipeline.stop();
  }, 60_000);
  afterAll(() => engine?.close());

  const previews = (): PreviewFrame[] => events.filter((e): e is PreviewFrame => e.type === 'preview');

  it('sends small JPEG frames of the configured size at the preview rate', async () => {
    const p = previews();
    // 2 fps for ~8 s after start-up; a slow start on a loaded machine may cost a few.
    expect(p.length).toBeGreaterThanOrEqual(8);
    expect(p.length).toBeLessThanOrEqual(20);
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
