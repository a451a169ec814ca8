import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFfmpeg } from '../source/ffmpeg.js';
import { listAppearances } from '../store/appearances.js';
import { addCamera } from '../store/cameras.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { Engine } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import { countOpenAlerts, startRuntime } from './live-runtime.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vigil-runtime-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runtime without ffmpeg', () => {
  it('runs no cameras, counts open alerts and stops once', async () => {
    const dataDir = tmp();
    const engine = Engine.open({ dataDir });
    try {
      const insert = engine.store.sql.prepare(
        'INSERT INTO alerts (type, priority, status, message, created_at) VALUES (?, ?, ?, ?, ?)',
      );
      const at = new Date().toISOString();
      insert.run('new_unknown', 'high', 'open', 'a', at);
      insert.run('recurring_unknown', 'medium', 'open', 'b', at);
      insert.run('camera_offline', 'critical', 'resolved', 'c', at);
      const events: EngineEvent[] = [];
      const rt = await startRuntime(engine, {
        pack: 'default',
        dataDir,
        onEvent: (e) => events.push(e),
        ffmpeg: null,
      });
      expect(rt.pipeline).toBeNull();
      expect(rt.ffmpeg).toBeNull();
      expect(rt.cameras()).toEqual([]);
      expect(rt.openAlerts()).toEqual({ total: 2, urgent: 1 });
      expect(countOpenAlerts(engine.store)).toEqual({ total: 2, urgent: 1 });
      const first = rt.stop();
      expect(rt.stop()).toBe(first);
      await first;
      // The store stays open for its owner to close.
      expect(engine.store.sql.open).toBe(true);
      expect(events).toEqual([]);
    } finally {
      engine.close();
    }
  });
});

describeWithAssets('runtime with a camera', () => {
  const dataDir = tmp();
  let engine: Engine;
  const events: EngineEvent[] = [];
  let eventsAtStop = 0;
  let camerasBeforeStop: string[] = [];

  beforeAll(async () => {
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) throw new Error('ffmpeg is required (bash .ci/setup installs it)');
    engine = Engine.open({ dataDir });
    await engine.enroll({ name: 'Lin-Manuel Miranda' }, [
      asset('faces', 'face_recognition_knn', 'gallery_hamilton', 'lin-manuel-miranda.png'),
    ]);
    addCamera(engine.store.sql, {
      id: 'stage',
      name: 'Stage',
      url: asset('videos', 'short_hamilton_clip.mp4'),
    });
    const rt = await startRuntime(engine, {
      pack: 'default',
      dataDir,
      ffmpeg,
      statsMs: 500,
      onEvent: (e) => events.push(e),
    });
    // Until the first recognition, then stop mid-clip: open tracks must still be written.
    const deadline = Date.now() + 40_000;
    while (!events.some((e) => e.type === 'recognition') && Date.now() < deadline) await sleep(200);
    camerasBeforeStop = rt.cameras().map((c) => `${c.camera_id}:${c.state}`);
    await rt.stop();
    eventsAtStop = events.length;
    await sleep(1200);
  }, 90_000);

  afterAll(() => engine?.close());

  it('forwards camera status, recognitions and periodic stats', () => {
    expect(camerasBeforeStop).toEqual(['stage:online']);
    const types = new Set(events.map((e) => e.type));
    expect(types).toContain('camera_status');
    expect(types).toContain('recognition');
    expect(events.filter((e) => e.type === 'stats').length).toBeGreaterThanOrEqual(1);
  });

  it('writes what open tracks saw when stopped, and then falls silent', () => {
    expect(listAppearances(engine.store.sql).length).toBeGreaterThanOrEqual(1);
    expect(events.length).toBe(eventsAtStop);
    expect(engine.store.sql.open).toBe(true);
  });
});
