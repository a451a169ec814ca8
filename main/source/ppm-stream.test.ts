import { describe, expect, it } from 'vitest';
import { PpmSplitter, type RawFrame } from './ppm-stream.js';

function ppm(w: number, h: number, fill: number): Buffer {
  return Buffer.concat([Buffer.from(`P6\n${w} ${h}\n255\n`), Buffer.alloc(w * h * 3, fill)]);
}

describe('PpmSplitter', () => {
  it('reassembles frames from arbitrary chunk boundaries', () => {
    const frames: RawFrame[] = [];
    const s = new PpmSplitter((f) => frames.push(f));
    const stream = Buffer.concat([ppm(4, 3, 7), ppm(2, 2, 9), ppm(5, 1, 1)]);
    for (const size of [1, 3, 7, 64]) {
      frames.length = 0;
      const t = new PpmSplitter((f) => frames.push(f));
      for (let i = 0; i < stream.length; i += size) t.push(stream.subarray(i, i + size));
      expect(frames.map((f) => [f.width, f.height, f.data.length, f.data[0]])).toEqual([
        [4, 3, 36, 7],
        [2, 2, 12, 9],
        [5, 1, 15, 1],
      ]);
      // Each frame owns its buffer, so it can be transferred to a worker without a copy.
      for (const f of frames)
        expect([f.data.byteOffset, f.data.buffer.byteLength]).toEqual([0, f.data.length]);
    }
    s.push(stream);
    expect(frames.length).toBe(6);
  });

  it('hands over every byte of every frame, whatever the chunking', () => {
    let seed = 1;
    const byte = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    const pixels = [
      Buffer.from(Array.from({ length: 6 * 5 * 3 }, byte)),
      Buffer.from(Array.from({ length: 3 * 7 * 3 }, byte)),
      Buffer.from(Array.from({ length: 1 * 1 * 3 }, byte)),
    ];
    const sizes: [number, number][] = [
      [6, 5],
      [3, 7],
      [1, 1],
    ];
    const stream = Buffer.concat(
      pixels.flatMap((p, k) => [Buffer.from(`P6\n${sizes[k]![0]} ${sizes[k]![1]}\n255\n`), p]),
    );
    for (const size of [1, 2, 5, 13, 40, 97, stream.length]) {
      const frames: RawFrame[] = [];
      const t = new PpmSplitter((f) => frames.push(f));
      for (let i = 0; i < stream.length; i += size) t.push(stream.subarray(i, i + size));
      expect(frames.map((f) => Buffer.from(f.data).toString('hex'))).toEqual(
        pixels.map((p) => p.toString('hex')),
      );
    }
  });

  it('refuses data that is not a PPM stream', () => {
    const s = new PpmSplitter(() => undefined);
    expect(() => s.push(Buffer.from('GIF89a...'))).toThrow(/unexpected data/);
  });
});
