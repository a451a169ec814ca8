import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { JpegSplitter, type JpegFrame } from './jpeg-stream.js';

async function jpeg(width: number, height: number, quality: number, seed: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * seed + (i >> 7)) % 256;
  return sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

describe('JpegSplitter', () => {
  it('cuts a concatenated MJPEG stream into whole JPEGs whatever the chunking', async () => {
    // Quality 1 clamps quantisation tables to 255, so FF bytes appear inside the header segments.
    const files = [await jpeg(48, 32, 1, 7), await jpeg(64, 40, 90, 13), await jpeg(17, 9, 50, 3)];
    expect(files[0]!.subarray(0, 200).includes(0xff, 4)).toBe(true);
    const stream = Buffer.concat(files);
    for (const step of [1, 7, 333, stream.length]) {
      const got: JpegFrame[] = [];
      const s = new JpegSplitter((f) => got.push(f));
      for (let i = 0; i < stream.length; i += step) s.push(stream.subarray(i, i + step));
      expect(got.map((f) => f.jpeg.equals(files[got.indexOf(f)]!))).toEqual([true, true, true]);
      expect(got.map((f) => [f.width, f.height])).toEqual([
        [48, 32],
        [64, 40],
        [17, 9],
      ]);
    }
  });

  it('refuses data that is not a JPEG stream', () => {
    const s = new JpegSplitter(() => undefined);
    expect(() => s.push(Buffer.from('P6 10 10 255\n'))).toThrow(/unexpected data/);
  });
});
