import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AlertEngine } from '../notify/alerts.js';
import { addCamera, listCameras } from '../store/cameras.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { awayStore, type AwayStore } from '../testing/away-store.js';
import { asRgb, background, cutHead, renderFrame, seeded, type HeadCut } from '../testing/scenes.js';
import { bufferedWriter } from './buffered-writer.js';
import { Engine } from './engine.js';
import type { EngineEvent, RecognitionEvent } from './events.js';
import { Pipeline } from './pipeline.js';

const W = 640;
const H = 360;
const celeba = (id: string): string[] =>
  readdirSync(asset('faces', 'celeba', id))
    .sort()
    .map((f) => asset('faces', 'celeba', id, f));

/**
 * The live pipeline (real models, real frames on a scene clock) while its store is away: the
 * store is the real one behind a wrapper that answers STORE_UNREACHABLE as the shared store's
 * bridge does when PostgreSQL is stopped (the bridge is not merged yet; testing/away-store.ts).
 * The cameras go on, events and alerts go out, the writes wait on the node's disk and land once
 * each when the store returns.
 */
describeWithAssets('the live pipeline while its store is away', () => {
  let engine: Engine;
  let away: AwayStore;
  let bg: Buffer;
  const heads = new Map<string, HeadCut>();
  let memberId = '';

  async function frames(head: HeadCut, n = 4): Promise<Buffer[]> {
    const rnd = seeded(head.width * 31 + head.height);
    const out: Buffer[] = [];
    for (let k = 0; k < n; k++)
      out.push(
        await renderFrame(bg, W, H, [
          { head, cx: W / 2 + (rnd() - 0.5) * 12, cy: H / 2 + (rnd() - 0.5) * 8, faceWidth: 110 + rnd() * 8 },
        ]),
      );
    return out;
  }

  async function play(p: Pipeline, t0: number, seconds: number, shots: (Buffer | null)[]): Promise<number> {
    const empty = Buffer.from(bg);
    for (let s = 0; s < seconds; s++) {
      const f = shots[s % shots.length] ?? empty;
      const img = asRgb(Buffer.from(f), W, H);
      await p.analyseFrame({ cameraId: 'lobby', at: t0 + s * 1000, width: W, height: H, data: img.data });
    }
    return t0 + seconds * 1000;
  }

  beforeAll(async () => {
    engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-away-')) });
    const models = await engine.loadModels();
    bg = await background(W, H);
    for (const [label, photo] of [
      ['member', celeba('07203')[0]!],
      ['stranger', celeba('07201')[0]!],
    ] as const) {
      const head = await cutHead(models, photo);
      if (!head) throw new Error(`no face in ${photo}`);
      heads.set(label, head);
    }
    memberId = (await engine.enroll({ name: 'Member B' }, celeba('07203').slice(1, 5))).member_id;
    engine.store.members.setAccess(memberId, { watchlist: true });
    addCamera(engine.store.sql, {
      id: 'lobby',
      name: 'lobby',
      url: asset('videos', 'faceapi_test_video.mp4'),
    });
    away = awayStore(engine);
  }, 120_000);
  afterAll(() => engine?.close());

  it('keeps recognising, alerts live, and stores every sighting once when the store returns', async () => {
    const events: EngineEvent[] = [];
    let now = Date.parse('2026-03-05T09:00:00Z');
    const writer = bufferedWriter(away.engine);
    const alerts = new AlertEngine(away.engine.store, [], {}, () => now, writer);
    const alerted: string[] = [];
    alerts.on('alert', (a) => alerted.push(`${a.type}:${a.alert_id}`));
    const p = new Pipeline(away.engine, { ffmpegPath: 'ffmpeg', trackIdleMs: 2500, preview: null });
    p.on('event', (e) => {
      events.push(e);
      alerts.handle(e);
    });
    await p.start();
    p.addCamera(
      listCameras(engine.store.sql).find((c) => c.camera_id === 'lobby')!,
      { feed: true },
    );
    const rowsBefore = engine.store.appearances.list().length;
    const alertsBefore = engine.store.alerts.all().length;

    away.mode = 'down';
    let t = now;
    t = await play(p, t, 15, await frames(heads.get('member')!));
    t = await play(p, t, 8, [null]);
    const stranger = await frames(heads.get('stranger')!);
    t = await play(p, t, 15, stranger);
    t = await play(p, t, 20, [null]);
    // The same stranger comes back: the same id on this node, though not in the store yet.
    t = await play(p, t, 15, stranger);
    now = t;
    await p.stop();

    const rec = events.filter((e): e is RecognitionEvent => e.type === 'recognition');
    // The member named, the stranger new once, then back (second visit) under the same id.
    expect(rec.some((e) => e.kind === 'known_member' && e.member_id === memberId)).toBe(true);
    const strangers = rec.filter((e) => e.kind !== 'known_member');
    expect(strangers.map((e) => e.kind).slice(0, 2)).toEqual(['new_unknown', 'recurring_unknown']);
    const strangerId = strangers[0]!.unknown_id!;
    for (const e of strangers) expect(e.unknown_id).toBe(strangerId);
    // Live all the same: the watch-list alert needs the member's row, so it waits; the stranger's does not.
    expect(alerted).toContain('new_unknown:0');
    expect(events.some((e) => e.type === 'alert' && e.alert_type === 'system_error')).toBe(true);
    expect(engine.store.appearances.list()).toHaveLength(rowsBefore);
    expect(writer.state()).toBe('away');
    expect(writer.pending()).toBeGreaterThanOrEqual(3);

    const back: string[] = [];
    writer.on('back', (n) => back.push(n.state));
    away.mode = 'up';
    expect(writer.flush()).toBe(true);
    expect(back).toEqual(['ok']);
    // Each decision of a visit (none corrected here) is one row, stored once.
    const decisions = rec.filter((e) => !e.corrects);
    const rows = engine.store.appearances.list().slice(rowsBefore);
    expect(rows.map((r) => [r.person_kind, r.person_id]).sort()).toEqual(
      decisions
        .map((e) => (e.kind === 'known_member' ? ['member', memberId] : ['unknown', strangerId]))
        .sort(),
    );
    const ops = engine.store.sql
      .prepare('SELECT op_id FROM appearances WHERE op_id IS NOT NULL')
      .pluck()
      .all() as string[];
    expect(new Set(ops).size).toBe(decisions.length);
    // The visits' ends were written as they went on (extensions replayed after their sighting).
    expect(Math.max(...rows.map((r) => Date.parse(r.last_seen) - Date.parse(r.first_seen)))).toBeGreaterThan(
      10_000,
    );
    expect(Math.max(...rows.map((r) => Date.parse(r.last_seen)))).toBeGreaterThan(t - 4000);
    expect(engine.store.unknowns.get(strangerId)).toMatchObject({ appearance_count: strangers.length });
    const stored = engine.store.alerts.all().slice(0, engine.store.alerts.all().length - alertsBefore);
    expect(stored.filter((a) => a.type === 'new_unknown').map((a) => a.person_id)).toEqual([strangerId]);
    expect(stored.some((a) => a.type === 'system_error')).toBe(true);
    // Flushed again (a restart finding nothing left): nothing doubles.
    expect(writer.flush()).toBe(true);
    expect(engine.store.appearances.list()).toHaveLength(rowsBefore + decisions.length);
    writer.close();
  }, 300_000);
});
