import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InProcessAnalyzer, type Analyzer } from '../engine/analyzer.js';
import { Engine } from '../engine/engine.js';
import { Pipeline } from '../engine/pipeline.js';
import { findFfmpeg } from '../source/ffmpeg.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { background, cutHead, renderFrame, type HeadCut } from '../testing/scenes.js';

const W = 1280;
const H = 720;
const FPS = 5;
const MS = 1000 / FPS;
/** Scene script (frames at 5 fps): empty hall, a person walks in, then stands still. */
const ENTERS = 20;
const STOPS = 35;
const FRAMES = 60;

/**
 * Motion gating on a real decoded stream: a generated 1280×720 clip (a still hall with temporal
 * sensor noise added by ffmpeg, then a CelebA face walking in and standing still) replayed
 * through a file camera, analysed by the real models; every detector call is counted.
 */
describeWithAssets('motion-gated detection on a generated clip', () => {
  let engine: Engine;
  const calls: number[] = [];
  const frames: { at: number; faces: number; how: string | undefined }[] = [];
  let status: ReturnType<Pipeline['status']> = [];

  beforeAll(async () => {
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) throw new Error('ffmpeg is required (bash .ci/setup installs it)');
    const dir = mkdtempSync(join(tmpdir(), 'vigil-gating-'));
    engine = Engine.open({ dataDir: dir });
    const models = await engine.loadModels();
    const photos = readdirSync(asset('faces', 'celeba', '07201')).sort();
    let head: HeadCut | null = null;
    for (const p of photos) if ((head = await cutHead(models, asset('faces', 'celeba', '07201', p)))) break;
    if (!head) throw new Error('no face found in the CelebA photos');
    const bg = await background(W, H);
    const clip = join(dir, 'hall.mp4');
    const enc = spawn(ffmpeg.path, [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24'],
      ...['-s', `${W}x${H}`, '-framerate', String(FPS), '-i', 'pipe:0'],
      // Temporal noise (a different grain on every frame), as a camera's sensor adds.
      ...['-vf', 'noise=alls=6:allf=t', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'],
      clip,
    ]);
    const done = new Promise<void>((resolve, reject) =>
      enc.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}`)))),
    );
    for (let i = 0; i < FRAMES; i++) {
      const x = i < ENTERS ? 0 : 300 + (Math.min(i, STOPS) - ENTERS) * 40;
      const frame =
        i < ENTERS ? Buffer.from(bg) : await renderFrame(bg, W, H, [{ head, cx: x, cy: 300, faceWidth: 90 }]);
      if (!enc.stdin.write(frame)) await new Promise((r) => enc.stdin.once('drain', r));
    }
    enc.stdin.end();
    await done;

    // The real analyzer, with every detector call counted against the frame it was made for.
    const inner = new InProcessAnalyzer(models);
    let current = -1;
    const counting: Analyzer = {
      locate: (img, o) => (calls.push(current), inner.locate(img, o)),
      locateMoving: (img, o) => (calls.push(current), inner.locateMoving(img, o)),
      embed: (crops) => inner.embed(crops),
      close: () => inner.close(),
    };
    engine.store.cameras.add({ id: 'hall', name: 'Hall', url: pathToFileURL(clip).href, fps: FPS });
    const pipeline = new Pipeline(engine, {
      ffmpegPath: ffmpeg.path,
      analyzer: counting,
      preview: null,
      motion: true,
      replayFrom: () => 0,
      onFrameStart: (_c, at) => (current = at),
      onFrameAnalysed: (_c, at, faces, how) => frames.push({ at, faces, how }),
    });
    await pipeline.start();
    const t0 = Date.now();
    while (frames.length < FRAMES && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 100));
    status = pipeline.status();
    await pipeline.stop();
  }, 240_000);
  afterAll(() => engine?.close());

  it('analyses every frame of the clip, and the camera status says it is motion-gated', () => {
    expect(status).toHaveLength(1);
    expect(status[0]).toMatchObject({ cameraId: 'hall', analysis: 'motion', decoder: 'software' });
    expect(frames.length).toBe(FRAMES);
    expect(frames.map((f) => f.at)).toEqual(Array.from({ length: FRAMES }, (_, i) => i * MS));
  });

  it('costs no detector call on the unchanged frames of a quiet camera', () => {
    // The first frame is searched whole (nothing is known yet); the empty hall after it never.
    expect(calls.filter((at) => at < ENTERS * MS)).toEqual([0]);
    expect(frames.slice(1, ENTERS).every((f) => f.how === 'quiet')).toBe(true);
  });

  it('finds a face that appears within 1 s of scene time', () => {
    const first = frames.find((f) => f.faces > 0);
    expect(first).toBeDefined();
    expect(first!.at).toBeGreaterThanOrEqual(ENTERS * MS);
    expect(first!.at - ENTERS * MS).toBeLessThanOrEqual(1000);
    // Searched only where it moved, not the whole frame.
    expect(frames.find((f) => f.at === first!.at)!.how).toBe('regions');
  });

  it('keeps detecting a person who stands still', () => {
    // A second after he stops, nothing moves any more: his track's region is searched anyway.
    const standing = frames.filter((f) => f.at >= (STOPS + FPS) * MS);
    expect(standing.length).toBe(FRAMES - STOPS - FPS);
    expect(standing.every((f) => f.how === 'regions')).toBe(true);
    expect(standing.filter((f) => f.faces > 0).length).toBeGreaterThanOrEqual(standing.length * 0.9);
    expect(standing[standing.length - 1]!.faces).toBeGreaterThan(0);
  });
});
