/**
 * Labelled scenes through the real live pipeline. Scenes are rendered with sharp + ffmpeg from
 * identity-labelled photos (heads pasted on a background with motion and jitter), played as file
 * cameras into the pipeline that `vigil serve` runs (inference worker pool, alert engine, encrypted
 * store, members enrolled through Engine.enroll), and scored against the labels: members named,
 * wrong names, identities per stranger, strangers lost, and the time from a stranger's first frame
 * to its new_unknown alert.
 *
 * Idle time is compressed, not rendered: each segment of a scene starts at its own scene time (a
 * return after an hour is a second file stamped an hour later), files are analysed as fast as the
 * analysis allows with back-pressure instead of at their frame rate, and every timestamp (tracks,
 * appearances, alerts) comes from the frames' scene clock. The decisions are the product's own.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../engine/engine.js';
import type { EngineEvent, RecognitionEvent } from '../engine/events.js';
import { defaultPool } from '../engine/inference-pool.js';
import { Pipeline } from '../engine/pipeline.js';
import { AlertEngine } from '../notify/alerts.js';
import type { AlertMessage } from '../notify/channels.js';
import { findFfmpeg } from '../source/ffmpeg.js';
import { background, cutHead, renderFrame, seeded, type HeadCut, type Placement } from '../testing/scenes.js';
import { benchArgs, percentile, round } from './args.js';
import { assetsDir } from './assets.js';

const args = benchArgs({
  seed: { type: 'string', default: '7' },
  /** Skip the 10-minute loiterer (a quick run while developing). */
  quick: { type: 'boolean', default: false },
  /** Print every decision with its label, and every appearance row. */
  verbose: { type: 'boolean', default: false },
});
const W = 960;
const H = 540;
const ffmpeg = findFfmpeg();
if (!ffmpeg) throw new Error('ffmpeg not found');

// ---- the script ---------------------------------------------------------------------------

/** One person's presence in a segment: a straight path (fractions of the frame) over [from, to] s. */
interface Appear {
  who: string;
  /** Which of the person's scene photos (0 = first; a returning stranger may come back in another). */
  photo?: number;
  from: number;
  to: number;
  path: [number, number, number, number];
  /** Face width in pixels. */
  face: number;
  /** Hidden (looking away, behind something) over these seconds. */
  hidden?: [number, number];
}
interface Segment {
  camera: string;
  /** Scene seconds at which the segment starts. */
  at: number;
  seconds: number;
  fps: number;
  people: Appear[];
  /** A dim or soft camera (see renderFrame). */
  look?: { brightness?: number; blur?: number };
}
interface Scene {
  name: string;
  segments: Segment[];
}

const still = (x: number, y: number): [number, number, number, number] => [x, y, x + 0.02, y + 0.01];
const SCENES: Scene[] = [
  {
    name: 'walk-past',
    segments: [
      {
        camera: 'door',
        at: 0,
        seconds: 40,
        fps: 5,
        people: [
          { who: 'M1', from: 0, to: 8, path: [-0.05, 0.45, 1.05, 0.4], face: 92 },
          { who: 'S1', from: 10, to: 14, path: [1.05, 0.42, 0.55, 0.45], face: 88 },
          { who: 'S1', from: 14, to: 32, path: still(0.55, 0.45), face: 88 },
          { who: 'S1', from: 32, to: 36, path: [0.57, 0.46, -0.05, 0.44], face: 88 },
        ],
      },
    ],
  },
  {
    name: 'side-by-side',
    segments: [
      {
        camera: 'hall',
        at: 0,
        seconds: 30,
        fps: 5,
        people: [
          { who: 'M2', from: 0, to: 3, path: [-0.05, 0.5, 0.33, 0.5], face: 86 },
          { who: 'M2', from: 3, to: 20, path: still(0.33, 0.5), face: 86 },
          { who: 'S2', from: 0, to: 3, path: [1.05, 0.5, 0.63, 0.5], face: 84 },
          { who: 'S2', from: 3, to: 20, path: still(0.63, 0.5), face: 84 },
          { who: 'S3', from: 21, to: 28, path: [1.05, 0.3, -0.05, 0.32], face: 80 },
        ],
      },
    ],
  },
  {
    name: 'loiterer-10min',
    segments: [
      {
        camera: 'gate',
        at: 0,
        seconds: 600,
        fps: 5,
        people: [
          { who: 'S4', from: 0, to: 4, path: [-0.05, 0.45, 0.45, 0.45], face: 78, hidden: [300, 303] },
          { who: 'S4', from: 4, to: 600, path: still(0.45, 0.45), face: 78, hidden: [300, 303] },
        ],
      },
    ],
  },
  {
    name: 'return-after-1h',
    segments: [
      {
        camera: 'porch',
        at: 0,
        seconds: 25,
        fps: 5,
        people: [
          { who: 'S5', from: 0, to: 4, path: [1.05, 0.45, 0.5, 0.45], face: 90 },
          { who: 'S5', from: 4, to: 14, path: still(0.5, 0.45), face: 90 },
          { who: 'S5', from: 14, to: 18, path: [0.52, 0.46, -0.05, 0.45], face: 90 },
          { who: 'M3', from: 17, to: 24, path: [-0.05, 0.35, 1.05, 0.38], face: 86 },
        ],
      },
      {
        camera: 'porch',
        at: 3600,
        seconds: 20,
        fps: 5,
        people: [
          { who: 'S5', photo: 1, from: 0, to: 4, path: [-0.05, 0.45, 0.45, 0.45], face: 90 },
          { who: 'S5', photo: 1, from: 4, to: 14, path: still(0.45, 0.45), face: 90 },
          { who: 'S5', photo: 1, from: 14, to: 18, path: [0.47, 0.45, 1.05, 0.45], face: 90 },
        ],
      },
    ],
  },
  {
    name: 'cross-camera',
    segments: [
      {
        camera: 'lobby',
        at: 0,
        seconds: 20,
        fps: 5,
        people: [
          { who: 'S6', from: 0, to: 12, path: [-0.05, 0.45, 1.05, 0.5], face: 88 },
          { who: 'M4', from: 6, to: 16, path: [1.05, 0.3, -0.05, 0.3], face: 80 },
        ],
      },
      {
        camera: 'yard',
        at: 30,
        seconds: 20,
        fps: 5,
        people: [
          { who: 'S6', photo: 1, from: 0, to: 12, path: [1.05, 0.5, -0.05, 0.45], face: 84 },
          { who: 'M4', from: 4, to: 14, path: [-0.05, 0.35, 1.05, 0.3], face: 82 },
        ],
      },
    ],
  },
  {
    name: 'dim-corridor',
    segments: [
      {
        camera: 'corridor',
        at: 0,
        seconds: 30,
        fps: 5,
        look: { brightness: 0.55, blur: 0.9 },
        people: [
          { who: 'S9', from: 0, to: 12, path: [-0.05, 0.4, 1.05, 0.45], face: 64 },
          { who: 'M2', from: 8, to: 20, path: [1.05, 0.55, -0.05, 0.5], face: 66 },
          { who: 'S10', from: 14, to: 18, path: [0.7, 1.1, 0.5, 0.45], face: 60 },
          { who: 'S10', from: 18, to: 28, path: still(0.5, 0.45), face: 60 },
        ],
      },
    ],
  },
  {
    name: 'leave-and-return',
    segments: [
      {
        camera: 'desk',
        at: 0,
        seconds: 40,
        fps: 5,
        people: [
          { who: 'S7', from: 0, to: 12, path: still(0.5, 0.45), face: 90 },
          { who: 'S7', from: 12, to: 14, path: [0.5, 0.45, 1.05, 0.45], face: 90 },
          { who: 'S7', from: 17, to: 19, path: [1.05, 0.45, 0.5, 0.45], face: 90 },
          { who: 'S7', from: 19, to: 28, path: still(0.5, 0.45), face: 90 },
          { who: 'S8', from: 30, to: 34, path: [-0.05, 0.3, 1.05, 0.32], face: 80 },
          { who: 'M1', from: 33, to: 39, path: [1.05, 0.55, -0.05, 0.55], face: 88 },
        ],
      },
    ],
  },
];
const scenes = args.quick ? SCENES.filter((s) => !s.name.startsWith('loiterer')) : SCENES;

// ---- the cast -------------------------------------------------------------------------------

const engineDir = mkdtempSync(join(tmpdir(), 'vigil-bench-scenarios-'));
const engine = Engine.open({ dataDir: engineDir, actor: 'engine', passphrase: 'bench-scenarios' });
const models = await engine.loadModels();
const roles = [
  ...new Set(SCENES.flatMap((s) => s.segments.flatMap((g) => g.people.map((p) => p.who)))),
].sort();
const celeba = join(assetsDir(), 'faces', 'celeba');
const rnd = seeded(Number(args.seed));
const ids = readdirSync(celeba).sort();
for (let i = ids.length - 1; i > 0; i--) {
  const j = Math.floor(rnd() * (i + 1));
  [ids[i], ids[j]] = [ids[j]!, ids[i]!];
}
interface CastMember {
  identity: string;
  heads: HeadCut[];
  memberId?: string;
}
const cast = new Map<string, CastMember>();
const t0 = Date.now();
for (const role of roles) {
  while (!cast.has(role)) {
    const identity = ids.shift();
    if (!identity) throw new Error('not enough usable identities in faces/celeba');
    const photos = readdirSync(join(celeba, identity))
      .sort()
      .map((f) => join(celeba, identity, f));
    if (photos.length < 5) continue;
    // Scene photos are never enrollment photos: the first two are seen, the rest enrolled.
    const heads = (await Promise.all(photos.slice(0, 2).map((p) => cutHead(models, p)))).filter(
      (h): h is HeadCut => !!h && h.faceWidth >= 50,
    );
    if (heads.length < 2) continue;
    const c: CastMember = { identity, heads };
    if (role.startsWith('M')) {
      try {
        c.memberId = (await engine.enroll({ name: `Member ${role}` }, photos.slice(2, 6))).member_id;
      } catch {
        continue;
      }
    }
    cast.set(role, c);
  }
}
console.log(
  `cast               ${[...cast].map(([r, c]) => `${r}=celeba/${c.identity}`).join(' ')} (${round((Date.now() - t0) / 1000, 1)} s)`,
);

// ---- rendering ----------------------------------------------------------------------------

const cacheDir = join(tmpdir(), 'vigil-scenes-cache');
mkdirSync(cacheDir, { recursive: true });
const bg = await background(W, H);

/** Where each visible person is in frame k of a segment (centre, face width). */
function positions(
  seg: Segment,
  k: number,
): { who: string; cx: number; cy: number; face: number; photo: number }[] {
  const t = k / seg.fps;
  const out: { who: string; cx: number; cy: number; face: number; photo: number }[] = [];
  for (const a of seg.people) {
    if (t < a.from || t >= a.to) continue;
    if (a.hidden && t >= a.hidden[0] && t < a.hidden[1]) continue;
    const f = (t - a.from) / Math.max(1e-6, a.to - a.from);
    const j = seeded(k * 7919 + a.who.charCodeAt(1) * 104729);
    // Sway and detector-scale jitter: people never stand pixel-still.
    const cx = (a.path[0] + (a.path[2] - a.path[0]) * f) * W + Math.sin(t * 0.9) * 6 + (j() - 0.5) * 5;
    const cy = (a.path[1] + (a.path[3] - a.path[1]) * f) * H + Math.sin(t * 0.6) * 3 + (j() - 0.5) * 4;
    out.push({ who: a.who, cx, cy, face: a.face * (0.97 + j() * 0.06), photo: a.photo ?? 0 });
  }
  return out;
}

async function render(scene: Scene, seg: Segment, idx: number): Promise<string> {
  const key = createHash('sha1')
    .update(JSON.stringify({ v: 1, seg, cast: [...cast].map(([r, c]) => [r, c.identity]) }))
    .digest('hex')
    .slice(0, 16);
  const file = join(cacheDir, `${scene.name}-${idx}-${key}.mp4`);
  if (existsSync(file)) return file;
  const tmp = `${file}.part.mp4`;
  const enc = spawn(
    ffmpeg!.path,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${W}x${H}`,
      '-r',
      String(seg.fps),
      '-i',
      'pipe:0',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-crf',
      '20',
      '-g',
      String(seg.fps * 2),
      '-pix_fmt',
      'yuv420p',
      tmp,
    ],
    { stdio: ['pipe', 'ignore', 'inherit'] },
  );
  const done = new Promise<number | null>((r) => enc.on('close', r));
  for (let k = 0; k < seg.seconds * seg.fps; k++) {
    const placements: Placement[] = positions(seg, k).map((p) => {
      const heads = cast.get(p.who)!.heads;
      return { head: heads[Math.min(p.photo, heads.length - 1)]!, cx: p.cx, cy: p.cy, faceWidth: p.face };
    });
    const frame = await renderFrame(bg, W, H, placements, seg.look);
    if (!enc.stdin.write(frame)) await new Promise((r) => enc.stdin.once('drain', r));
  }
  enc.stdin.end();
  if ((await done) !== 0) throw new Error(`ffmpeg could not encode ${scene.name}`);
  renameSync(tmp, file);
  return file;
}

const r0 = Date.now();
const files = new Map<Segment, string>();
for (const scene of scenes)
  for (const [i, seg] of scene.segments.entries()) files.set(seg, await render(scene, seg, i));
console.log(`scenes rendered    ${round((Date.now() - r0) / 1000, 1)} s (cached in ${cacheDir})`);

// ---- the live side, as `vigil serve` runs it ------------------------------------------------

const SCENE_BASE = Date.parse('2026-06-01T08:00:00Z');
/** Each scene on its own day, so scenes never overlap in time. */
const sceneStart = (i: number) => SCENE_BASE + i * 86_400_000;
let sceneClock = { at: SCENE_BASE, wall: Date.now() };
const now = () => sceneClock.at + (Date.now() - sceneClock.wall);
const replayAt = new Map<string, number>();
const pool = defaultPool('default', engineDir);
const pipeline = new Pipeline(engine, {
  ffmpegPath: ffmpeg.path,
  analyzer: pool,
  preview: null,
  clock: now,
  replayFrom: (camera) => replayAt.get(camera),
  onFrameStart: (_camera, at) => (sceneClock = { at, wall: Date.now() }),
});
const alerts = new AlertEngine(engine.store, [], {}, now);
const alertLog: AlertMessage[] = [];
alerts.on('alert', (a) => alertLog.push(a));
const events: RecognitionEvent[] = [];
const ended = new Set<string>();
pipeline.on('event', (e: EngineEvent) => {
  alerts.handle(e);
  if (e.type === 'recognition') events.push(e);
  if (e.type === 'camera_status' && e.state === 'offline' && e.reason === 'the stream ended')
    ended.add(e.camera_id);
});
await pipeline.start();

const a0 = Date.now();
let framesPlayed = 0;
const placedSegments: { scene: number; seg: Segment; start: number }[] = [];
for (const [si, scene] of scenes.entries()) {
  for (const seg of scene.segments) {
    const start = sceneStart(si) + seg.at * 1000;
    placedSegments.push({ scene: si, seg, start });
    replayAt.set(seg.camera, start);
    ended.delete(seg.camera);
    const row = engine.store.cameras.add({
      id: seg.camera,
      name: seg.camera,
      url: files.get(seg)!,
      fps: seg.fps,
    });
    pipeline.addCamera(row);
    while (!ended.has(seg.camera)) await new Promise((r) => setTimeout(r, 50));
    await pipeline.removeCamera(seg.camera);
    engine.store.cameras.remove(seg.camera);
    framesPlayed += seg.seconds * seg.fps;
  }
}
const analysisWall = (Date.now() - a0) / 1000;
await pipeline.stop();
alerts.close();
await alerts.flush();
await pool.close();

// ---- scoring --------------------------------------------------------------------------------

/** Which labelled person an event is about: the one nearest its box at its frame, if any is close. */
function labelOf(e: RecognitionEvent): { who: string; scene: number; seg: Segment } | null {
  const placed = placedSegments.find(
    (p) =>
      p.seg.camera === e.camera_id && e.frame_at >= p.start && e.frame_at < p.start + p.seg.seconds * 1000,
  );
  if (!placed) return null;
  const k = Math.round(((e.frame_at - placed.start) * placed.seg.fps) / 1000);
  const cx = (e.bbox[0] + e.bbox[2]) / 2;
  const cy = (e.bbox[1] + e.bbox[3]) / 2;
  let best: { who: string; d: number } | null = null;
  for (const p of positions(placed.seg, k)) {
    const d = Math.hypot(p.cx - cx, p.cy - cy);
    if (d < p.face * 1.2 && (!best || d < best.d)) best = { who: p.who, d };
  }
  return best ? { who: best.who, scene: placed.scene, seg: placed.seg } : null;
}

/** When a person is first at least half in view in a segment (scene ms), or null. */
function firstInView(who: string, p: { seg: Segment; start: number }): number | null {
  for (let k = 0; k < p.seg.seconds * p.seg.fps; k++) {
    const at = positions(p.seg, k).find((x) => x.who === who);
    if (at && at.cx >= 0 && at.cx <= W && at.cy >= 0 && at.cy <= H) return p.start + (k * 1000) / p.seg.fps;
  }
  return null;
}

interface SceneScore {
  memberVisits: number;
  membersNamed: number;
  wrongNames: number;
  strangers: number;
  strangerIds: number;
  strangersLost: number;
  latencies: number[];
  alertsMissing: number;
  /** Appearance rows written, and person-visits shown (one person in one segment): ideally equal. */
  appearances: number;
  visits: number;
}
const perScene: SceneScore[] = scenes.map(() => ({
  memberVisits: 0,
  membersNamed: 0,
  wrongNames: 0,
  strangers: 0,
  strangerIds: 0,
  strangersLost: 0,
  latencies: [],
  alertsMissing: 0,
  appearances: 0,
  visits: 0,
}));
const labelled = events.map((e) => ({ e, l: labelOf(e) }));
const unlabelled = labelled.filter((x) => !x.l).length;
if (args.verbose) {
  for (const { e, l } of labelled)
    console.log(
      `event  ${e.camera_id} +${((e.frame_at - (placedSegments.find((p) => p.seg === l?.seg)?.start ?? e.frame_at)) / 1000).toFixed(1)} s track ${e.track_id} ${e.kind} ${e.member_id ?? e.unknown_id} ${e.confidence} → ${l?.who ?? '?'}${e.corrects ? ` (corrects ${e.corrects.unknown_id})` : ''}`,
    );
  for (const a of engine.store.appearances.list())
    console.log(
      `row    ${a.camera_id} ${a.first_seen.slice(11, 19)}–${a.last_seen.slice(11, 19)} ${a.person_kind} ${a.person_id}`,
    );
}
for (const { e, l } of labelled) {
  if (!l || e.kind !== 'known_member') continue;
  const truth = cast.get(l.who)!.memberId;
  if (e.member_id !== truth) perScene[l.scene]!.wrongNames++;
}
for (const [si, scene] of scenes.entries()) {
  const s = perScene[si]!;
  const segs = placedSegments.filter((p) => p.scene === si);
  const who = [...new Set(scene.segments.flatMap((g) => g.people.map((p) => p.who)))];
  for (const p of segs) {
    s.visits += new Set(p.seg.people.map((a) => a.who)).size;
    s.appearances += engine.store.sightings.countAppearances({
      cameraId: p.seg.camera,
      from: new Date(p.start).toISOString(),
      to: new Date(p.start + p.seg.seconds * 1000).toISOString(),
    });
  }
  for (const w of who.filter((x) => x.startsWith('M'))) {
    for (const p of segs.filter((x) => x.seg.people.some((a) => a.who === w))) {
      s.memberVisits++;
      const named = labelled.some(
        (x) =>
          x.l?.who === w &&
          x.l.seg === p.seg &&
          x.e.kind === 'known_member' &&
          x.e.member_id === cast.get(w)!.memberId,
      );
      if (named) s.membersNamed++;
    }
  }
  for (const w of who.filter((x) => x.startsWith('S'))) {
    s.strangers++;
    const mine = labelled.filter((x) => x.l?.who === w && x.l.scene === si && x.e.kind !== 'known_member');
    const ids = new Set(mine.map((x) => x.e.unknown_id!));
    s.strangerIds += ids.size;
    if (ids.size === 0) s.strangersLost++;
    const first = Math.min(...segs.map((p) => firstInView(w, p) ?? Infinity));
    const alert = alertLog
      .filter((a) => a.type === 'new_unknown' && a.person_id && ids.has(a.person_id))
      .map((a) => Date.parse(a.created_at))
      .sort((a, b) => a - b)[0];
    if (alert === undefined || !Number.isFinite(first)) s.alertsMissing++;
    else s.latencies.push((alert - first) / 1000);
  }
}

const sum = (f: (s: SceneScore) => number) => perScene.reduce((n, s) => n + f(s), 0);
const allLatencies = perScene.flatMap((s) => s.latencies).sort((a, b) => a - b);
for (const [si, scene] of scenes.entries()) {
  const s = perScene[si]!;
  const lat = [...s.latencies].sort((a, b) => a - b);
  console.log(
    `${scene.name.padEnd(18)} members named ${s.membersNamed}/${s.memberVisits}, wrong names ${s.wrongNames}, ids per stranger ${round(s.strangerIds / Math.max(1, s.strangers), 2)} (${s.strangers} strangers), lost ${s.strangersLost}, ${s.appearances} appearances for ${s.visits} visits, alert latency ${lat.length ? lat.map((v) => round(v, 1)).join('/') + ' s' : '-'}${s.alertsMissing ? `, ${s.alertsMissing} without new_unknown alert` : ''}`,
  );
}
const result = {
  scenes: scenes.length,
  members_named: round(
    sum((s) => s.membersNamed) /
      Math.max(
        1,
        sum((s) => s.memberVisits),
      ),
    3,
  ),
  wrong_names: sum((s) => s.wrongNames),
  ids_per_stranger: round(
    sum((s) => s.strangerIds) /
      Math.max(
        1,
        sum((s) => s.strangers),
      ),
    3,
  ),
  strangers_lost: sum((s) => s.strangersLost),
  alert_latency_p50_s: round(percentile(allLatencies, 50), 2),
  alert_latency_p95_s: round(percentile(allLatencies, 95), 2),
};
const unknownsStored = engine.store.health.counts().unknown_persons;
const appearances = engine.store.sightings.countAppearances();
console.log(
  `total              members named ${sum((s) => s.membersNamed)}/${sum((s) => s.memberVisits)}, wrong names ${result.wrong_names}, ids per stranger ${result.ids_per_stranger}, strangers lost ${result.strangers_lost}, ${sum((s) => s.appearances)} appearances for ${sum((s) => s.visits)} visits, alert latency p50 ${result.alert_latency_p50_s} s p95 ${result.alert_latency_p95_s} s (${sum((s) => s.alertsMissing)} strangers without a new_unknown alert)`,
);
console.log(
  `store              ${unknownsStored} unknown persons, ${appearances} appearances, ${events.length} recognition events (${unlabelled} on no labelled person), alerts: ${
    Object.entries(
      alertLog.reduce<Record<string, number>>(
        (n, a) => ({ ...n, [`${a.type}/${a.priority}`]: (n[`${a.type}/${a.priority}`] ?? 0) + 1 }),
        {},
      ),
    )
      .map(([k, v]) => `${v} ${k}`)
      .join(', ') || 'none'
  }`,
);
console.log(
  `analysis           ${framesPlayed} frames (${round(framesPlayed / analysisWall, 1)} per second, scene time compressed ${round(placedSegments.reduce((n, p) => n + p.seg.seconds, 0) / analysisWall, 1)}×)`,
);
engine.close();
console.log(JSON.stringify(result));
process.exit(0);
