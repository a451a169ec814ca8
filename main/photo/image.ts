import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { VigilError } from '../errors.js';

/** 8-bit RGB, interleaved, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface DecodedImage {
  image: RgbImage;
  /** Size after EXIF rotation, before any downscale: boxes are reported in these pixels. */
  originalWidth: number;
  originalHeight: number;
  /** image pixels per original pixel (≤ 1). */
  scale: number;
}

/** Refuse decompression bombs before decoding: ~8k × 6k covers any camera or phone photo. */
export const MAX_INPUT_PIXELS = 50_000_000;
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** Faces need no more: larger photos are scaled down so the long side is at most this. */
export const ANALYSIS_MAX_SIDE = 1920;

function sentenceFor(e: unknown, Label: string): VigilError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/pixel limit/i.test(msg)) {
    return new VigilError(
      'IMAGE_TOO_LARGE',
      `${Label} is too large to analyse (over ${MAX_INPUT_PIXELS / 1e6} megapixels).`,
    );
  }
  if (/premature end|end of stream|truncated|corrupt|invalid|bad|unexpected end|marker/i.test(msg)) {
    return new VigilError('IMAGE_UNREADABLE', `${Label} is damaged or truncated and cannot be read.`, {
      cause: e,
    });
  }
  return new VigilError('IMAGE_UNREADABLE', `${Label} is not a readable JPEG, PNG or WebP image.`, {
    cause: e,
  });
}

/**
 * Decodes JPEG/PNG/WebP (and anything else libvips reads) into 8-bit sRGB, honouring EXIF
 * orientation, converting CMYK, greyscale and 16-bit input, and dropping alpha.
 */
export async function decodeImage(
  input: string | Uint8Array,
  options: { label?: string; maxSide?: number } = {},
): Promise<DecodedImage> {
  const raw = options.label ?? (typeof input === 'string' ? input : 'the image');
  // Sentences start with the label: "The photo is damaged…", "/path/x.jpg is damaged…".
  const Label = raw.charAt(0).toUpperCase() + raw.slice(1);
  let bytes: Uint8Array;
  if (typeof input === 'string') {
    let info: Stats;
    try {
      info = await stat(input);
    } catch {
      throw new VigilError('IMAGE_NOT_FOUND', `${Label} does not exist or cannot be opened.`);
    }
    // A directory, FIFO or device named like a photo: reading a FIFO or /dev/zero would never end.
    if (!info.isFile()) throw new VigilError('IMAGE_UNREADABLE', `${Label} is not a file.`);
    if (info.size > MAX_FILE_BYTES) {
      throw new VigilError('IMAGE_TOO_LARGE', `${Label} is larger than ${MAX_FILE_BYTES >> 20} MB.`);
    }
    try {
      bytes = await readFile(input);
    } catch {
      throw new VigilError('IMAGE_UNREADABLE', `${Label} cannot be read (check its permissions).`);
    }
  } else {
    bytes = input;
  }
  if (bytes.length === 0) throw new VigilError('IMAGE_EMPTY', `${Label} is an empty file.`);

  const maxSide = options.maxSide ?? ANALYSIS_MAX_SIDE;
  try {
    const base = sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'warning' }).rotate();
    const meta = await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'warning' }).metadata();
    const swap = (meta.orientation ?? 1) >= 5;
    const originalWidth = (swap ? meta.height : meta.width) ?? 0;
    const originalHeight = (swap ? meta.width : meta.height) ?? 0;
    if (!originalWidth || !originalHeight) throw new Error('no dimensions');
    const { data, info } = await base
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    let rgb = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (info.channels === 1) {
      rgb = new Uint8Array(info.width * info.height * 3);
      for (let i = 0; i < info.width * info.height; i++) rgb.fill(data[i]!, i * 3, i * 3 + 3);
    } else if (info.channels !== 3) {
      throw new Error(`unexpected channel count ${info.channels}`);
    }
    return {
      image: { width: info.width, height: info.height, data: rgb },
      originalWidth,
      originalHeight,
      scale: info.width / originalWidth,
    };
  } catch (e) {
    throw sentenceFor(e, Label);
  }
}
