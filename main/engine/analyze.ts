import type { Point } from '../align/similarity.js';
import { alignFace } from '../align/warp.js';
import type { DecodedImage } from '../decode/image.js';
import type { Box } from '../detect/types.js';
import type { LoadedModels } from '../models/zoo.js';
import { assessQuality, type FaceQuality } from '../quality/quality.js';

export interface AnalysedFace {
  /** In original-image pixels. */
  box: Box;
  landmarks: Point[];
  detectionScore: number;
  quality: FaceQuality;
  embedding: Float32Array;
}

/** Detect → landmarks → align → quality → embed, for every face of one image. */
export async function analyseImage(models: LoadedModels, decoded: DecodedImage): Promise<AnalysedFace[]> {
  const img = decoded.image;
  const dets = await models.detector.detect(img);
  if (dets.length === 0) return [];
  const missing = dets.filter((d) => !d.landmarks);
  if (missing.length > 0) {
    if (!models.landmarks) throw new Error(`${models.detector.entry.id} gives no landmarks and no landmark model is configured`);
    const pts = await models.landmarks.landmarks(
      img,
      missing.map((d) => d.box),
    );
    missing.forEach((d, i) => (d.landmarks = pts[i]!));
  }
  const toOriginal = 1 / decoded.scale;
  const size = models.recognizer.entry.input.width;
  const aligned = dets.map((d) => alignFace(img, d.landmarks!, size));
  const embeddings = await models.recognizer.embed(aligned);
  return dets.map((d, i) => ({
    box: d.box.map((v) => v * toOriginal) as Box,
    landmarks: d.landmarks!.map(([x, y]): Point => [x * toOriginal, y * toOriginal]),
    detectionScore: d.score,
    quality: assessQuality(aligned[i]!, d.landmarks!, d.box, toOriginal),
    embedding: embeddings[i]!,
  }));
}

/** The largest face, which is the subject in enrollment photos and labelled datasets. */
export function largestFace<T extends { box: Box }>(faces: T[]): T | undefined {
  let best: T | undefined;
  let bestArea = -1;
  for (const f of faces) {
    const a = (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]);
    if (a > bestArea) {
      best = f;
      bestArea = a;
    }
  }
  return best;
}
