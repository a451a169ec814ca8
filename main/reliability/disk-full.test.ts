import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sessionUser } from '../accounts/sessions.js';
import type { ApiContext } from '../api/context.js';
import { Api, type CallOutcome } from '../api/dispatch.js';
import { handlers } from '../api/handlers/index.js';
import { Engine } from '../engine/engine.js';
import type { AlertEvent, EngineEvent, StatsEvent } from '../engine/events.js';
import { Pipeline } from '../engine/pipeline.js';
import { planUnknownSighting, recordMemberSighting, recordUnknownSighting } from '../engine/sightings.js';
import { AlertEngine } from '../notify/alerts.js';
import { WebhookChannel } from '../notify/channels.js';
import { findFfmpeg } from '../source/ffmpeg.js';
import { addCamera } from '../store/cameras.js';
import { integrityCheck } from '../store/open.js';
import { DISK_FULL_MESSAGE, isDiskFull, writeGuard } from '../store/write-guard.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { mulberry32 } from '../util/random.js';
import { testContext } from '../testing/api-context.js';

/**
 * A full disk, for real: SQLite's own page limit (PRAGMA max_page_count, per connection) makes
 * writes fail with SQLITE_FULL exactly as a full disk does; raising it is space coming back.
 */

const fillTo = (engine: Engine) =>
  engine.store.sqlite.pragma(
    `max_page_count = ${engine.store.sqlite.pragma('page_count', { simple: true }) as number}`,
  );
const makeRoom = (engine: Engine) =>
  engine.store.sqlite.pragma(
    `max_page_count = ${(engine.store.sqlite.pragma('page_count', { simple: true }) as number) + 10_000}`,
  );

function randomUnit(rand: () => number, dim: number): Float32Array {
  const v = Float32Array.from({ length: dim }, () => rand() * 2 - 1);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the write guard on a full disk', () => {
  it('stops writing at SQLITE_FULL, logs once, keeps the search index true to the store, and resumes', async () => {
    const engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-diskfull-')) });
    const guard = writeGuard(engine.store.sql);
    guard.retryMs = 200;
    const notices: string[] = [];
    guard.on('full', (n) => notices.push(`full:${n.kind}:${n.message}`));
    guard.on('resumed', (n) => notices.push(`resumed:${JSON.stringify(n.dropped)}`));
    const stderr = vi.spyOn(process.stderr, 'write');
    const rand = mulberry32(5);
    const stranger = () => {
      const base = randomUnit(rand, engine.store.vectors.dim);
      const s = {
        cameraId: 'door',
        firstSeen: Date.now() - 1000,
        lastSeen: Date.now(),
        bbox: [10, 10, 90, 90] as [number, number, number, number],
        shots: [{ embedding: base, quality: 0.9 }],
        nearest: undefined,
        unknownThreshold: 0.5,
      };
      return { s, plan: planUnknownSighting(s) };
    };
    try {
      // Some sightings first, so the store is in use (sqlite-vec has allocated its first chunk).
      for (let i = 0; i < 3; i++) {
        const { s, plan } = stranger();
        recordUnknownSighting(engine, s, plan);
      }
      fillTo(engine);
      let written = 0;
      let last: ReturnType<typeof stranger> | undefined;
      while (guard.writing) {
        last = stranger();
        const { s, plan } = last;
        if (guard.write('unknown_sighting', () => recordUnknownSighting(engine, s, plan)) !== undefined)
          written++;
        expect(written, 'the page limit was never reached').toBeLessThan(100_000);
      }
      expect(notices).toEqual([`full:unknown_sighting:${DISK_FULL_MESSAGE}`]);
      // The sighting that found the disk full was rolled back, and so were its vectors in memory.
      const rolledBack = last!.plan.unknownId;
      expect(
        engine.store.sql.prepare('SELECT 1 FROM unknown_persons WHERE unknown_id = ?').get(rolledBack),
      ).toBeUndefined();
      const hit = engine.store.vectors.searchPeople('unknown', last!.s.shots[0]!.embedding, 1)[0];
      expect(hit?.personId).not.toBe(rolledBack);
      const stored = engine.store.sql
        .prepare("SELECT COUNT(*) FROM embeddings WHERE person_kind = 'unknown'")
        .pluck()
        .get();
      expect(engine.store.vectors.count('unknown')).toBe(stored);

      // Later writes are dropped without being tried, counted, and logged no more.
      const tried = vi.fn(() => 1);
      for (let i = 0; i < 5; i++) expect(guard.write('appearance', tried)).toBeUndefined();
      expect(tried).not.toHaveBeenCalled();
      expect(guard.stats()).toMatchObject({
        disk_full: true,
        dropped: { unknown_sighting: 1, appearance: 5 },
      });
      await new Promise((r) => setTimeout(r, 700));
      expect(guard.writing, 'a probe must not succeed while the disk is still full').toBe(false);
      const lines = stderr.mock.calls
        .map((c) => String(c[0]))
        .filter((l) => l.includes('"event":"disk_full"'));
      expect(lines).toHaveLength(1);

      makeRoom(engine);
      await until('the guard to resume', () => guard.writing, 5000);
      expect(notices[1]).toBe('resumed:{"unknown_sighting":1,"appearance":5}');
      const { s, plan } = stranger();
      expect(guard.write('unknown_sighting', () => recordUnknownSighting(engine, s, plan))).toBeGreaterThan(
        0,
      );
      expect(
        engine.store.sql
          .prepare("SELECT COUNT(*) FROM system_config WHERE key = 'probe.write'")
          .pluck()
          .get(),
      ).toBe(0);
      expect(integrityCheck(engine.store.sqlite)).toBe('ok');
      expect(written).toBeGreaterThan(0);
    } finally {
      stderr.mockRestore();
      guard.close();
      engine.close();
    }
  });

  it('an API call that cannot be saved on a full disk answers with a sentence, not an internal error', async () => {
    const engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-diskfull-api-')) });
    const api = new Api(handlers);
    const ctx: ApiContext = testContext(engine, sessionUser('admin', 'admin'));
    try {
      fillTo(engine);
      let out: CallOutcome | undefined;
      for (let i = 0; i < 100_000 && (!out || out.ok); i++) {
        out = await api.call(ctx, {
          method: 'cameras.add',
          params: { id: `cam${i}`, name: `Camera ${i}`, url: `rtsp://127.0.0.1:8554/cam${i}` },
        });
      }
      expect(out).toMatchObject({
        ok: false,
        error: {
          detail: 'DISK_FULL',
          message:
            'The disk holding the data folder is full, so nothing was saved; free some space and try again.',
        },
      });
    } finally {
      engine.close();
    }
  });

  it('tells a full disk from other I/O errors', () => {
    expect(isDiskFull({ code: 'SQLITE_FULL' })).toBe(true);
    // An fsync error on a disk with plenty of space left is not a full disk.
    expect(isDiskFull({ code: 'SQLITE_IOERR_FSYNC' }, tmpdir())).toBe(false);
    expect(isDiskFull({ code: 'SQLITE_BUSY' }, tmpdir())).toBe(false);
    expect(isDiskFull(new Error('database or disk is full'))).toBe(false);
  });
});

describeWithAssets('the live pipeline on a full disk', () => {
  let engine: Engine;
  let pipeline: Pipeline;
  let alerts: AlertEngine;
  let webhook: Server;
  const delivered: { text: string }[] = [];
  const events: { at: number; e: EngineEvent }[] = [];
  let lin: string;

  beforeAll(async () => {
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) throw new Error('ffmpeg is required (bash .ci/setup installs it)');
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        delivered.push(JSON.parse(body) as { text: string });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', () => r()));
    engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-diskfull-pipe-')) });
    lin = (
      await engine.enroll({ name: 'Lin-Manuel Miranda' }, [
        asset('faces', 'face_recognition_knn', 'gallery_hamilton', 'lin-manuel-miranda.png'),
      ])
    ).member_id;
    addCamera(engine.store.sql, {
      id: 'stage',
      name: 'Stage',
      url: asset('videos', 'short_hamilton_clip.mp4'),
      loop: true,
    });
    pipeline = new Pipeline(engine, {
      ffmpegPath: ffmpeg.path,
      diskRetryMs: 500,
      trackIdleMs: 600,
      preview: null,
    });
    alerts = new AlertEngine(engine.store, [
      new WebhookChannel(`http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`),
    ]);
    pipeline.on('event', (e) => {
      events.push({ at: Date.now(), e });
      alerts.handle(e);
    });
    await pipeline.start();
  }, 60_000);
  afterAll(async () => {
    await pipeline?.stop();
    alerts?.close();
    engine?.close();
    webhook?.close();
  });

  const cameraRows = () =>
    engine.store.sql
      .prepare("SELECT COUNT(*) FROM appearances WHERE camera_id = 'stage'")
      .pluck()
      .get() as number;
  const systemAlerts = (type: string) =>
    events.filter((x): x is { at: number; e: AlertEvent } => x.e.type === 'alert' && x.e.alert_type === type);

  it('stops recording when the disk fills, keeps recognising, says so once, and resumes when space returns', async () => {
    await until('the pipeline to record a sighting', () => cameraRows() > 0, 40_000);

    // Another writer fills the disk with rows shaped like the pipeline's own.
    fillTo(engine);
    let filler = 0;
    for (;;) {
      try {
        recordMemberSighting(engine, {
          memberId: lin,
          cameraId: 'filler',
          firstSeen: Date.now(),
          lastSeen: Date.now(),
          similarity: 0.71234,
          bbox: [100, 100, 200, 200],
        });
        filler++;
      } catch (e) {
        expect((e as { code?: string }).code).toBe('SQLITE_FULL');
        break;
      }
    }
    const rowsWhenFull = cameraRows();

    // The pipeline's next write finds the disk full: one system_error (high), shown and sent; it
    // cannot be stored while the disk is full.
    await until('the disk-full alert', () => systemAlerts('system_error').length > 0, 40_000);
    const fullAt = systemAlerts('system_error')[0]!.at;
    expect(systemAlerts('system_error')[0]!.e).toMatchObject({
      priority: 'high',
      message: DISK_FULL_MESSAGE,
    });
    await until(
      'recognition to go on while nothing is recorded',
      () => events.some((x) => x.e.type === 'recognition' && x.at > fullAt),
      40_000,
    );
    const stats = pipeline.stats() as StatsEvent;
    expect(stats.disk_full).toBe(true);
    const dropped = Object.values(stats.writes_dropped ?? {}).reduce((a, b) => a + b, 0);
    expect(dropped).toBeGreaterThan(0);
    expect(cameraRows()).toBe(rowsWhenFull);
    expect(systemAlerts('system_error')).toHaveLength(1);

    makeRoom(engine);
    await until('the recovered alert', () => systemAlerts('system_recovered').length > 0, 10_000);
    expect(systemAlerts('system_recovered')[0]!.e.message).toMatch(/^Vigil is recording again/);
    await until('the pipeline to record again', () => cameraRows() > rowsWhenFull, 40_000);
    expect((pipeline.stats() as StatsEvent).disk_full).toBe(false);

    await alerts.flush();
    expect(delivered.map((d) => d.text)).toEqual(
      expect.arrayContaining([
        `[HIGH] ${DISK_FULL_MESSAGE}`,
        expect.stringMatching(/^\[LOW\] Vigil is recording again/),
      ]),
    );
    expect(
      engine.store.sql.prepare("SELECT COUNT(*) FROM alerts WHERE type LIKE 'system_%'").pluck().get(),
    ).toBe(0);
    expect(integrityCheck(engine.store.sqlite)).toBe('ok');
    expect(filler).toBeGreaterThan(0);
    console.log(
      `disk full: ${filler} filler rows to the limit, ${dropped} pipeline writes dropped (${JSON.stringify(stats.writes_dropped)}), recording resumed`,
    );
  }, 150_000);
});
