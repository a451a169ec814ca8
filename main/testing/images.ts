import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

function crc32(buf: Uint8Array): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/**
 * A valid-looking PNG that claims width × height pixels but is only a few hundred bytes:
 * the decompression bomb a decoder must refuse before allocating.
 */
export function pngBomb(width = 20_000, height = 20_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc((width * 3 + 1) * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', new Uint8Array()),
  ]);
}

/** The same photo as CMYK JPEG, greyscale PNG, 16-bit PNG, EXIF-rotated JPEG and WebP. */
export async function unusualVariants(jpeg: Buffer): Promise<Record<string, Buffer>> {
  const base = sharp(jpeg).rotate();
  const upright = await base.clone().jpeg({ quality: 95 }).toBuffer();
  // Stored rotated 90° clockwise with EXIF orientation 8, which tells readers to rotate it back.
  const rotatedPixels = await sharp(upright).rotate(90).jpeg({ quality: 95 }).toBuffer();
  return {
    cmyk: await base.clone().toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer(),
    grey: await base.clone().greyscale().png().toBuffer(),
    png16: await base.clone().toColourspace('rgb16').png().toBuffer(),
    exifRotated: await sharp(rotatedPixels).withMetadata({ orientation: 8 }).jpeg({ quality: 95 }).toBuffer(),
    webp: await base.clone().webp({ quality: 90 }).toBuffer(),
  };
}
