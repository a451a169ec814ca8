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
  /** Pending chunks, not yet joined: joining on every 64 KiB pipe chunk would copy each frame ~40×. */
  private chunks: Buffer[] = [];
  private pending = 0;
  private need = 0;

  constructor(private readonly onFrame: (f: RawFrame) => void) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.pending += chunk.length;
    while (this.pending >= Math.max(this.need, 2)) {
      const head = this.peek(Math.min(this.pending, 64));
      const header = this.parseHeader(head);
      if (!header) {
        if (this.pending >= 64) throw new Error('malformed frame header');
        this.need = this.pending + 1;
        return;
      }
      const size = header.offset + header.width * header.height * 3;
      if (this.pending < size) {
        this.need = size;
        return;
      }
      const data = this.take(size, header.offset);
      this.onFrame({ width: header.width, height: header.height, data });
      this.need = 0;
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!.subarray(0, n);
    return Buffer.concat(this.chunks, n);
  }

  /**
   * Removes the first n bytes and returns those after `skip` (the pixels) as a fresh copy that
   * owns its whole ArrayBuffer: the frame can then be moved to an inference worker as it is,
   * without a second 2.7 MB copy per 1280×720 frame.
   */
  private take(n: number, skip: number): Uint8Array {
    // Each chunk is copied once, straight into the frame (joining the chunks first copied every
    // frame twice: 2.7 MB more per 1280×720 frame on the main thread).
    const out = new Uint8Array(n - skip);
    let at = 0;
    let i = 0;
    for (; i < this.chunks.length && at < n; i++) {
      const c = this.chunks[i]!;
      const from = Math.max(0, skip - at);
      const to = Math.min(c.length, n - at);
      if (to > from) out.set(c.subarray(from, to), at + from - skip);
      at += c.length;
    }
    const last = this.chunks[i - 1]!;
    const rest = at > n ? last.subarray(last.length - (at - n)) : null;
    this.chunks = [...(rest ? [rest] : []), ...this.chunks.slice(i)];
    this.pending -= n;
    return out;
  }

  private parseHeader(buf: Buffer): { width: number; height: number; offset: number } | null {
    const head = buf.toString('latin1');
    if (!head.startsWith('P6')) throw new Error('unexpected data in the frame stream');
    const m = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(head);
    if (!m) return null;
    if (m[3] !== '255') throw new Error('only 8-bit frames are supported');
    return { width: Number(m[1]), height: Number(m[2]), offset: m[0].length };
  }
}
