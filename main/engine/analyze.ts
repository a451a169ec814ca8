import type { Point } from '../align/similarity.js';
import { alignFace } from '../align/warp.js';
import type { DecodedImage, RgbImage } from '../photo/image.js';
import { detectTiled } from '../detect/tiling.js';
import { detectInRegions } from '../motion/regions.js';
import type { Box, Detection } from '../detect/types.js';
import type { LoadedModels } from '../zoo/zoo.js';
import { assessQuality, type FaceQuality } from '../quality/quality.js';

export interface AnalysedFace {
  /** In original-image pixels. */
  box: Box;
  landmarks: Point[];
  detectionScore: number;
  quality: FaceQuality;
  embedding: Float32Array;
}

/** Surrounds the image with a grey border of `frac` of its size on every side. */
export function padImage(img: RgbImage, frac: number): { image: RgbImage; offset: number } {
  const offset = Math.round(Math.max(img.width, img.height) * frac);
  const width = img.width + 2 * offset;
  const height = img.height + 2 * offset;
  const data = new Uint8Array(width * height * 3).fill(128);
  for (let y = 0; y < img.height; y++) {
    data.set(
      img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3),
      ((y + offset) * width + offset) * 3,
    );
  }
  return { image: { width, height, data }, offset };
}

/**
 * Stretches the grey-level histogram of a dark or flat image to the full range (the same gain
 * applied to R, G and B, so colours keep their balance). Night and back-lit scenes are where
 * detectors and recognizers fail first.
 */
export function equalize(img: RgbImage): RgbImage {
  const n = img.width * img.height;
  const hist = new Uint32Array(256);
  const grey = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const g = (img.data[i * 3]! * 77 + img.data[i * 3 + 1]! * 150 + img.data[i * 3 + 2]! * 29) >> 8;
    grey[i] = g;
    hist[g]!++;
  }
  const lut = new Float32Array(256);
  let cum = 0;
  for (let v = 0; v < 256; v++) {
    cum += hist[v]!;
    lut[v] = (255 * cum) / n;
  }
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const g = grey[i]!;
    const gain = g > 0 ? lut[g]! / g : 1;
    for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.min(255, img.data[i * 3 + c]! * gain);
  }
  return { width: img.width, height: img.height, data };
}

/**
 * Detectors are trained on faces with context around them and on normal exposure: they miss a
 * face that fills the frame (ID photos, kiosk crops) or sits in the dark. When nothing is found,
 * look again with a border, then on the equalized image. Later stages use the image that worked.
 */
async function detectHard(
  models: LoadedModels,
  img: RgbImage,
  retry: boolean,
  tiles: boolean,
  regions: readonly Box[] | undefined,
): Promise<{ img: RgbImage; dets: Detection[]; offset: number }> {
  const own = retry ? models.landmarks?.detect?.bind(models.landmarks) : undefined;
  if (own && !tiles && !regions) {
    // Photos: a landmark source that is itself a detector (YuNet) finds the faces. Its boxes
    // hold up in side light and put the 68-point model on the face better than UltraFace's
    // (bench:accuracy, celeba and yaleb). Video keeps the pack's detector and its frame rate.
    const found = await own(img);
    if (found.length > 0) return { img, dets: found, offset: 0 };
    const padded = padImage(img, 0.3);
    const again = await own(padded.image);
    if (again.length > 0) return { img: padded.image, dets: again, offset: padded.offset };
  }
  const dets = regions
    ? await detectInRegions(models.detector, img, regions)
    : tiles
      ? await detectTiled(models.detector, img)
      : await models.detector.detect(img);
  if (dets.length > 0 || !retry) return { img, dets, offset: 0 };
  const padded = padImage(img, 0.3);
  const found = await models.detector.detect(padded.image);
  if (found.length > 0) return { img: padded.image, dets: found, offset: padded.offset };
  const bright = padImage(equalize(img), 0.3);
  const lit = await models.detector.detect(bright.image);
  if (lit.length > 0 || !models.landmarks?.detect)
    return { img: bright.image, dets: lit, offset: bright.offset };
  // Last, the landmark source's own detector (YuNet) with a lower score bar: it holds up in hard
  // side light.
  const last = await models.landmarks.detect(padded.image, true);
  if (last.length > 0) return { img: padded.image, dets: last, offset: padded.offset };
  // A face almost black in the photo (light from far to one side, night): YuNet on the equalized
  // image, which later stages then crop as well. On the raw pixels such a crop embeds as noise
  // that sits closest to whichever member has the darkest shots (bench:accuracy yaleb).
  return {
    img: bright.image,
    dets: await models.landmarks.detect(bright.image, true),
    offset: bright.offset,
  };
}

export interface LocatedFace {
  /** In original-image pixels. */
  box: Box;
  landmarks: Point[];
  detectionScore: number;
  quality: FaceQuality;
  /** The recognizer-ready crop; embedding it is the expensive step, so callers choose when. */
  aligned: RgbImage;
}

export interface LocateOptions {
  /** Look again (padded, equalized) when nothing is found: for photos, not video frames. */
  retry?: boolean;
  /** Also search tiles of the frame for small faces (see detectTiled). */
  tiles?: boolean;
  /**
   * Faces narrower than this (original pixels) are only boxed, with a size-only quality and an
   * empty crop: no decision can use them, so their landmarks and alignment would be wasted.
   */
  minFaceSize?: number;
  /** Look only in these rectangles of the frame (where something moved; see planRegions). */
  regions?: Box[];
}

/** A face too small to use: its box for tracking and drawing, nothing to embed. */
function boxOnly(box: Box, score: number, faceSize: number): LocatedFace {
  return {
    box,
    landmarks: [],
    detectionScore: score,
    quality: { faceSize, sharpness: 0, brightness: 0, yaw: 0, pitch: 0, roll: 0, score: 0 },
    aligned: { width: 0, height: 0, data: new Uint8Array(0) },
  };
}

/** Detect → landmarks → align → quality, for every face of one image (no embedding). */
export async function locateFaces(
  models: LoadedModels,
  decoded: DecodedImage,
  options: LocateOptions = {},
): Promise<LocatedFace[]> {
  // Video frames without a face are the norm, not a cropped photo: no second look there; but
  // their faces are small, so they are searched tile by tile as well.
  const { img, dets, offset } = await detectHard(
    models,
    decoded.image,
    options.retry ?? true,
    options.tiles ?? false,
    options.regions,
  );
  if (dets.length === 0) return [];
  const toOriginal = 1 / decoded.scale;
  const minSize = options.minFaceSize ?? 0;
  const usable = (d: Detection): boolean => (d.box[2] - d.box[0]) * toOriginal >= minSize;
  const missing = dets.filter((d) => !d.landmarks && usable(d));
  if (missing.length > 0) {
    if (!models.landmarks)
      throw new Error(`${models.detector.entry.id} gives no landmarks and no landmark model is configured`);
    const pts = await models.landmarks.landmarks(
      img,
      missing.map((d) => d.box),
    );
    missing.forEach((d, i) => (d.landmarks = pts[i]!));
  }
  const size = models.recognizer.entry.input.width;
  const o = (v: number): number => (v - offset) * toOriginal;
  const W = decoded.originalWidth;
  const H = decoded.originalHeight;
  return dets.map((d) => {
    const box: Box = [
      Math.max(0, o(d.box[0])),
      Math.max(0, o(d.box[1])),
      Math.min(W, o(d.box[2])),
      Math.min(H, o(d.box[3])),
    ];
    if (!usable(d)) return boxOnly(box, d.score, (d.box[2] - d.box[0]) * toOriginal);
    const aligned = alignFace(img, d.landmarks!, size);
    return {
      box,
      landmarks: d.landmarks!.map(([x, y]): Point => [o(x), o(y)]),
      detectionScore: d.score,
      quality: assessQuality(aligned, d.landmarks!, d.box, toOriginal),
      aligned,
    };
  });
}

/** Detect → landmarks → align → quality → embed, for every face of one image. */
export async function analyseImage(models: LoadedModels, decoded: DecodedImage): Promise<AnalysedFace[]> {
  const faces = await locateFaces(models, decoded);
  const embeddings = await models.recognizer.embed(faces.map((f) => f.aligned));
  return faces.map(({ aligned: _aligned, ...f }, i) => ({ ...f, embedding: embeddings[i]! }));
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
