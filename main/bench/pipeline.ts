/**
 * The live pipeline under load: N looped clips served over a real RTSP server on loopback,
 * decoded by one ffmpeg per camera and analysed by the engine. Prints per-camera and total
 * analysed fps, dropped frames, frame-to-decision latency, CPU and memory.
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpuTicks } from './cpu-ticks.js';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import { defaultPool } from '../engine/inference-pool.js';
import { Pipeline } from '../engine/pipeline.js';
import { findFfmpeg } from '../source/ffmpeg.js';
import { benchArgs, percentile, round } from './args.js';
import { assetsDir } from './assets.js';

const args = benchArgs({
  cameras: { type: 'string', default: '4' },
  seconds: { type: 'string', default: '30' },
  clip: { type: 'string' },
  fps: { type: 'string', default: '5' },
  substream: { type: 'boolean', default: false },
  pack: { type: 'string', default: 'default' },
  'in-process': { type: 'boolean', default: false },
  tiles: { type: 'boolean', default: false },
  /** Console preview stream (2 fps, 480 px) from each decoder: on as in `vigil serve`, or off. */
  preview: { type: 'string', default: 'on' },
});
const N = Number(args.cameras);
const SECONDS = Number(args.seconds);
const ffmpeg = findFfmpeg();
if (!ffmpeg) throw new Error('ffmpeg not found');
const tmp = mkdtempSync(join(tmpdir(), 'vigil-bench-pipeline-'));
let clip = args.clip ?? join(assetsDir(), 'videos', 'facenet_pytorch_video.mp4');
if (args.substream) {
  // What a camera's sub-stream would send: the same scene at 640×360.
  const sub = join(tmp, 'substream.mp4');
  execFileSync(ffmpeg.path, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-i',
    clip,
    '-vf',
    'scale=640:360',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-g',
    '25',
    '-an',
    sub,
  ]);
  clip = sub;
}

// The cameras (RTSP server and publishers) run in a process of their own, as real cameras would.
const host = fork(fileURLToPath(new URL('./rtsp-host.js', import.meta.url)), [ffmpeg.path, clip, String(N)], {
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
});
const urlOf = await new Promise<(cam: string) => string>((resolve) =>
  host.once('message', (m: { url: string }) => resolve((cam) => m.url.replace(/CAM$/, cam))),
);
const engine = Engine.open({ dataDir: tmp, pack: args.pack, actor: 'bench' });
for (let k = 1; k <= N; k++) {
  engine.store.cameras.add({
    id: `cam${k}`,
    name: `Camera ${k}`,
    url: urlOf(`cam${k}`),
    fps: Number(args.fps),
  });
}
await new Promise((r) => setTimeout(r, 1500));

const latencies: number[] = [];
const perCamera = new Map<string, number>();
let measuring = false;
const pool = args['in-process'] ? undefined : defaultPool(args.pack, tmp);
const pipeline = new Pipeline(engine, {
  ffmpegPath: ffmpeg.path,
  ...(pool ? { analyzer: pool } : {}),
  tiles: args.tiles,
  ...(args.preview === 'off' ? { preview: null } : {}),
  onFrameAnalysed: (camera, frameAt) => {
    if (!measuring) return;
    latencies.push(Date.now() - frameAt);
    perCamera.set(camera, (perCamera.get(camera) ?? 0) + 1);
  },
});
const events: EngineEvent[] = [];
let previews = 0;
pipeline.on('event', (e) => {
  // Previews are counted, not kept: the bench plays the console that draws and forgets them.
  if (e.type === 'preview') {
    if (measuring) previews++;
  } else events.push(e);
});
await pipeline.start();

// Warm up until every camera delivers frames, then measure a fixed window.
const t0 = Date.now();
while (pipeline.status().some((s) => s.state !== 'online') && Date.now() - t0 < 30_000)
  await new Promise((r) => setTimeout(r, 200));
await new Promise((r) => setTimeout(r, 3000));

const dropped0 = pipeline.status().reduce((n, s) => n + s.framesDropped, 0);
const stats0 = pipeline.stats();
const load0 = loadavg()[0]!;
const elu0 = performance.eventLoopUtilization();
const decoders = pipeline.decoderPids();
const ticks0 = cpuTicks([process.pid, ...decoders]);
const decTicks0 = cpuTicks(decoders);
const w0 = Date.now();
measuring = true;
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
await new Promise((r) => setTimeout(r, SECONDS * 1000));
measuring = false;
clearInterval(sampler);
const wall = (Date.now() - w0) / 1000;
const ticks = cpuTicks([process.pid, ...decoders]) - ticks0;
const decoderPercent = ((cpuTicks(decoders) - decTicks0) / 100 / ((Date.now() - w0) / 1000)) * 100;
const dropped = pipeline.status().reduce((n, s) => n + s.framesDropped, 0) - dropped0;
const stats1 = pipeline.stats();
// How busy the main thread was (frame splitting, tracking, decisions, store, events).
const mainBusy = performance.eventLoopUtilization(elu0).utilization;
const embedded = stats1.faces_embedded - stats0.faces_embedded;
const framesDone = stats1.frames_analysed - stats0.frames_analysed;
await pipeline.stop();
await pool?.close();
host.kill('SIGTERM');
// Fragmentation: every camera plays the same people, so ideally each stranger is one unknown.
const unknownsBefore = engine.store.health.counts().unknown_persons;
const merged = engine.mergeUnknowns().length;
const unknownIds = engine.store.health.counts().unknown_persons;
engine.close();

const analysed = latencies.length;
latencies.sort((a, b) => a - b);
const cpuPercent = (ticks / 100 / wall) * 100;
console.log(`clip               ${clip}${args.substream ? ' (640×360 sub-stream)' : ''}`);
console.log(`cameras            ${N} over RTSP/UDP on loopback, analysis at ${args.fps} fps`);
for (const [cam, n] of [...perCamera].sort())
  console.log(`  ${cam.padEnd(8)} ${round(n / wall, 2)} analysed fps`);
console.log(`analysed fps       ${round(analysed / wall, 2)} total (target ${N * Number(args.fps)})`);
console.log(`dropped frames     ${dropped} (frames the analysis could not take in time)`);
console.log(`frame → decision   p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms`);
console.log(
  `cpu                ${round(cpuPercent, 1)} % of one core: decoders ${round(decoderPercent, 1)} %, engine ${round(cpuPercent - decoderPercent, 1)} % (${availableParallelism()} cores; the cameras' RTSP server and publishers run in another process)`,
);
const engineMsPerFrame = ((cpuPercent - decoderPercent) * 10 * wall) / Math.max(1, framesDone);
console.log(
  `per unit           engine ${round(engineMsPerFrame, 1)} ms CPU per analysed frame (${round(embedded / Math.max(1, framesDone), 2)} faces embedded per frame); decoder ${round(decoderPercent / N, 1)} % of a core per camera`,
);
// Headroom: the share of the machine's cores this process and its decoders left unused, and the
// analysed frames per second that idle share would carry at the measured engine cost per frame.
// (On a shared machine other processes use part of the "idle" share too: an upper bound.)
const cores = availableParallelism();
const idleFraction = Math.max(0, 1 - cpuPercent / (cores * 100));
const headroomFps = (idleFraction * cores * 1000) / Math.max(0.1, engineMsPerFrame);
console.log(
  `headroom           ${round(idleFraction * 100, 1)} % of ${cores} cores idle: room for ~${round(headroomFps, 1)} more analysed fps at ${round(engineMsPerFrame, 1)} ms per frame (the figure above is capped at the ${args.fps} fps asked per camera)`,
);
console.log(`previews           ${round(previews / wall, 2)} per second (${args.preview})`);
console.log(
  `main thread        ${round(mainBusy * 100, 1)} % busy (the rest of the engine's CPU is inference)`,
);
console.log(`machine load       ${round(load0, 2)} (1-min load average when measuring started)`);
console.log(`rss                ${round(peakRss / 2 ** 20, 0)} MB (engine process peak)`);
console.log(`events             ${events.filter((e) => e.type === 'recognition').length} recognition events`);
console.log(`unknown persons    ${unknownIds} after merging ${merged} fragments (${unknownsBefore} created)`);
console.log(
  JSON.stringify({
    cameras: N,
    seconds: round(wall, 1),
    analysed_fps_total: round(analysed / wall, 2),
    dropped_frames: dropped,
    p50_latency_ms: percentile(latencies, 50),
    p95_latency_ms: percentile(latencies, 95),
    cpu_percent: round(cpuPercent, 1),
    decoder_cpu_percent: round(decoderPercent, 1),
    rss_mb: round(peakRss / 2 ** 20, 0),
    substream: args.substream,
    unknown_ids: unknownIds,
    engine_cpu_ms_per_frame: round(engineMsPerFrame, 1),
    decoder_cpu_percent_per_camera: round(decoderPercent / N, 1),
    faces_embedded_per_frame: round(embedded / Math.max(1, framesDone), 2),
    previews_per_second: round(previews / wall, 2),
    load_average: round(load0, 2),
    main_thread_busy_percent: round(mainBusy * 100, 1),
    idle_fraction: round(idleFraction, 3),
    headroom_fps: round(headroomFps, 1),
  }),
);
process.exit(0);
