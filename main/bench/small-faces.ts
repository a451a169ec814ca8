/**
 * Small-face recall on the 1080p pedestrian clip. There is no labelled ground truth for it, so
 * the reference is the strongest detector at hand run at the frame's native resolution
 * (SCRFD-2.5G on the full 1920×1080 frame); its confident faces of 40 px and up are the faces a
 * live configuration should find. Each configuration detects on the frame as the live pipeline
 * sees it (decoded like a camera, scaled to the analysis size) and is scored by IoU ≥ 0.3.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RgbImage } from '../photo/image.js';
import { iou, nms } from '../detect/nms.js';
import { ScrfdDetector } from '../detect/scrfd.js';
import { cropImage, detectTiled, gridTiles } from '../detect/tiling.js';
import type { Box, Detection, FaceDetector } from '../detect/types.js';
import { YuNetDetector } from '../detect/yunet.js';
import { modelById, type ModelEntry } from '../catalogue/manifest.js';
import { loadDetector } from '../zoo/zoo.js';
import { createSession, setThreadsPerSession } from '../runtime/session.js';
import { findFfmpeg } from '../source/ffmpeg.js';
import { benchArgs, round } from './args.js';
import { assetsDir } from './assets.js';
import { CameraGate } from '../motion/camera-gate.js';
import { detectInRegions } from '../motion/regions.js';

const args = benchArgs({
  clip: { type: 'string' },
  /** Every Nth frame of the clip is scored (25 fps clip: 5 → five frames a second). */
  every: { type: 'string', default: '5' },
  'analysis-size': { type: 'string', default: '1280' },
  'min-score': { type: 'string', default: '0.6' },
  only: { type: 'string' },
});
const ASSETS = assetsDir();
process.env.VIGIL_MODELS_DIR ??= join(ASSETS, 'models');
const clip = args.clip ?? join(ASSETS, 'videos', 'facenet_pytorch_video.mp4');
const EVERY = Number(args.every);
const ANALYSIS = Number(args['analysis-size']);
const MIN_SCORE = Number(args['min-score']);
const MIN_FACE = 40;
const BUCKETS: [string, number, number][] = [
  ['40-60', 40, 60],
  ['60-100', 60, 100],
  ['>=100', 100, Infinity],
];
const ffmpeg = findFfmpeg();
if (!ffmpeg) throw new Error('ffmpeg not found');

/** Raw RGB frames of the clip, every Nth, decoded with the given input flags and filter. */
function frames(inputFlags: string[], filter: string, width: number, height: number): RgbImage[] {
  const out = execFileSync(
    ffmpeg!.path,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      ...inputFlags,
      '-i',
      clip,
      '-an',
      '-vf',
      `select='not(mod(n\\,${EVERY}))'${filter ? `,${filter}` : ''}`,
      '-vsync',
      'vfr',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    { maxBuffer: 2 ** 31 },
  );
  const size = width * height * 3;
  const list: RgbImage[] = [];
  for (let o = 0; o + size <= out.length; o += size)
    list.push({ width, height, data: new Uint8Array(out.subarray(o, o + size)) });
  return list;
}

const probe = execFileSync(
  ffmpeg.path.replace(/ffmpeg(\.exe)?$/, 'ffprobe$1'),
  ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', clip],
  { encoding: 'utf8' },
)
  .trim()
  .split(',')
  .map(Number);
const [W, H] = probe as [number, number];
const scale = Math.min(1, ANALYSIS / Math.max(W, H));
const AW = Math.round((W * scale) / 2) * 2;
const AH = Math.round((H * scale) / 2) * 2;
const native = frames([], '', W, H);
// What the live decoder hands the analysis: no deblocking, fast bilinear scaling.
const analysed = frames(['-skip_loop_filter', 'all'], `scale=${AW}:${AH}:flags=fast_bilinear`, AW, AH);
if (native.length !== analysed.length || native.length === 0) throw new Error('frame extraction failed');

const dynamicAt = (entry: ModelEntry, size: number): ModelEntry => ({
  ...entry,
  input: { ...entry.input, width: size, height: size, dynamic_size: true },
});

async function fromFile(
  base: string,
  file: string,
  make: (e: ModelEntry, s: Awaited<ReturnType<typeof createSession>>) => FaceDetector,
  size: number,
): Promise<FaceDetector> {
  const entry = dynamicAt({ ...modelById(base), id: `${base}:${file}`, file }, size);
  const dir = base.startsWith('scrfd') ? 'scrfd' : 'yunet';
  return make(entry, await createSession(readFileSync(join(ASSETS, 'models', dir, file)), entry.id));
}

// The reference: SCRFD-2.5G at the native resolution (a research-only model, used here to measure).
setThreadsPerSession(2);
const reference = await fromFile(
  'scrfd-500m',
  'det_2.5g.onnx',
  (e, s) => new ScrfdDetector(e, s),
  Math.max(W, H),
);
const width = (b: Box): number => b[2] - b[0];
const refAll: Detection[][] = [];
for (const img of native) refAll.push(await reference.detect(img));
const refFaces = refAll.map((f) => f.filter((d) => d.score >= MIN_SCORE && width(d.box) >= MIN_FACE));
const refCount = refFaces.reduce((n, f) => n + f.length, 0);

async function detectGrid(d: FaceDetector, img: RgbImage, cols: number, rows: number): Promise<Detection[]> {
  const all = await d.detect(img);
  for (const t of gridTiles(img.width, img.height, cols, rows)) {
    for (const x of await d.detect(cropImage(img, t.x, t.y, t.w, t.h)))
      all.push({ ...x, box: [x.box[0] + t.x, x.box[1] + t.y, x.box[2] + t.x, x.box[3] + t.y] });
  }
  return nms(all, 0.4);
}

interface Config {
  name: string;
  note: string;
  detect: (img: RgbImage) => Promise<Detection[]>;
}

// Live inference workers run one thread per session on this machine: time them the same way.
setThreadsPerSession(1);
const ultra320 = await loadDetector(modelById('faceplugin-ultraface-rfb320'));
const ultra640 = await loadDetector(modelById('ultraface-rfb640'));
const yunet640 = await loadDetector(modelById('yunet-2023mar'));
const yunetS = (size: number) =>
  fromFile('yunet-s-dynamic', 'yunet_s_dynamic.onnx', (e, s) => new YuNetDetector(e, s), size);
const yunetN = (size: number) =>
  fromFile('yunet-s-dynamic', 'yunet_n_dynamic.onnx', (e, s) => new YuNetDetector(e, s), size);
const scrfd = (size: number) =>
  fromFile('scrfd-500m', 'det_500m.onnx', (e, s) => new ScrfdDetector(e, s), size);
const [ys960, ys1280, yn1280, yn1920, sc640, sc1280] = await Promise.all([
  yunetS(960),
  yunetS(1280),
  yunetN(1280),
  yunetN(1920),
  scrfd(640),
  scrfd(1280),
]);
/**
 * As the live pipeline searches a busy camera with motion gating: frames in order (every Nth at
 * 25 fps, 5 fps by default), the detector run only in the regions that moved and around the
 * previous frame's faces (the live tracks), each region at ≥ the detector's input size.
 */
function motionGated(d: FaceDetector): (img: RgbImage) => Promise<Detection[]> {
  const gate = new CameraGate({ input: d.entry.input });
  let tracks: Box[] = [];
  return async (img) => {
    const plan = gate.decide(img, tracks);
    const dets =
      plan.kind === 'quiet'
        ? []
        : plan.kind === 'regions'
          ? await detectInRegions(d, img, plan.regions)
          : await d.detect(img);
    tracks = dets.map((x) => x.box);
    return dets;
  };
}

const configs: Config[] = [
  { name: 'ultraface-320', note: 'default pack, live default', detect: (i) => ultra320.detect(i) },
  {
    name: 'ultraface-320+motion',
    note: 'default pack, motion-gated regions (live default now)',
    detect: motionGated(ultra320),
  },
  {
    name: 'ultraface-320+tiles2x1',
    note: 'default pack, 2x1 grid',
    detect: (i) => detectGrid(ultra320, i, 2, 1),
  },
  {
    name: 'ultraface-320+tiles2x2',
    note: 'default pack, 2x2 grid',
    detect: (i) => detectGrid(ultra320, i, 2, 2),
  },
  {
    name: 'ultraface-320+tiles',
    note: 'default pack, detection_tiles (3x2 on 16:9)',
    detect: (i) => detectTiled(ultra320, i),
  },
  {
    name: 'ultraface-320+tiles3x3',
    note: 'default pack, 3x3 grid',
    detect: (i) => detectGrid(ultra320, i, 3, 3),
  },
  { name: 'ultraface-640', note: 'no pack (file only)', detect: (i) => ultra640.detect(i) },
  { name: 'yunet-640', note: 'recommended pack', detect: (i) => yunet640.detect(i) },
  {
    name: 'yunet-640+tiles',
    note: 'recommended pack, detection_tiles (2x2)',
    detect: (i) => detectTiled(yunet640, i),
  },
  { name: 'yunet-s@960', note: 'dynamic input (file only)', detect: (i) => ys960.detect(i) },
  { name: `yunet-s@${ANALYSIS}`, note: 'dynamic input (file only)', detect: (i) => ys1280.detect(i) },
  { name: `yunet-n@${ANALYSIS}`, note: 'dynamic input (file only)', detect: (i) => yn1280.detect(i) },
  { name: 'scrfd-500m@640', note: 'research pack', detect: (i) => sc640.detect(i) },
  { name: `scrfd-500m@${ANALYSIS}`, note: 'research pack, dynamic', detect: (i) => sc1280.detect(i) },
];
// A native-resolution YuNet as a cross-check of the reference itself (not a live configuration).
const crossCheck: Config = {
  name: `yunet-n@${Math.max(W, H)} native`,
  note: 'cross-check of the reference',
  detect: (i) => yn1920.detect(i),
};

interface Score {
  name: string;
  note: string;
  recall: number;
  buckets: Record<string, number>;
  ms_per_frame: number;
  /** Detections of 40 px and up overlapping no reference face at all (likely false). */
  unmatched: number;
}

function score(name: string, note: string, found: Detection[][], toNative: number, ms: number): Score {
  let hit = 0;
  let unmatched = 0;
  const bucketHit = BUCKETS.map(() => 0);
  const bucketAll = BUCKETS.map(() => 0);
  found.forEach((dets, fi) => {
    const boxes = dets.map((d) => d.box.map((v) => v * toNative) as Box);
    const used = new Set<number>();
    // Largest reference faces first, each matched to its best unused detection.
    const refs = [...refFaces[fi]!].sort((a, b) => width(b.box) - width(a.box));
    for (const r of refs) {
      let best = -1;
      let bestIou = 0.3;
      boxes.forEach((b, bi) => {
        const o = iou(r.box, b);
        if (!used.has(bi) && o >= bestIou) {
          best = bi;
          bestIou = o;
        }
      });
      const k = BUCKETS.findIndex(([, lo, hi]) => width(r.box) >= lo && width(r.box) < hi);
      bucketAll[k]!++;
      if (best >= 0) {
        used.add(best);
        hit++;
        bucketHit[k]!++;
      }
    }
    // Any reference face counts here, small or low-scored: those are not false detections.
    unmatched += boxes.filter(
      (b) => width(b) >= MIN_FACE && !refAll[fi]!.some((r) => iou(r.box, b) >= 0.3),
    ).length;
  });
  return {
    name,
    note,
    recall: round(hit / Math.max(1, refCount)),
    buckets: Object.fromEntries(
      BUCKETS.map(([b], i) => [b, round(bucketHit[i]! / Math.max(1, bucketAll[i]!))]),
    ),
    ms_per_frame: round(ms, 1),
    unmatched,
  };
}

async function run(c: Config, imgs: RgbImage[], toNative: number): Promise<Score> {
  await c.detect(imgs[0]!); // warm-up
  const found: Detection[][] = [];
  const t0 = performance.now();
  for (const img of imgs) found.push(await c.detect(img));
  const ms = (performance.now() - t0) / imgs.length;
  return score(c.name, c.note, found, toNative, ms);
}

const bucketCounts = BUCKETS.map(
  ([, lo, hi]) => refFaces.flat().filter((d) => width(d.box) >= lo && width(d.box) < hi).length,
);
console.log(`clip          ${clip} (${W}×${H}), ${native.length} frames (every ${EVERY}th)`);
console.log(
  `reference     SCRFD-2.5G at ${W}×${H}, score ≥ ${MIN_SCORE}, width ≥ ${MIN_FACE} px: ${refCount} faces (${BUCKETS.map(([b], i) => `${b}: ${bucketCounts[i]}`).join(', ')})`,
);
console.log(`analysis      ${AW}×${AH} as the live decoder delivers it; detection time on 1 thread\n`);
const selected = args.only ? configs.filter((c) => c.name.includes(args.only!)) : configs;
const results: Score[] = [];
const header = `${'configuration'.padEnd(26)} ${'recall'.padStart(6)} ${BUCKETS.map(([b]) => b.padStart(7)).join(' ')} ${'ms/frame'.padStart(9)} ${'unmatched'.padStart(9)}  note`;
console.log(header);
const line = (s: Score) =>
  console.log(
    `${s.name.padEnd(26)} ${s.recall.toFixed(3).padStart(6)} ${BUCKETS.map(([b]) => s.buckets[b]!.toFixed(3).padStart(7)).join(' ')} ${s.ms_per_frame.toFixed(1).padStart(9)} ${String(s.unmatched).padStart(9)}  ${s.note}`,
  );
for (const c of selected) {
  const s = await run(c, analysed, W / AW);
  results.push(s);
  line(s);
}
const cross = await run(crossCheck, native, 1);
line(cross);
console.log(
  JSON.stringify({
    clip: clip.split(/[\\/]/).pop(),
    frames: native.length,
    reference_faces: refCount,
    reference_buckets: Object.fromEntries(BUCKETS.map(([b], i) => [b, bucketCounts[i]])),
    analysis: `${AW}x${AH}`,
    configs: results.map((s) => ({
      name: s.name,
      recall: s.recall,
      ...Object.fromEntries(Object.entries(s.buckets).map(([b, v]) => [`recall_${b}`, v])),
      ms_per_frame: s.ms_per_frame,
      unmatched: s.unmatched,
    })),
    cross_check_recall: cross.recall,
  }),
);
