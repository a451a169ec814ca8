/**
 * Open-set identification accuracy of the real pipeline on an identity-labelled folder
 * (folder per person): the first N photos of each person are enrolled (centroid + shots),
 * the rest are probes; non-enrolled distractor photos test false accepts.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeImage } from '../decode/image.js';
import { analyseImage, largestFace } from '../engine/analyze.js';
import { modelById } from '../models/manifest.js';
import { loadModels } from '../models/zoo.js';
import { threadsPerSession } from '../runtime/session.js';
import { centroid, personSimilarity } from '../match/similarity.js';
import { benchArgs, round } from './args.js';
import { assetsDir } from './assets.js';

const args = benchArgs({
  dataset: { type: 'string' },
  distractors: { type: 'string' },
  pack: { type: 'string', default: 'default' },
  detector: { type: 'string' },
  recognizer: { type: 'string' },
  enroll: { type: 'string', default: '3' },
  people: { type: 'string' },
  'no-distractors': { type: 'boolean', default: false },
  flip: { type: 'string' },
});

const IMAGE = /\.(jpe?g|png|webp|bmp|tiff?)$/i;
const datasetDir = resolve(args.dataset ?? join(assetsDir(), 'faces', 'celeba'));
const distractorDir = args['no-distractors']
  ? null
  : resolve(args.distractors ?? join(assetsDir(), 'faces', 'lfw_distractors'));
const enrollCount = Number(args.enroll);

function listImages(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => IMAGE.test(f))
    .sort()
    .map((f) => join(dir, f));
}

const models = await loadModels(
  {
    pack: args.pack,
    ...(args.detector ? { detector: args.detector } : {}),
    ...(args.recognizer ? { recognizer: args.recognizer } : {}),
    ...(args.flip ? { flipFusion: args.flip === 'on' } : {}),
  },
  undefined,
);
const recognizerId = models.recognizer.entry.id;
const thresholds = modelById(recognizerId).thresholds;
if (!thresholds) throw new Error(`${recognizerId} has no calibrated thresholds in the manifest`);

let embedMs = 0;
let facesEmbedded = 0;
let noFace = 0;
async function embedLargest(path: string): Promise<Float32Array | null> {
  try {
    const decoded = await decodeImage(path);
    const t0 = performance.now();
    const faces = await analyseImage(models, decoded);
    embedMs += performance.now() - t0;
    facesEmbedded += Math.max(1, faces.length);
    const f = largestFace(faces);
    if (!f) noFace++;
    return f?.embedding ?? null;
  } catch {
    noFace++;
    return null;
  }
}

let people = readdirSync(datasetDir)
  .filter((d) => statSync(join(datasetDir, d)).isDirectory())
  .sort();
if (args.people) people = people.slice(0, Number(args.people));

interface Person {
  id: string;
  center: Float32Array;
  shots: Float32Array[];
}
const gallery: Person[] = [];
const probes: { person: string; v: Float32Array }[] = [];
let images = 0;
for (const [i, id] of people.entries()) {
  const files = listImages(join(datasetDir, id));
  const shots: Float32Array[] = [];
  for (const [k, f] of files.entries()) {
    images++;
    const v = await embedLargest(f);
    if (!v) continue;
    if (k < enrollCount) shots.push(v);
    else probes.push({ person: id, v });
  }
  if (shots.length > 0) gallery.push({ id, center: centroid(shots), shots });
  if ((i + 1) % 25 === 0) process.stderr.write(`  ${i + 1}/${people.length} people\n`);
}
const distractors: Float32Array[] = [];
if (distractorDir) {
  for (const d of readdirSync(distractorDir).sort()) {
    for (const f of listImages(join(distractorDir, d))) {
      images++;
      const v = await embedLargest(f);
      if (v) distractors.push(v);
    }
  }
}

function best(v: Float32Array): { id: string; sim: number } {
  let top = { id: '', sim: -2 };
  for (const p of gallery) {
    const s = personSimilarity(v, p.center, p.shots);
    if (s > top.sim) top = { id: p.id, sim: s };
  }
  return top;
}

const probeResults = probes.map((p) => ({ ...best(p.v), truth: p.person }));
const distractorScores = distractors.map((v) => best(v).sim).sort((a, b) => b - a);
const rank1 = probeResults.filter((r) => r.id === r.truth).length / Math.max(1, probeResults.length);
const thr = thresholds.recognition;
const accepted =
  probeResults.filter((r) => r.id === r.truth && r.sim >= thr).length / Math.max(1, probeResults.length);
const distractorAccept =
  distractorScores.filter((s) => s >= thr).length / Math.max(1, distractorScores.length);

/** TAR at a FAR over distractors: the threshold is the distractor score quantile. */
function tarAt(far: number): { tar: number; threshold: number } {
  if (distractorScores.length === 0) return { tar: NaN, threshold: NaN };
  const k = Math.floor(far * distractorScores.length);
  const threshold = distractorScores[Math.min(k, distractorScores.length - 1)]! + 1e-6;
  const tar =
    probeResults.filter((r) => r.id === r.truth && r.sim >= threshold).length /
    Math.max(1, probeResults.length);
  return { tar, threshold };
}
const t2 = tarAt(1e-2);
const t3 = tarAt(1e-3);
const msPerFace = embedMs / Math.max(1, facesEmbedded);

console.log(`dataset            ${datasetDir}`);
console.log(
  `models             ${models.detector.entry.id} → ${recognizerId} (${threadsPerSession()} threads, flip fusion ${models.recognizer.flipFusion ? 'on' : 'off'})`,
);
console.log(`people / images    ${gallery.length} enrolled (${enrollCount} photos each) / ${images} images`);
console.log(`probes             ${probeResults.length} known, ${distractorScores.length} distractors`);
console.log(`rank-1             ${round(rank1)}`);
console.log(
  `at threshold ${thr}  known accepted as the right member ${round(accepted)}, distractors accepted ${round(distractorAccept)}`,
);
console.log(`TAR@FAR=1e-2       ${round(t2.tar)} (cos ${round(t2.threshold)})`);
console.log(`TAR@FAR=1e-3       ${round(t3.tar)} (cos ${round(t3.threshold)})`);
console.log(`no face found      ${noFace}`);
console.log(`ms per face        ${round(msPerFace, 1)} (detect + landmarks + align + embed)`);
console.log(
  JSON.stringify({
    dataset: datasetDir.split('/').pop(),
    people: gallery.length,
    rank1: round(rank1),
    accept_rate: round(accepted),
    distractor_accept_rate: round(distractorAccept),
    'tar_at_far_1e-2': round(t2.tar),
    'tar_at_far_1e-3': round(t3.tar),
    no_face: noFace,
    ms_per_face: round(msPerFace, 1),
    detector: models.detector.entry.id,
    recognizer: recognizerId,
    flip_fusion: models.recognizer.flipFusion,
    threshold: thr,
    'threshold_at_far_1e-2': round(t2.threshold),
  }),
);
