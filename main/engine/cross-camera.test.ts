import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { findFfmpeg } from '../source/ffmpeg.js';
import { addCamera } from '../store/cameras.js';
import { listUnknowns } from '../store/unknowns.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { Engine } from './engine.js';
import type { RecognitionEvent } from './events.js';
import { Pipeline } from './pipeline.js';

describeWithAssets('unknown persons across cameras', () => {
  it('gives a stranger seen on two cameras one UNKNOWN_ id listing both cameras', async () => {
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) throw new Error('ffmpeg is required');
    const engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-cross-')) });
    // Nobody is enrolled: everyone on stage is a stranger. Camera B starts later, as if the
    // same people walked past a second camera a few seconds after the first.
    addCamera(engine.store.sql, {
      id: 'hall',
      name: 'Hall',
      url: asset('videos', 'short_hamilton_clip.mp4'),
    });
    const pipeline = new Pipeline(engine, { ffmpegPath: ffmpeg.path });
    const events: RecognitionEvent[] = [];
    pipeline.on('event', (e) => e.type === 'recognition' && events.push(e));
    await pipeline.start();
    // Lobby starts once Hall has stored a stranger, however long the 10 s clip takes here.
    const camerasOf = () => listUnknowns(engine.store.sql).map((u) => JSON.parse(u.cameras) as string[]);
    await expect
      .poll(() => camerasOf().some((c) => c.includes('hall')), { timeout: 120_000, interval: 250 })
      .toBe(true);
    addCamera(engine.store.sql, {
      id: 'lobby',
      name: 'Lobby',
      url: asset('videos', 'short_hamilton_clip.mp4'),
    });
    pipeline.sync();
    await expect
      .poll(() => events.some((e) => e.camera_id === 'lobby' && e.kind === 'recurring_unknown'), {
        timeout: 120_000,
        interval: 250,
      })
      .toBe(true);
    await pipeline.stop();
    const fromLobby = events.filter((e) => e.camera_id === 'lobby');
    expect(fromLobby.some((e) => e.kind === 'recurring_unknown')).toBe(true);
    const both = listUnknowns(engine.store.sql).filter((u) => {
      const cams = JSON.parse(u.cameras) as string[];
      return cams.includes('hall') && cams.includes('lobby');
    });
    expect(both.length).toBeGreaterThan(0);
    expect(both[0]!.appearance_count).toBeGreaterThanOrEqual(2);
    engine.close();
  }, 300_000);
});
