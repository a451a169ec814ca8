import { spawn, type ChildProcess } from 'node:child_process';
import { RtspServer } from 'rtsp-streaming-server';

/**
 * A real RTSP server on loopback (rtsp-streaming-server: publish on one port, serve over UDP on
 * another) and ffmpeg publishing a looped clip to it, as a camera would.
 */
export class LoopbackRtsp {
  private publishers = new Map<string, ChildProcess>();
  private constructor(
    readonly publishPort: number,
    readonly clientPort: number,
    private readonly ffmpeg: string,
  ) {}

  static async start(
    ffmpeg: string,
    base = 15_000 + Math.floor(Math.random() * 20_000),
  ): Promise<LoopbackRtsp> {
    const server = new RtspServer({
      serverPort: base,
      clientPort: base + 1,
      rtpPortStart: base + 10,
      rtpPortCount: 200,
    });
    await server.start();
    return new LoopbackRtsp(base, base + 1, ffmpeg);
  }

  url(path: string): string {
    return `rtsp://127.0.0.1:${this.clientPort}/${path}`;
  }

  publish(path: string, clip: string): void {
    const p = spawn(
      this.ffmpeg,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-re',
        '-stream_loop',
        '-1',
        '-i',
        clip,
        '-c',
        'copy',
        '-f',
        'rtsp',
        `rtsp://127.0.0.1:${this.publishPort}/${path}`,
      ],
      { stdio: 'ignore' },
    );
    this.publishers.set(path, p);
  }

  /**
   * Stops a stream. SIGTERM lets ffmpeg send TEARDOWN: this test server keeps a mount whose
   * publisher vanished without one and refuses to re-publish it (503), unlike a real camera.
   */
  unpublish(path: string): void {
    this.publishers.get(path)?.kill('SIGTERM');
    this.publishers.delete(path);
  }

  stopAll(): void {
    for (const p of this.publishers.keys()) this.unpublish(p);
  }
}
