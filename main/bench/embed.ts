/**
 * Embedding throughput of the pack's recognizer on real aligned faces: align + embed, at the
 * configured batch, with and without the denormal flush (to show what the flush buys).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { alignFace } from '../align/warp.js';
import { decodeImage, type RgbImage } from '../photo/image.js';
import { ArcFaceRecognizer } from '../embed/arcface.js';
import { modelById, packByName } from '../catalogue/manifest.js';
import { resolveModel } from '../catalogue/resolve.js';
import { loadModels, preparedModelBytes } from '../zoo/zoo.js';
import { makeBatchDynamic } from '../runtime/onnx-proto.js';
import { createSession, threadsPerSession } from '../runtime/session.js';
import { benchArgs, round } from './args.js';
import { assetsDir } from './assets.js';

const args = benchArgs({
  pack: { type: 'string', default: 'default' },
  recognizer: { type: 'string' },
  faces: { type: 'string', default: '64' },
  rounds: { type: 'string', default: '5' },
  flip: { type: 'string' },
});

const pack = packByName(args.pack);
const entry = modelById(args.recognizer ?? pack.recognizer);
const models = await loadModels({
  pack: args.pack,
  ...(args.recognizer ? { recognizer: args.recognizer } : {}),
  ...(args.flip ? { flipFusion: args.flip === 'on' } : {}),
});
const wanted = Number(args.faces);

// Real faces: detect and keep each photo's landmarks, so the timed part is align + embed only.
const faces: { img: RgbImage; landmarks: [number, number][] }[] = [];
const root = join(assetsDir(), 'faces', 'celeba');
outer: for (const person of readdirSync(root).sort()) {
  for (const f of readdirSync(join(root, person)).sort()) {
    const { image } = await decodeImage(join(root, person, f));
    const det = (await models.detector.detect(image)).sort((a, b) => b.score - a.score)[0];
    if (!det) continue;
    const landmarks = det.landmarks ?? (await models.landmarks!.landmarks(image, [det.box]))[0]!;
    faces.push({ img: image, landmarks });
    if (faces.length >= wanted) break outer;
  }
}

async function measure(rec: ArcFaceRecognizer): Promise<number> {
  const size = rec.entry.input.width;
  await rec.embed(faces.slice(0, rec.maxBatch).map((f) => alignFace(f.img, f.landmarks, size)));
  const t0 = performance.now();
  for (let r = 0; r < Number(args.rounds); r++) {
    const crops = faces.map((f) => alignFace(f.img, f.landmarks, size));
    await rec.embed(crops);
  }
  return (faces.length * Number(args.rounds)) / ((performance.now() - t0) / 1000);
}

const fps = await measure(models.recognizer);
let unflushedFps: number | null = null;
if (preparedModelBytes(entry).flushed > 0) {
  let raw = resolveModel(entry).bytes;
  if (models.recognizer.maxBatch > 1 && entry.input.batch === 1) raw = makeBatchDynamic(raw);
  const rec = new ArcFaceRecognizer(
    entry,
    await createSession(raw, `${entry.id}-unflushed`),
    models.recognizer.maxBatch > 1,
    models.recognizer.flipFusion,
  );
  unflushedFps = await measure(rec);
}

console.log(`recognizer         ${entry.id} (${entry.output.size}-d), ${threadsPerSession()} threads`);
console.log(
  `batch              ${models.recognizer.maxBatch}, flip fusion ${models.recognizer.flipFusion ? 'on' : 'off'}`,
);
console.log(`faces              ${faces.length} real faces × ${args.rounds} rounds (align + embed)`);
console.log(`throughput         ${round(fps, 1)} faces/s (${round(1000 / fps, 2)} ms/face)`);
if (unflushedFps !== null) {
  console.log(
    `without the denormal flush  ${round(unflushedFps, 1)} faces/s (${preparedModelBytes(entry).flushed} weights flushed; ×${round(fps / unflushedFps, 2)})`,
  );
}
console.log(
  JSON.stringify({
    faces_per_s: round(fps, 1),
    threads: threadsPerSession(),
    batch: models.recognizer.maxBatch,
    recognizer: entry.id,
    flip_fusion: models.recognizer.flipFusion,
    unflushed_faces_per_s: unflushedFps === null ? null : round(unflushedFps, 1),
  }),
);
