import { expect, it } from 'vitest';
import { alignFace } from '../align/warp.js';
import { decodeImage } from '../photo/image.js';
import type { FaceDetector } from '../detect/types.js';
import { dot } from '../match/similarity.js';
import { asset, describeWithAssets, MODELS_DIR } from '../testing/assets.js';
import { loadManifest, modelById } from '../catalogue/manifest.js';
import { resolveModel } from '../catalogue/resolve.js';
import { loadDetector, loadLandmarks, loadLiveness, loadRecognizer } from './zoo.js';

process.env.VIGIL_MODELS_DIR = MODELS_DIR;

/** insightface's t1.jpg: six people in a row, all clearly visible. */
const GROUP = asset('faces', 'insightface_samples', 't1.jpg');

function inside(box: number[], p: number[]): boolean {
  const m = (box[2]! - box[0]!) * 0.15;
  return p[0]! >= box[0]! - m && p[0]! <= box[2]! + m && p[1]! >= box[1]! - m && p[1]! <= box[3]! + m;
}

async function checkDetector(detector: FaceDetector, needLandmarks: boolean) {
  const { image } = await decodeImage(GROUP);
  const faces = await detector.detect(image);
  expect(faces.length).toBe(6);
  for (const f of faces) {
    expect(f.score).toBeGreaterThan(0.5);
    if (needLandmarks) {
      expect(f.landmarks).toHaveLength(5);
      for (const p of f.landmarks!) expect(inside(f.box, p)).toBe(true);
      // Left eye left of right eye, eyes above the mouth.
      expect(f.landmarks![0]![0]).toBeLessThan(f.landmarks![1]![0]);
      expect(f.landmarks![0]![1]).toBeLessThan(f.landmarks![3]![1]);
    }
  }
  return faces;
}

describeWithAssets('model families on real models', () => {
  it('every shared model file matches its manifest checksum', () => {
    for (const id of [
      'yunet-2023mar',
      'yunet-s-dynamic',
      'scrfd-500m',
      'ultraface-rfb640',
      'mobilefacenet-paddlex-128',
      'mobilefacenet-pixamatch-128',
    ]) {
      expect(resolveModel(modelById(id)).path.startsWith(MODELS_DIR)).toBe(true);
    }
  });

  it('YuNet (fixed 640 and dynamic size) finds the six faces with landmarks', async () => {
    await checkDetector(await loadDetector(modelById('yunet-2023mar')), true);
    await checkDetector(await loadDetector(modelById('yunet-s-dynamic')), true);
  });

  it('SCRFD finds the six faces with landmarks', async () => {
    await checkDetector(await loadDetector(modelById('scrfd-500m')), true);
  });

  it('UltraFace (bundled 320 and 640) finds the six faces; the 68-point model places 5 points in each', async () => {
    const faces = await checkDetector(await loadDetector(modelById('faceplugin-ultraface-rfb320')), false);
    await checkDetector(await loadDetector(modelById('ultraface-rfb640')), false);
    const lm = await loadLandmarks(modelById('faceplugin-landmarks68'));
    const { image } = await decodeImage(GROUP);
    const pts = await lm.landmarks(
      image,
      faces.map((f) => f.box),
    );
    pts.forEach((p, i) => {
      expect(p).toHaveLength(5);
      for (const q of p) expect(inside(faces[i]!.box, q)).toBe(true);
    });
  });

  it('each recognizer embeds to its size, unit length, same person closer than different people', async () => {
    const yunet = await loadDetector(modelById('yunet-2023mar'));
    const photos = [
      asset('faces', 'celeba', '07201', '001085.jpg'),
      asset('faces', 'celeba', '07201', '007710.jpg'),
      asset('faces', 'celeba', '07203', '007200.jpg'),
    ];
    const crops = [];
    for (const p of photos) {
      const { image } = await decodeImage(p);
      const f = (await yunet.detect(image)).sort((a, b) => b.score - a.score)[0]!;
      crops.push(alignFace(image, f.landmarks!));
    }
    for (const id of [
      'faceplugin-mobilefacenet512',
      'mobilefacenet-paddlex-128',
      'mobilefacenet-pixamatch-128',
    ]) {
      const rec = await loadRecognizer(modelById(id));
      const [a, b, c] = await rec.embed(crops);
      expect(a!.length, id).toBe(Number(modelById(id).output.size));
      expect(dot(a!, a!)).toBeCloseTo(1, 4);
      expect(dot(a!, b!), id).toBeGreaterThan(dot(a!, c!) + 0.15);
      // A batch gives the same vectors as one face at a time.
      const [single] = await rec.embed([crops[1]!]);
      expect(dot(single!, b!)).toBeCloseTo(1, 4);
    }
  });

  it('MiniFASNet liveness gives a probability for a real face', async () => {
    const liveness = await loadLiveness(modelById('faceplugin-minifasnet'));
    const det = await loadDetector(modelById('yunet-2023mar'));
    const { image } = await decodeImage(asset('faces', 'celeba', '07201', '001085.jpg'));
    const face = (await det.detect(image)).sort((a, b) => b.score - a.score)[0]!;
    const p = await liveness.realProbability(image, face.box);
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThanOrEqual(1);
    expect(liveness.realThreshold).toBeGreaterThan(0);
  });

  it('the manifest names a loadable family for every model', () => {
    const families = new Set(loadManifest().models.map((m) => m.family));
    expect([...families].sort()).toEqual([
      'arcface',
      'landmarks68',
      'minifasnet',
      'scrfd',
      'ultraface',
      'yunet',
      'yunet-landmarks',
    ]);
  });
});
