/**
 * How many cameras this machine sustains. Busy cameras replay the 1080p pedestrian clip; quiet
 * ones an empty stretch of the same arcade (a still of it) with sensor noise, a slow change of
 * light and a passer-by every 20 s. Cameras are served over the local RTSP server and added step
 * by step until the pipeline no longer keeps up: more than 1 % of frames dropped, p95
 * frame-to-decision over 500 ms, or a passer-by on a quiet camera not found within 1 s.
 *
 *   npm run bench:capacity -- --resolution 1080p|360p --busy-ratio 0.25 --start 4 --step 2 --max-cameras 16
 */
import { execFileSync, fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync } from 'node:fs';
import { cpuTicks } from './cpu-ticks.js';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../engine/engine.js';
import { defaultPool } from '../engine/inference-pool.js';
import { Pipeline } from '../engine/pipeline.js';
import { findFfmpeg } from '../source/ffmpeg.js';
import { benchArgs, percentile, round } from './args.js';
import { assetsDir } from './assets.js';

const args = benchArgs({
  resolution: { type: 'string', default: '1080p' },
  'busy-ratio': { type: 'string', default: '0.25' },
  start: { type: 'string' },
  step: { type: 'string' },
  'max-cameras': { type: 'string' },
  seconds: { type: 'string', default: '25' },
  fps: { type: 'string', default: '5' },
  pack: { type: 'string', default: 'default' },
  /** The console's preview stream from each decoder, as `vigil serve` runs it. */
  preview: { type: 'string', default: 'on' },
  /** Off: every frame analysed whole, as before motion gating (for comparison). */
  motion: { type: 'string', default: 'on' },
  cache: { type: 'string', default: join(tmpdir(), 'vigil-capacity-cache') },
  /** Frames per kind for the CPU-cost calibration (after 10 of warm-up). */
  'cost-frames': { type: 'string', default: '100' },
});
if (args.resolution !== '1080p' && args.resolution !== '360p')
  throw new Error('--resolution must be 1080p or 360p');
const HD = args.resolution === '1080p';
const RATIO = Number(args['busy-ratio']);
const STEP = Number(args.step ?? (HD ? 2 : 4));
const START = Number(args.start ?? (HD ? 4 : 8));
const MAX = Number(args['max-cameras'] ?? (HD ? 16 : 40));
const SECONDS = Number(args.seconds);
const FPS = Number(args.fps);
if (SECONDS < 25)
  console.log(
    `note: --seconds ${SECONDS} is shorter than a passer-by's period (20 s) plus 5 s: wake is checked only where one was seen`,
  );
/** The passer-by crosses a quiet camera for 3 s of every 20 s loop. */
const QUIET_LOOP_S = 20;

const ffmpeg = findFfmpeg();
if (!ffmpeg) throw new Error('ffmpeg not found');
const source = join(assetsDir(), 'videos', 'facenet_pytorch_video.mp4');
const passer = join(assetsDir(), 'faces', 'celeba', '07201', '001085.jpg');
mkdirSync(args.cache, { recursive: true });

function generate(name: string, build: (out: string) => string[]): string {
  const out = join(args.cache, name);
  if (existsSync(out)) return out;
  const partial = `${out}.partial.mp4`;
  console.log(`generating ${name} (once; cached in ${args.cache})`);
  execFileSync(ffmpeg!.path, ['-hide_banner', '-loglevel', 'error', '-y', ...build(partial)]);
  renameSync(partial, out);
  return out;
}

const size = HD ? '1920:1080' : '640:360';
const x264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-an'];
// Busy: the pedestrian clip itself (1080p25), or as a 640×360 sub-stream would send it.
const busyClip = HD
  ? source
  : generate('busy-360p.mp4', (out) => ['-i', source, '-vf', `scale=${size}`, ...x264, '-g', '25', out]);
// Quiet: the empty top-left of the arcade (pillars, banners) from the clip's first frame, 20 s at 25 fps with temporal
// sensor noise, the light breathing ±4 %, and a passer-by (a CelebA photo, face ~90 px at 1080p)
// stepping in at 4 s and walking across until 7 s. A 2 s GOP, as cameras send.
const still = join(args.cache, 'arcade-still.png');
if (!existsSync(still))
  execFileSync(ffmpeg.path, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-i',
    source,
    '-frames:v',
    '1',
    still,
  ]);
const quietClip = generate(`quiet-${args.resolution}-${QUIET_LOOP_S}s.mp4`, (out) => [
  '-loop',
  '1',
  '-framerate',
  '25',
  '-t',
  String(QUIET_LOOP_S),
  '-i',
  still,
  '-loop',
  '1',
  '-framerate',
  '25',
  '-t',
  String(QUIET_LOOP_S),
  '-i',
  passer,
  '-filter_complex',
  [
    `[0:v]crop=960:540:0:0,scale=1920:1080,eq=brightness='0.04*sin(2*PI*t/${QUIET_LOOP_S})':eval=frame,noise=alls=8:allf=t[bg]`,
    `[1:v]scale=-2:375[p]`,
    `[bg][p]overlay=x='300+(t-4)*400':y=380:enable='between(t,4,7)',scale=${size},format=yuv420p[v]`,
  ].join(';'),
  '-map',
  '[v]',
  ...x264,
  '-g',
  '50',
  '-r',
  '25',
  out,
]);

interface StepResult {
  cameras: number;
  busy: number;
  quiet: number;
  analysedFps: number;
  dropPercent: number;
  p95: number;
  /** Worst passer-by: first analysed frame showing motion → face decided, plus one frame interval. */
  wake: number;
  quietWithoutWake: number;
  detectorShare: number;
  /** Share of the quiet cameras' frames that cost no detector call. */
  quietShare: number;
  cpu: number;
  decodeCpu: number;
  rss: number;
  load: number;
  ok: boolean;
  why: string;
}

const tmp = mkdtempSync(join(tmpdir(), 'vigil-bench-capacity-'));
const pool = defaultPool(args.pack, tmp);

async function step(n: number): Promise<StepResult> {
  const busy = Math.max(1, Math.round(n * RATIO));
  const quiet = n - busy;
  const names = Array.from({ length: n }, (_, i) => (i < busy ? `busy${i + 1}` : `quiet${i - busy + 1}`));
  const host = fork(
    fileURLToPath(new URL('./capacity-host.js', import.meta.url)),
    [ffmpeg!.path, ...names.map((c) => `${c}=${c.startsWith('busy') ? busyClip : quietClip}`)],
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  const urlOf = await new Promise<(cam: string) => string>((resolve) =>
    host.once('message', (m: { url: string }) => resolve((cam) => m.url.replace(/CAM$/, cam))),
  );
  const engine = Engine.open({ dataDir: mkdtempSync(join(tmp, 'step-')), pack: args.pack, actor: 'bench' });
  for (const id of names) engine.store.cameras.add({ id, name: id, url: urlOf(id), fps: FPS });
  await new Promise((r) => setTimeout(r, 1500));

  let measuring = false;
  const latencies: number[] = [];
  const wakes: number[] = [];
  let searched = 0;
  let analysed = 0;
  const woken = new Set<string>();
  const quietRun = new Map<string, number>();
  const onset = new Map<string, number>();
  const pipeline = new Pipeline(engine, {
    ffmpegPath: ffmpeg!.path,
    analyzer: pool,
    motion: args.motion !== 'off',
    ...(args.preview === 'off' ? { preview: null } : {}),
    onFrameAnalysed: (camera, frameAt, faces, how) => {
      const now = Date.now();
      if (measuring) {
        latencies.push(now - frameAt);
        analysed++;
        if (how === 'regions' || how === 'whole') searched++;
      }
      if (!camera.startsWith('quiet')) return;
      // A passer-by: the first searched frame after a second of quiet frames, until a face is found.
      if (how === 'quiet') {
        quietRun.set(camera, (quietRun.get(camera) ?? 0) + 1);
        const t0 = onset.get(camera);
        if (t0 !== undefined && frameAt - t0 > 3000) onset.delete(camera);
        return;
      }
      if (!onset.has(camera) && (quietRun.get(camera) ?? 0) >= FPS) onset.set(camera, frameAt);
      quietRun.set(camera, 0);
      const t0 = onset.get(camera);
      if (faces > 0 && t0 !== undefined) {
        onset.delete(camera);
        if (measuring) {
          wakes.push(now - t0 + 1000 / FPS);
          woken.add(camera);
        }
      }
    },
  });
  pipeline.on('event', () => undefined);
  await pipeline.start();
  const t0 = Date.now();
  while (pipeline.status().some((s) => s.state !== 'online') && Date.now() - t0 < 30_000)
    await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, 4000));

  const before = pipeline.status();
  const decoders = pipeline.decoderPids();
  const ticks0 = cpuTicks([process.pid, ...decoders]);
  const dec0 = cpuTicks(decoders);
  const load = loadavg()[0]!;
  const w0 = Date.now();
  measuring = true;
  let rss = 0;
  const sampler = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 500);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  measuring = false;
  clearInterval(sampler);
  const wall = (Date.now() - w0) / 1000;
  const cpu = ((cpuTicks([process.pid, ...decoders]) - ticks0) / 100 / wall) * 100;
  const decodeCpu = ((cpuTicks(decoders) - dec0) / 100 / wall) * 100;
  const after = pipeline.status();
  const gates = Object.entries(pipeline.gateCounts()).filter(([id]) => id.startsWith('quiet'));
  const quietFrames = gates.reduce((n, [, g]) => n + g.quiet, 0);
  const quietAll = gates.reduce((n, [, g]) => n + g.quiet + g.regions + g.whole, 0);
  const sum = (s: typeof after, k: 'framesDropped' | 'framesDecoded') => s.reduce((a, c) => a + c[k], 0);
  const dropped = sum(after, 'framesDropped') - sum(before, 'framesDropped');
  const decoded = sum(after, 'framesDecoded') - sum(before, 'framesDecoded');
  await pipeline.stop();
  host.kill('SIGTERM');
  engine.close();

  latencies.sort((a, b) => a - b);
  const p95 = latencies.length ? percentile(latencies, 95) : Infinity;
  const wake = wakes.length ? Math.max(...wakes) : Infinity;
  // Frames asked for but never analysed: dropped by the pipeline, or never delivered by a
  // decoder that fell behind (on a starved machine the latter is most of it).
  const asked = n * FPS * wall;
  const dropPercent = Math.max(decoded ? (dropped / decoded) * 100 : 100, ((asked - analysed) / asked) * 100);
  // Each quiet camera shows a passer-by every 20 s: a window of 25 s must wake every one of them.
  // A window shorter than the passer-by's period may hold no passage: then only the wakes seen count.
  const quietWithoutWake = SECONDS >= QUIET_LOOP_S + 5 ? quiet - woken.size : 0;
  const why = [
    dropPercent > 1 ? `${round(dropPercent, 1)} % of frames dropped` : '',
    p95 > 500 ? `p95 frame-to-decision ${p95} ms` : '',
    quiet > 0 && wakes.length > 0 && wake > 1000 ? `a passer-by found after ${round(wake, 0)} ms` : '',
    quietWithoutWake > 0 ? `${quietWithoutWake} quiet camera(s) never found their passer-by` : '',
    decoded === 0 ? 'no frames' : '',
  ]
    .filter(Boolean)
    .join('; ');
  return {
    cameras: n,
    busy,
    quiet,
    analysedFps: analysed / wall,
    dropPercent,
    p95,
    wake: quiet ? wake : 0,
    quietWithoutWake,
    detectorShare: analysed ? searched / analysed : 0,
    quietShare: quietAll ? quietFrames / quietAll : 0,
    cpu,
    decodeCpu,
    rss: rss / 2 ** 20,
    load,
    ok: why === '',
    why,
  };
}

/**
 * What one camera of each kind costs in CPU time, independent of how busy the machine is: the
 * clip replayed from its file (every frame analysed, as fast as the machine allows), engine CPU
 * (all threads of this process) and decoder CPU per analysed frame. On a shared machine the
 * real-time steps below measure the contention as much as the engine; this says what an idle
 * one carries. The RTSP depacketising and relay are not included (the relay is not the product).
 */
async function unitCost(
  kind: 'busy' | 'quiet',
  frames: number,
): Promise<{ engineMs: number; decodeMs: number }> {
  const engine = Engine.open({ dataDir: mkdtempSync(join(tmp, 'cost-')), pack: args.pack, actor: 'bench' });
  engine.store.cameras.add({
    id: kind,
    name: kind,
    url: kind === 'busy' ? busyClip : quietClip,
    fps: FPS,
    loop: true,
  });
  let done = 0;
  const warm = 10;
  let start: { cpu: number; dec: number } | null = null;
  let end: { cpu: number; dec: number } | null = null;
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let pipeline: Pipeline | null = null;
  const decMs = () => cpuTicks(pipeline?.decoderPids() ?? []) * 10;
  pipeline = new Pipeline(engine, {
    ffmpegPath: ffmpeg!.path,
    analyzer: pool,
    motion: args.motion !== 'off',
    ...(args.preview === 'off' ? { preview: null } : {}),
    replayFrom: () => 0,
    onFrameAnalysed: () => {
      done++;
      if (done === warm) start = { cpu: cpuMs(), dec: decMs() };
      if (done === warm + frames) end = { cpu: cpuMs(), dec: decMs() };
    },
  });
  pipeline.on('event', () => undefined);
  await pipeline.start();
  const t0 = Date.now();
  while (!end && Date.now() - t0 < 300_000) await new Promise((r) => setTimeout(r, 50));
  await pipeline.stop();
  engine.close();
  if (!start || !end) throw new Error(`the ${kind} clip did not replay ${frames} frames`);
  const [s0, e0] = [start as { cpu: number; dec: number }, end as { cpu: number; dec: number }];
  return { engineMs: (e0.cpu - s0.cpu) / frames, decodeMs: (e0.dec - s0.dec) / frames };
}

const COST_FRAMES = Number(args['cost-frames']);
const busyCost = await unitCost('busy', COST_FRAMES);
const quietCost = await unitCost('quiet', COST_FRAMES);
const perCamera = (c: { engineMs: number; decodeMs: number }) => (FPS * (c.engineMs + c.decodeMs)) / 10;
// An idle machine's cores, less 15 % kept free for spikes (a crowd walking in on several cameras).
const budget = availableParallelism() * 100 * 0.85;
const mix = RATIO * perCamera(busyCost) + (1 - RATIO) * perCamera(quietCost);
const projected = Math.floor(budget / mix);
console.log(
  `cost per camera at ${FPS} fps (CPU time, replayed from file): busy ${round(perCamera(busyCost), 1)} % of a core ` +
    `(engine ${round(busyCost.engineMs, 1)} ms + decoder ${round(busyCost.decodeMs, 1)} ms per analysed frame), ` +
    `quiet ${round(perCamera(quietCost), 1)} % (engine ${round(quietCost.engineMs, 1)} ms + decoder ${round(quietCost.decodeMs, 1)} ms)`,
);
console.log(
  `projected on an idle ${availableParallelism()}-core machine (85 % of it, busy ratio ${RATIO}): ${projected} × ${args.resolution} cameras`,
);

console.log(
  `capacity: ${args.resolution}, busy ratio ${RATIO}, ${FPS} analysed fps per camera, motion gating ${args.motion}, previews ${args.preview}, ${availableParallelism()} cores`,
);
let best: StepResult | null = null;
let last: StepResult | null = null;
for (let n = START; n <= MAX; n += STEP) {
  const r = await step(n);
  last = r;
  console.log(
    `${String(n).padStart(3)} cameras (${r.busy} busy, ${r.quiet} quiet): ${round(r.analysedFps, 1)} analysed fps, ` +
      `${round(r.dropPercent, 2)} % dropped, p95 ${r.p95} ms, wake ${r.quiet ? `${round(r.wake, 0)} ms` : '–'}, ` +
      `detector on ${round(r.detectorShare * 100, 0)} % of frames (quiet cameras: ${round((1 - r.quietShare) * 100, 0)} %), ` +
      `cpu ${round(r.cpu, 0)} % (decode ${round(r.decodeCpu, 0)} %), ` +
      `load ${round(r.load, 1)} → ${r.ok ? 'sustained' : `not sustained: ${r.why}`}`,
  );
  if (!r.ok) break;
  best = r;
}
await pool.close();
const shown = best ?? last!;
console.log(
  best
    ? `ceiling: ${best.cameras} × ${args.resolution} cameras sustained${last && !last.ok ? ` (${last.cameras} were not)` : ` (stopped at --max-cameras ${MAX})`}`
    : `ceiling: below ${START} cameras (${last?.why})`,
);
console.log(
  JSON.stringify({
    cameras_sustained: best?.cameras ?? 0,
    busy: shown.busy,
    quiet: shown.quiet,
    resolution: args.resolution,
    analysed_fps_total: round(shown.analysedFps, 2),
    p95_latency_ms: shown.p95,
    wake_latency_ms: Number.isFinite(shown.wake) ? round(shown.wake, 0) : null,
    cpu_percent: round(shown.cpu, 1),
    decode_cpu_percent: round(shown.decodeCpu, 1),
    rss_mb: round(shown.rss, 0),
    projected_cameras_idle: projected,
    busy_camera_cpu_percent: round(perCamera(busyCost), 1),
    quiet_camera_cpu_percent: round(perCamera(quietCost), 1),
    load_average: round(shown.load, 1),
  }),
);
process.exit(0);
