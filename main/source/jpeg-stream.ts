/**
 * Splits ffmpeg's `-f image2pipe -c:v mjpeg` output into whole JPEG files. The end of a JPEG is
 * found by walking its marker segments (a table may hold the bytes FF D9) and then scanning the
 * entropy-coded data, where a literal FF is always stuffed as FF 00.
 */
export interface JpegFrame {
  width: number;
  height: number;
  /** One complete JPEG file (FF D8 … FF D9), a copy the caller may keep. */
  jpeg: Buffer;
}

/** Longest JPEG accepted: a preview is tens of kilobytes; anything this big is a broken stream. */
const MAX_JPEG = 8 * 1024 * 1024;

export class JpegSplitter {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (f: JpegFrame) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const end = this.frameEnd();
      if (end === null) break;
      const jpeg = Buffer.from(this.buf.subarray(0, end.length));
      this.buf = this.buf.subarray(end.length);
      this.onFrame({ width: end.width, height: end.height, jpeg });
    }
    if (this.buf.length > MAX_JPEG) throw new Error('preview frame too large or malformed');
  }

  /** The length and size of the first complete JPEG in the buffer, or null if it is incomplete. */
  private frameEnd(): { length: number; width: number; height: number } | null {
    const b = this.buf;
    if (b.length < 2) return null;
    if (b[0] !== 0xff || b[1] !== 0xd8) throw new Error('unexpected data in the preview stream');
    let i = 2;
    let width = 0;
    let height = 0;
    // Marker segments up to the start of scan.
    for (;;) {
      if (i + 4 > b.length) return null;
      if (b[i] !== 0xff) throw new Error('malformed JPEG marker in the preview stream');
      const marker = b[i + 1]!;
      if (marker === 0xff) {
        i++; // fill byte
        continue;
      }
      const len = b.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        if (i + 9 > b.length) return null;
        height = b.readUInt16BE(i + 5);
        width = b.readUInt16BE(i + 7);
      }
      i += 2 + len;
      if (marker === 0xda) break;
    }
    // Entropy-coded data: FF 00 is a stuffed byte, FF D0–D7 a restart marker, FF D9 the end.
    for (; i + 1 < b.length; i++) {
      if (b[i] !== 0xff) continue;
      const next = b[i + 1]!;
      if (next === 0xd9) return { length: i + 2, width, height };
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) continue;
      throw new Error('unexpected JPEG marker inside the preview scan');
    }
    return null;
  }
}
