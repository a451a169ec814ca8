import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { findFfmpeg } from '../source/ffmpeg.js';
import { listAppearances } from '../store/appearances.js';
import { addCamera } from '../store/cameras.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { LoopbackRtsp } from '../testing/rtsp.js';
import { Engine } from './engine.js';
import type { EngineEvent, RecognitionEvent } from './events.js';
import { Pipeline } from './pipeline.js';

const GALLERY = (f: string) => asset('faces', 'face_recognition_knn', 'gallery_hamilton', f);
const CLIP = asset('videos', 'short_hamilton_clip.mp4');

describeWithAssets('live pipeline on a real RTSP stream', () => {
  let engine: Engine;
  let rtsp: LoopbackRtsp;
  let lin: string;
  const events: EngineEvent[] = [];
  beforeAll(async () => {
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) throw new Error('ffmpeg is required (bash .ci/setup installs it)');
    engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-pipe-')) });
    lin = (await engine.enroll({ name: 'Lin-Manuel Miranda' }, [GALLERY('lin-manuel-miranda.png')]))
      .member_id;
    await engine.enroll({ name: 'Alex Lacamoire' }, [GALLERY('alex-lacamoire.png')]);
    rtsp = await LoopbackRtsp.start(ffmpeg.path);
    rtsp.publish('stage', CLIP);
    addCamera(engine.store.sql, { id: 'stage', name: 'Stage', url: rtsp.url('stage') });
    const pipeline = new Pipeline(engine, { ffmpegPath: ffmpeg.path });
    pipeline.on('event', (e) => events.push(e));
    await pipeline.start();
    // Until both people were met (the stream loops, so a slow machine only takes longer), then
    // stop: open tracks are finalised on stop.
    const rec = () => events.filter((e): e is RecognitionEvent => e.type === 'recognition');
    await vi.waitFor(
      () => {
        expect(rec().some((e) => e.kind === 'known_member' && e.member_id === lin)).toBe(true);
        expect(rec().some((e) => e.kind === 'new_unknown')).toBe(true);
      },
      { timeout: 180_000, interval: 250 },
    );
    await pipeline.stop();
  }, 300_000);
  afterAll(() => {
    rtsp?.stopAll();
    engine?.close();
  });

  it('goes online and produces member and unknown events', () => {
    const statuses = events
      .filter((e) => e.type === 'camera_status')
      .map((e) => (e as { state: string }).state);
    expect(statuses).toContain('online');
    const rec = events.filter((e): e is RecognitionEvent => e.type === 'recognition');
    const members = rec.filter((e) => e.kind === 'known_member');
    expect(members.some((e) => e.member_id === lin && e.name === 'Lin-Manuel Miranda')).toBe(true);
    expect(
      rec.some((e) => e.kind === 'new_unknown' && /^UNKNOWN_\d{8}_[0-9a-f]{8}$/.test(e.unknown_id!)),
    ).toBe(true);
  });

  it('logs a named member once per track, not once per frame', () => {
    const rec = events.filter(
      (e): e is RecognitionEvent => e.type === 'recognition' && e.kind === 'known_member',
    );
    const rows = listAppearances(engine.store.sql).filter(
      (a) => a.person_kind === 'member' && a.camera_id === 'stage',
    );
    expect(rows.length).toBe(rec.length);
    expect(new Set(rec.map((e) => `${e.camera_id}:${e.track_id}`)).size).toBe(rec.length);
    for (const r of rows) expect(r.last_seen >= r.first_seen).toBe(true);
  });
});
