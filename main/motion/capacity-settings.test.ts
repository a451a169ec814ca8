import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Engine } from '../engine/engine.js';
import { Pipeline } from '../engine/pipeline.js';
import { findFfmpeg } from '../source/ffmpeg.js';
import { asset, describeWithAssets } from '../testing/assets.js';

async function until<T>(fn: () => T | undefined, what: string, ms = 20_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Capacity settings reach a running camera: masks at once, a new decoder choice by a restart. */
describeWithAssets('capacity settings on a running camera', () => {
  let engine: Engine;
  let pipeline: Pipeline;
  beforeAll(async () => {
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) throw new Error('ffmpeg is required (bash .ci/setup installs it)');
    engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-capset-')) });
    engine.store.cameras.add({
      id: 'stage',
      name: 'Stage',
      url: pathToFileURL(asset('videos', 'short_hamilton_clip.mp4')).href,
      loop: true,
    });
    // A VAAPI device that exists nowhere: hardware decoding fails on any machine.
    pipeline = new Pipeline(engine, {
      ffmpegPath: ffmpeg.path,
      preview: null,
      hwaccelDevice: '/nonexistent/renderD128',
    });
    await pipeline.start();
  }, 60_000);
  afterAll(async () => {
    await pipeline?.stop();
    engine?.close();
  });

  it('keeps the decoder on other changes and restarts it, in software with the reason, for a new hwaccel', async () => {
    const first = await until(() => pipeline.decoderPids()[0], 'the decoder');
    await until(() => (pipeline.status()[0]?.state === 'online' ? true : undefined), 'online');
    // A mask and a tiles change: the same decoder goes on.
    engine.store.settings.write('camera_capacity', { stage: { masks: [[0, 0, 0.2, 0.2]] } });
    engine.settings.refresh();
    pipeline.applySettings({ tiles: true, motion: true });
    await new Promise((r) => setTimeout(r, 500));
    expect(pipeline.decoderPids()).toEqual([first]);
    // A hardware decoder this machine does not have: restarted, then software with the reason.
    engine.store.settings.write('camera_capacity', {
      stage: { masks: [[0, 0, 0.2, 0.2]], hwaccel: 'vaapi' },
    });
    engine.settings.refresh();
    pipeline.applySettings({});
    const status = await until(() => {
      const s = pipeline.status()[0];
      return s?.state === 'online' && s.decoderNote ? s : undefined;
    }, 'the restarted camera');
    expect(pipeline.decoderPids()[0]).not.toBe(first);
    expect(status.decoder).toBe('software');
    expect(status.decoderNote).toMatch(/^hardware decoding \(vaapi\) failed: .+; decoding in software$/);
  }, 60_000);
});
