import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors.js';
import { pngBomb, unusualVariants } from '../testing/images.js';
import { decodeImage } from './image.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-decode-'));

async function photo(): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 100, b: 50 } } })
    .jpeg()
    .toBuffer();
}

async function codeOf(input: string | Uint8Array): Promise<string> {
  try {
    await decodeImage(input, { label: 'photo.jpg' });
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(VigilError);
    expect((e as Error).message).toMatch(/^Photo\.jpg /);
    expect((e as Error).message).not.toMatch(/\n|at .*\(/);
    return (e as VigilError).code;
  }
}

describe('decodeImage', () => {
  it('decodes to 8-bit RGB with the original size', async () => {
    const d = await decodeImage(await photo());
    expect(d.image).toMatchObject({ width: 64, height: 48 });
    expect(d.image.data.length).toBe(64 * 48 * 3);
    expect(d.image.data[0]).toBeGreaterThan(180);
  });

  it('refuses empty, non-image, truncated and bomb input with a sentence', async () => {
    expect(await codeOf(new Uint8Array())).toBe('IMAGE_EMPTY');
    expect(await codeOf(Buffer.from('not an image at all, just text'))).toBe('IMAGE_UNREADABLE');
    const jpeg = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer();
    expect(await codeOf(jpeg.subarray(0, Math.floor(jpeg.length / 2)))).toBe('IMAGE_UNREADABLE');
    expect(await codeOf(pngBomb())).toBe('IMAGE_TOO_LARGE');
    const missing = join(dir, 'missing.jpg');
    await expect(decodeImage(missing)).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
  });

  it('refuses a directory, a FIFO and a symlink loop named like a photo instead of hanging or crashing', async () => {
    const folder = join(dir, 'folder.jpg');
    mkdirSync(folder);
    await expect(decodeImage(folder)).rejects.toMatchObject({
      code: 'IMAGE_UNREADABLE',
      message: `${folder} is not a file.`,
    });
    const loop = join(dir, 'loop-a.jpg');
    symlinkSync(join(dir, 'loop-b.jpg'), loop);
    symlinkSync(loop, join(dir, 'loop-b.jpg'));
    await expect(decodeImage(loop)).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    if (process.platform !== 'win32') {
      const fifo = join(dir, 'fifo.jpg');
      execFileSync('mkfifo', [fifo]);
      // Reading a FIFO nobody writes to never ends: the test would time out.
      await expect(decodeImage(fifo)).rejects.toMatchObject({ code: 'IMAGE_UNREADABLE' });
    }
  });

  it('says a truncated PNG is damaged', async () => {
    const png = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#888' } })
      .png()
      .toBuffer();
    await expect(
      decodeImage(png.subarray(0, Math.floor(png.length / 2)), { label: 'photo.png' }),
    ).rejects.toThrow('Photo.png is damaged or truncated and cannot be read.');
  });

  it('reads CMYK, greyscale, 16-bit, EXIF-rotated and WebP input as RGB', async () => {
    const src = await sharp({
      create: { width: 60, height: 40, channels: 3, background: { r: 30, g: 160, b: 90 } },
    })
      .jpeg()
      .toBuffer();
    const v = await unusualVariants(src);
    for (const [name, buf] of Object.entries(v)) {
      const d = await decodeImage(buf, { label: name });
      expect(d.image.data.length, name).toBe(d.image.width * d.image.height * 3);
      if (name !== 'exifRotated') expect([d.image.width, d.image.height], name).toEqual([60, 40]);
    }
    const rotated = await decodeImage(v.exifRotated!);
    expect([rotated.originalWidth, rotated.originalHeight]).toEqual([60, 40]);
    const grey = await decodeImage(v.grey!);
    expect(grey.image.data[0]).toBe(grey.image.data[1]);
  });

  it('scales large photos down and reports the scale', async () => {
    const big = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#444' } })
      .jpeg()
      .toBuffer();
    const file = join(dir, 'big.jpg');
    writeFileSync(file, big);
    const d = await decodeImage(file);
    expect(d.image.width).toBe(1920);
    expect(d.originalWidth).toBe(4000);
    expect(d.scale).toBeCloseTo(0.48, 3);
    expect(readFileSync(file).length).toBe(big.length);
  });
});
