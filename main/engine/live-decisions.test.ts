import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AlertEngine } from '../notify/alerts.js';
import { listAppearances } from '../store/appearances.js';
import { addCamera, listCameras } from '../store/cameras.js';
import { writeConfig } from '../store/config.js';
import { listUnknowns } from '../store/unknowns.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { asRgb, background, cutHead, renderFrame, seeded, type HeadCut } from '../testing/scenes.js';
import { Engine } from './engine.js';
import type { EngineEvent, RecognitionEvent } from './events.js';
import { Pipeline, type PipelineOptions } from './pipeline.js';

const W = 640;
const H = 360;
const celeba = (id: string): string[] =>
  readdirSync(asset('faces', 'celeba', id))
    .sort()
    .map((f) => asset('faces', 'celeba', id, f));

/**
 * Long scenes on the scene's own clock: frames are rendered once (a few jittered variants per
 * head), then fed to the real pipeline (real models, real store) with timestamps one second apart,
 * so ten minutes of a loiterer take seconds, not minutes.
 */
describeWithAssets('live decisions on a simulated scene clock', () => {
  let engine: Engine;
  let bg: Buffer;
  const heads = new Map<string, HeadCut>();
  let memberId = '';

  async function variants(head: HeadCut, n = 4, face = 110, look: { blur?: number } = {}): Promise<Buffer[]> {
    const rnd = seeded(head.width * 31 + head.height);
    const out: Buffer[] = [];
    for (let k = 0; k < n; k++)
      out.push(
        await renderFrame(
          bg,
          W,
          H,
          [
            {
              head,
              cx: W / 2 + (rnd() - 0.5) * 12,
              cy: H / 2 + (rnd() - 0.5) * 8,
              faceWidth: face + rnd() * 8,
            },
          ],
          look,
        ),
      );
    return out;
  }

  /** Feeds `seconds` frames (1 per second) of `frames` (cycled; null = nobody in view) from `t0`. */
  async function play(
    p: Pipeline,
    camera: string,
    t0: number,
    seconds: number,
    frames: (Buffer | null)[],
    each?: (at: number) => void,
  ): Promise<number> {
    const empty = Buffer.from(bg);
    for (let s = 0; s < seconds; s++) {
      const at = t0 + s * 1000;
      const f = frames[s % frames.length] ?? empty;
      const img = asRgb(Buffer.from(f), W, H);
      await p.analyseFrame({ cameraId: camera, at, width: W, height: H, data: img.data });
      each?.(at);
    }
    return t0 + seconds * 1000;
  }

  function pipelineOn(
    camera: string,
    events: EngineEvent[],
    alerts?: AlertEngine,
    opts: Partial<PipelineOptions> = {},
    recognitionThreshold?: number,
  ): Pipeline {
    addCamera(engine.store.sql, {
      id: camera,
      name: camera,
      url: asset('videos', 'faceapi_test_video.mp4'),
      ...(recognitionThreshold ? { recognitionThreshold } : {}),
    });
    const p = new Pipeline(engine, {
      ffmpegPath: 'ffmpeg',
      trackIdleMs: 2500,
      preview: null,
      dismissedRefreshMs: 0,
      ...opts,
    });
    p.on('event', (e) => {
      events.push(e);
      alerts?.handle(e);
    });
    return p;
  }

  async function startFeed(p: Pipeline, camera: string): Promise<void> {
    // Cameras are started by hand below; none from the store.
    engine.store.sql.prepare('UPDATE cameras SET recognition_enabled = 0').run();
    await p.start();
    p.addCamera(
      listCameras(engine.store.sql).find((c) => c.camera_id === camera)!,
      { feed: true },
    );
  }

  beforeAll(async () => {
    engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-live-')) });
    const models = await engine.loadModels();
    bg = await background(W, H);
    for (const [label, photo] of [
      ['loiterer', celeba('07201')[0]!],
      ['member', celeba('07203')[0]!],
      ['decoy', celeba('07205')[0]!],
      ['dismissed', celeba('07207')[0]!],
      ['swap', celeba('07209')[0]!],
    ] as const) {
      const head = await cutHead(models, photo);
      if (!head) throw new Error(`no face in ${photo}`);
      heads.set(label, head);
    }
    memberId = (await engine.enroll({ name: 'Member B' }, celeba('07203').slice(1, 5))).member_id;
  }, 120_000);
  afterAll(() => engine?.close());

  it('a 10-minute loiterer (with a short occlusion) is one identity and one appearance, alerted while in view', async () => {
    const events: EngineEvent[] = [];
    let now = Date.parse('2026-03-01T09:00:00Z');
    const alerts = new AlertEngine(engine.store, [], {}, () => now);
    const p = pipelineOn('gate', events, alerts);
    await startFeed(p, 'gate');
    const frames = await variants(heads.get('loiterer')!);
    const t0 = now;
    let midwayLastSeen = '';
    let alertedAt: number | null = null;
    let t = await play(p, 'gate', t0, 300, frames, (at) => {
      now = at;
      if (alertedAt === null && events.some((e) => e.type === 'recognition' && e.kind === 'new_unknown'))
        alertedAt = at;
    });
    const open = listAppearances(engine.store.sql).filter((a) => a.camera_id === 'gate');
    midwayLastSeen = open[0]?.last_seen ?? '';
    // Looks away for 4 s (the track is lost), then stays another 5 minutes.
    t = await play(p, 'gate', t, 4, [null], (at) => (now = at));
    t = await play(p, 'gate', t, 300, frames, (at) => (now = at));
    await p.stop();
    alerts.close();

    const rec = events.filter((e): e is RecognitionEvent => e.type === 'recognition');
    expect(rec.filter((e) => e.kind === 'new_unknown')).toHaveLength(1);
    expect(rec.filter((e) => e.kind !== 'new_unknown')).toHaveLength(0);
    // Decided within seconds of appearing, long before the person left.
    expect(alertedAt! - t0).toBeLessThanOrEqual(5000);
    const stored = engine.store.sql
      .prepare("SELECT type, priority, created_at FROM alerts WHERE type = 'new_unknown'")
      .all() as { type: string; priority: string; created_at: string }[];
    expect(stored).toHaveLength(1);
    expect(Date.parse(stored[0]!.created_at) - t0).toBeLessThanOrEqual(5000);
    expect(stored[0]!.priority).toBe('high');
    const unknowns = listUnknowns(engine.store.sql);
    expect(unknowns).toHaveLength(1);
    const rows = listAppearances(engine.store.sql).filter((a) => a.camera_id === 'gate');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.person_id).toBe(unknowns[0]!.unknown_id);
    expect(Date.parse(rows[0]!.last_seen) - Date.parse(rows[0]!.first_seen)).toBeGreaterThan(600_000);
    expect(t - Date.parse(rows[0]!.last_seen)).toBeLessThanOrEqual(2000);
    // The open appearance was extended while the person stood there, not only when they left.
    expect(Date.parse(midwayLastSeen) - t0).toBeGreaterThan(290_000);
  }, 300_000);

  it('splits a visit past the maximum track age into rows of the same identity', async () => {
    const events: EngineEvent[] = [];
    const p = pipelineOn('desk', events, undefined, { timing: { maxVisitMs: 20_000 } });
    await startFeed(p, 'desk');
    const before = listUnknowns(engine.store.sql).length;
    await play(p, 'desk', Date.parse('2026-03-02T09:00:00Z'), 50, await variants(heads.get('decoy')!));
    await p.stop();
    const rows = listAppearances(engine.store.sql).filter((a) => a.camera_id === 'desk');
    expect(rows.length).toBe(3);
    expect(new Set(rows.map((r) => r.person_id)).size).toBe(1);
    expect(listUnknowns(engine.store.sql).length).toBe(before + 1);
    expect(events.filter((e) => e.type === 'recognition')).toHaveLength(1);
  }, 120_000);

  it('corrects a stranger to a member when later, sharper views of the same visit name them', async () => {
    const events: EngineEvent[] = [];
    let now = Date.parse('2026-03-03T09:00:00Z');
    const alerts = new AlertEngine(engine.store, [], {}, () => now);
    // A strict camera (recognition at 0.68): out-of-focus views of the member stay below it,
    // while still clearly the same face as the sharp views that follow.
    const p = pipelineOn('door', events, alerts, {}, 0.68);
    await startFeed(p, 'door');
    const t0 = now;
    let t = await play(
      p,
      'door',
      t0,
      6,
      await variants(heads.get('member')!, 2, 80, { blur: 2.2 }),
      (at) => (now = at),
    );
    const first = events.find((e): e is RecognitionEvent => e.type === 'recognition')!;
    expect(first.kind).toBe('new_unknown');
    t = await play(p, 'door', t, 8, await variants(heads.get('member')!, 2), (at) => (now = at));
    await p.stop();
    alerts.close();
    const rec = events.filter((e): e is RecognitionEvent => e.type === 'recognition');
    const named = rec.filter((e) => e.kind === 'known_member');
    expect(named).toHaveLength(1);
    expect(named[0]!.member_id).toBe(memberId);
    expect(named[0]!.corrects?.unknown_id).toBe(first.unknown_id);
    expect(named[0]!.track_id).toBe(first.track_id);
    const rows = listAppearances(engine.store.sql).filter((a) => a.camera_id === 'door');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ person_kind: 'member', person_id: memberId });
    expect(listUnknowns(engine.store.sql).some((u) => u.unknown_id === first.unknown_id)).toBe(false);
    const alert = engine.store.sql
      .prepare("SELECT priority, status, notes FROM alerts WHERE type = 'new_unknown' AND person_id = ?")
      .get(first.unknown_id) as { priority: string; status: string; notes: string };
    expect(alert.status).toBe('resolved');
    expect(alert.notes).toContain(memberId);
    const audit = engine.store.sql
      .prepare("SELECT subject, details FROM audit_log WHERE action = 'sighting_corrected'")
      .all() as { subject: string; details: string }[];
    expect(audit).toHaveLength(1);
    expect(audit[0]!.subject).toBe(memberId);
    expect(audit[0]!.details).toContain(first.unknown_id!);
    expect(t).toBeGreaterThan(t0);
  }, 120_000);

  it('a tracker swap (another person in the same place) is a new visit, never a correction', async () => {
    const events: EngineEvent[] = [];
    let now = Date.parse('2026-03-04T09:00:00Z');
    const alerts = new AlertEngine(engine.store, [], {}, () => now);
    const p = pipelineOn('porch', events, alerts);
    await startFeed(p, 'porch');
    const t = await play(p, 'porch', now, 6, await variants(heads.get('swap')!, 2), (at) => (now = at));
    await play(p, 'porch', t, 8, await variants(heads.get('member')!, 2), (at) => (now = at));
    await p.stop();
    alerts.close();
    const rec = events.filter((e): e is RecognitionEvent => e.type === 'recognition');
    expect(rec.map((e) => e.kind)).toEqual(['new_unknown', 'known_member']);
    expect(rec[1]!.corrects).toBeUndefined();
    const rows = listAppearances(engine.store.sql).filter((a) => a.camera_id === 'porch');
    expect(rows.map((r) => r.person_id)).toEqual([rec[0]!.unknown_id, memberId]);
    expect(Date.parse(rows[0]!.last_seen)).toBeLessThanOrEqual(Date.parse(rows[1]!.first_seen));
    expect(listUnknowns(engine.store.sql).some((u) => u.unknown_id === rec[0]!.unknown_id)).toBe(true);
    const alert = engine.store.sql
      .prepare("SELECT status FROM alerts WHERE type = 'new_unknown' AND person_id = ?")
      .get(rec[0]!.unknown_id) as { status: string };
    expect(alert.status).toBe('open');
  }, 120_000);

  it('a dismissed stranger returns silently until the suppression time has passed', async () => {
    const events: EngineEvent[] = [];
    const p = pipelineOn('yard', events);
    await startFeed(p, 'yard');
    const frames = await variants(heads.get('dismissed')!);
    let t = Date.now();
    t = await play(p, 'yard', t, 8, frames);
    t = await play(p, 'yard', t, 12, [null]);
    const first = events.filter((e): e is RecognitionEvent => e.type === 'recognition');
    expect(first.map((e) => e.kind)).toEqual(['new_unknown']);
    const id = first[0]!.unknown_id!;
    engine.resolveUnknown(id, 'dismissed');
    const countBefore = listUnknowns(engine.store.sql).length;
    // Back an hour later: no event, no new identity, the visit logged under the closed case.
    t = await play(p, 'yard', t + 3_600_000, 8, frames);
    t = await play(p, 'yard', t, 12, [null]);
    expect(events.filter((e) => e.type === 'recognition')).toHaveLength(1);
    expect(listUnknowns(engine.store.sql).length).toBe(countBefore);
    const rows = listAppearances(engine.store.sql).filter((a) => a.camera_id === 'yard');
    expect(rows.map((r) => r.person_id)).toEqual([id, id]);
    // Past the configured time (1 day), the same face is a stranger again.
    writeConfig(engine.store.sql, 'dismissed_suppression_days', 1);
    await play(p, 'yard', t + 2 * 86_400_000, 8, frames);
    await p.stop();
    const later = events.filter((e): e is RecognitionEvent => e.type === 'recognition');
    expect(later).toHaveLength(2);
    expect(later[1]!.kind).toBe('new_unknown');
    expect(later[1]!.unknown_id).not.toBe(id);
  }, 120_000);
});
