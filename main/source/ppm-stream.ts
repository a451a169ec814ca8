/**
 * Splits ffmpeg's `-f image2pipe -c:v ppm` output into frames. PPM frames carry their own size,
 * so the reader never has to guess the scaled dimensions ffmpeg chose.
 */
export interface RawFrame {
  width: number;
  height: number;
  /** RGB, 8 bits per channel. */
  data: Uint8Array;
}

export class PpmSplitter {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (f: RawFrame) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const header = this.parseHeader();
      if (!header) return;
      const { width, height, offset } = header;
      const size = width * height * 3;
      if (this.buf.length < offset + size) return;
      // Copy out: the frame outlives this chunk buffer.
      this.onFrame({ width, height, data: new Uint8Array(this.buf.subarray(offset, offset + size)) });
      this.buf = this.buf.subarray(offset + size);
    }
  }

  private parseHeader(): { width: number; height: number; offset: number } | null {
    // "P6" whitespace width whitespace height whitespace maxval single-whitespace
    const head = this.buf.subarray(0, Math.min(this.buf.length, 64)).toString('latin1');
    if (head.length < 2) return null;
    if (!head.startsWith('P6')) throw new Error('unexpected data in the frame stream');
    const m = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(head);
    if (!m) {
      if (head.length >= 64) throw new Error('malformed frame header');
      return null;
    }
    if (m[3] !== '255') throw new Error('only 8-bit frames are supported');
    return { width: Number(m[1]), height: Number(m[2]), offset: m[0].length };
  }
}
