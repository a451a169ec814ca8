import sharp from 'sharp';
import type { RgbImage } from '../photo/image.js';
import { decodeImage } from '../photo/image.js';
import { analyseImage, largestFace } from '../engine/analyze.js';
import type { LoadedModels } from '../zoo/zoo.js';

/**
 * Labelled synthetic CCTV scenes for tests and bench:scenarios: a plain background with people's
 * heads (cut from identity-labelled photos) pasted where a scene script puts them.
 */

/** A head cut from a photo: the labelled person's face with some context, as PNG. */
export interface HeadCut {
  png: Buffer;
  width: number;
  height: number;
  /** Width of the face inside the cut, in the cut's pixels. */
  faceWidth: number;
}

/**
 * Cuts the largest face of a photo (the labelled person in CelebA-style photos) with a margin of
 * its own size around it; null when no face is found.
 */
export async function cutHead(models: LoadedModels, photo: string): Promise<HeadCut | null> {
  const decoded = await decodeImage(photo);
  const face = largestFace(await analyseImage(models, decoded));
  if (!face) return null;
  const s = 1 / decoded.scale;
  const [x1, y1, x2, y2] = face.box.map((v) => v * s) as [number, number, number, number];
  const w = x2 - x1;
  const h = y2 - y1;
  const left = Math.max(0, Math.round(x1 - 0.45 * w));
  const top = Math.max(0, Math.round(y1 - 0.5 * h));
  const right = Math.min(decoded.originalWidth, Math.round(x2 + 0.45 * w));
  const bottom = Math.min(decoded.originalHeight, Math.round(y2 + 0.45 * h));
  const png = await sharp(photo)
    .rotate()
    .extract({ left, top, width: right - left, height: bottom - top })
    .png()
    .toBuffer();
  return { png, width: right - left, height: bottom - top, faceWidth: w };
}

/** A muted indoor-looking background (walls, a door, a floor), as raw RGB. */
export async function background(width: number, height: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="#8a8f88"/>
    <rect y="${Math.round(height * 0.72)}" width="100%" height="${Math.round(height * 0.28)}" fill="#5d5a52"/>
    <rect x="${Math.round(width * 0.62)}" y="${Math.round(height * 0.12)}" width="${Math.round(width * 0.16)}" height="${Math.round(height * 0.6)}" fill="#6b5744"/>
    <rect x="${Math.round(width * 0.08)}" y="${Math.round(height * 0.18)}" width="${Math.round(width * 0.2)}" height="${Math.round(height * 0.22)}" fill="#a9b3b8"/>
  </svg>`;
  return sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer();
}

/** One head in one frame: where its centre is and how wide its face should appear (pixels). */
export interface Placement {
  head: HeadCut;
  cx: number;
  cy: number;
  faceWidth: number;
}

/** Composites heads onto the background; returns raw RGB of the background's size. */
export async function renderFrame(
  bg: Buffer,
  width: number,
  height: number,
  placements: Placement[],
  look: { brightness?: number; blur?: number } = {},
): Promise<Buffer> {
  const layers: sharp.OverlayOptions[] = [];
  for (const p of placements) {
    const scale = p.faceWidth / p.head.faceWidth;
    const w = Math.max(8, Math.round(p.head.width * scale));
    const h = Math.max(8, Math.round(p.head.height * scale));
    let left = Math.round(p.cx - w / 2);
    let top = Math.round(p.cy - h / 2);
    // Clip to the frame: sharp refuses overlays that reach outside it.
    const cropL = Math.max(0, -left);
    const cropT = Math.max(0, -top);
    const cw = Math.min(w - cropL, width - Math.max(0, left));
    const ch = Math.min(h - cropT, height - Math.max(0, top));
    if (cw < 8 || ch < 8) continue;
    let img = sharp(p.head.png).resize(w, h);
    if (cropL || cropT || cw < w || ch < h) {
      img = sharp(await img.toBuffer()).extract({ left: cropL, top: cropT, width: cw, height: ch });
    }
    left = Math.max(0, left);
    top = Math.max(0, top);
    layers.push({ input: await img.png().toBuffer(), left, top });
  }
  if (layers.length === 0 && !look.brightness && !look.blur) return Buffer.from(bg);
  let out = sharp(bg, { raw: { width, height, channels: 3 } }).composite(layers);
  // A dim, soft camera: composite first, then darken and blur the whole frame as a lens would.
  if (look.brightness || look.blur) {
    out = sharp(await out.removeAlpha().raw().toBuffer(), { raw: { width, height, channels: 3 } });
    if (look.brightness) out = out.modulate({ brightness: look.brightness });
    if (look.blur) out = out.blur(look.blur);
  }
  return out.removeAlpha().raw().toBuffer();
}

export const asRgb = (data: Buffer, width: number, height: number): RgbImage => ({
  width,
  height,
  data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
});

/** A small deterministic random source (scenes are the same on every run). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}
