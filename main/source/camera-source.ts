import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Hwaccel } from '../config/schema.js';
import { log, redactUrl } from '../log.js';
import { hwaccelArgs, hwaccelFailure } from './hwaccel.js';
import { JpegSplitter } from './jpeg-stream.js';
import { PpmSplitter, type RawFrame } from './ppm-stream.js';

export type CameraState = 'connecting' | 'online' | 'offline' | 'error';

export interface CameraStatus {
  cameraId: string;
  state: CameraState;
  reason: string | null;
  fps: number;
  lastFrameAt: string | null;
  framesDecoded: number;
  framesDropped: number;
  reconnects: number;
  /** Why the decoder last failed, kept after it recovers (camera health, `vigil doctor`). */
  lastError: string | null;
  lastErrorAt: string | null;
  /** How the stream is decoded: 'software' or the hardware decoder in use ('vaapi', 'cuda', …). */
  decoder?: string;
  /** Why hardware decoding was given up for software, when it was. */
  decoderNote?: string | null;
  /**
   * How the camera is analysed: 'full' (every sampled frame), 'motion' (only where something
   * moves), 'reduced' (fewer frames while the machine is overloaded); set by the pipeline.
   */
  analysis?: 'full' | 'motion' | 'reduced';
  /** Why the analysis is reduced, as a sentence. */
  analysisNote?: string | null;
}

export interface CameraSourceOptions {
  cameraId: string;
  url: string;
  ffmpegPath: string;
  /** Frames per second handed to analysis. */
  analysisFps?: number;
  /** Long side of analysed frames, in pixels (never upscaled). */
  analysisSize?: number;
  loop?: boolean;
  rtspTransport?: 'tcp' | 'udp';
  /** No frame for this long: the stream is considered stalled and is restarted. */
  stallMs?: number;
  backoffMs?: { initial: number; max: number };
  /** Cheapest decode path (see args()); on by default. */
  fastDecode?: boolean;
  /**
   * A small low-rate JPEG stream for the console tiles, from the same decoder (off when absent).
   * Previews are never queued: one not taken at once is gone.
   */
  preview?: PreviewOptions | null;
  /**
   * The decoder's niceness (0 = normal; default 10). Under CPU contention the analysis threads
   * then run first: a decoder scheduled a little later only reads from its socket buffer later,
   * while an analysis that runs late drops frames.
   */
  decoderNice?: number;
  /**
   * Benchmarks and tests only: a file is read as fast as it is analysed (no `-re`), every frame
   * is analysed (the decoder waits instead of frames being dropped), frames are stamped with scene
   * time (`startAt` plus their index at the analysis rate), and the end of the file is final.
   */
  replay?: { startAt: number } | null;
  /** Hardware decoding to try first (falls back to software, with the reason in the status). */
  hwaccel?: Hwaccel | null;
  /** The hardware device (e.g. /dev/dri/renderD128 for VAAPI); ffmpeg's default when absent. */
  hwaccelDevice?: string | null;
}

export interface PreviewOptions {
  fps: number;
  /** Long side in pixels (never upscaled). */
  size: number;
  /** ffmpeg's MJPEG quantiser, 2 (best) to 31; 7 gives ~20 KB at 480×270. */
  quality?: number;
}

export interface PreviewImage {
  cameraId: string;
  at: number;
  width: number;
  height: number;
  jpeg: Buffer;
}

export interface FrameEvent extends RawFrame {
  cameraId: string;
  /** When the frame left the decoder (ms since epoch). */
  at: number;
}

/**
 * Reads why ffmpeg gave up from its stderr, as a sentence for the camera status.
 * Credentials never appear: the URL is not echoed.
 */
export function reasonFromFfmpeg(stderr: string): string {
  const s = stderr.toLowerCase();
  // Node's own message when the decoder binary cannot be run at all (the path was removed).
  if (/spawn .* (enoent|eacces)/.test(s)) return 'ffmpeg cannot be started (not found or not executable)';
  if (/is a directory/.test(s)) return 'the video file is a folder, not a video';
  // Audio only: "Output file #0 does not contain any stream" or, with the preview's filter graph,
  // "Stream specifier ':v' … matches no streams".
  if (/does not contain any stream|matches no streams/.test(s)) return 'the file or stream has no video';
  if (/401 unauthorized|authorization failed|403 forbidden/.test(s))
    return 'the camera refused the user name or password';
  if (/connection refused/.test(s))
    return 'the camera refused the connection (nothing listening at that address)';
  if (/no route to host|network is unreachable|timed out|timeout/.test(s))
    return 'the camera cannot be reached on the network';
  if (/name or service not known|could not resolve|failed to resolve/.test(s))
    return 'the camera host name cannot be resolved';
  if (/404 not found|stream not found|461 unsupported/.test(s))
    return 'the camera has no stream at that path or transport';
  if (/no such file or directory/.test(s)) return 'the video file does not exist';
  if (/invalid data found|could not find codec|unsupported codec/.test(s))
    return 'the stream is not a video ffmpeg can decode';
  if (/end of file|eof/.test(s)) return 'the stream ended';
  return 'the stream stopped';
}

/**
 * One camera: one ffmpeg process decoding every packet and emitting frames at the analysis size
 * and rate (scaling and rate conversion inside ffmpeg, the cheapest place). Reconnects on its own
 * with capped exponential backoff, restarts a stalled stream, and never queues more than one
 * frame: while the consumer is busy, the newest frame waits in a single slot (the frame it
 * replaces is dropped and counted) and is handed over as soon as the consumer is free.
 */
export class CameraSource extends EventEmitter<{
  frame: [FrameEvent];
  status: [CameraStatus];
  preview: [PreviewImage];
}> {
  private proc: ChildProcess | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private backoff: number;
  private stderrTail = '';
  private busy = false;
  /**
   * A decoder delivers frames in bursts when it was scheduled late; dropping the second frame of
   * a burst lost 33–85 of 1,800 frames on 12 sub-streams, holding it lost 0–13.
   */
  private waiting: FrameEvent | undefined;
  private frameTimes: number[] = [];
  /** Replay only: frames waiting for the consumer, the next frame's index, whether the file ended. */
  private replayQueue: FrameEvent[] = [];
  private replayIndex = 0;
  private replayEnded = false;
  private readonly status: CameraStatus;
  private readonly opts: Required<
    Omit<CameraSourceOptions, 'rtspTransport' | 'preview' | 'replay' | 'hwaccel' | 'hwaccelDevice'>
  > & {
    rtspTransport?: 'tcp' | 'udp';
    preview: PreviewOptions | null;
    replay: { startAt: number } | null;
    hwaccel: Hwaccel | null;
    hwaccelDevice: string | null;
  };
  /** Frames decoded by the current ffmpeg run (a hardware decoder that fails, fails before the first). */
  private framesThisRun = 0;

  constructor(options: CameraSourceOptions) {
    super();
    this.opts = {
      analysisFps: 5,
      analysisSize: 1280,
      loop: false,
      stallMs: 10_000,
      backoffMs: { initial: 1000, max: 30_000 },
      fastDecode: true,
      decoderNice: 10,
      ...options,
      preview: options.preview ?? null,
      replay: options.replay ?? null,
      hwaccel: options.hwaccel && options.hwaccel !== 'off' ? options.hwaccel : null,
      hwaccelDevice: options.hwaccelDevice ?? null,
    };
    this.backoff = this.opts.backoffMs.initial;
    this.status = {
      cameraId: options.cameraId,
      state: 'connecting',
      reason: null,
      fps: 0,
      lastFrameAt: null,
      framesDecoded: 0,
      framesDropped: 0,
      reconnects: 0,
      lastError: null,
      lastErrorAt: null,
      decoder: this.opts.hwaccel ?? 'software',
      decoderNote: null,
    };
  }

  /** A hardware decoder is tried until it fails once; then this camera decodes in software. */
  private get hardware(): Hwaccel | null {
    return this.status.decoderNote ? null : this.opts.hwaccel;
  }

  /** The decoder's process id while it runs (for resource accounting). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get current(): CameraStatus {
    return { ...this.status, fps: this.fps() };
  }

  start(): void {
    this.stopped = false;
    this.spawn();
  }

  /** The consumer calls this when it has finished with the last frame it took. */
  release(): void {
    if (this.opts.replay) {
      this.busy = false;
      const next = this.replayQueue.shift();
      if (this.replayQueue.length < 2) this.proc?.stdout?.resume();
      if (next) this.handOver(next);
      else if (this.replayEnded) this.setState('offline', 'the stream ended');
      if (this.proc) this.armStallTimer();
      return;
    }
    this.busy = false;
    const next = this.waiting;
    this.waiting = undefined;
    if (next) this.handOver(next);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.stallTimer);
    const p = this.proc;
    if (!p || p.exitCode !== null) {
      // Stopped between runs (waiting to reconnect, or a replayed file that ended): say so, so a
      // pending camera_offline alert for a camera that was removed is called off.
      this.setState('offline', 'stopped');
      return;
    }
    await new Promise<void>((resolve) => {
      p.once('close', () => resolve());
      p.kill('SIGTERM');
      setTimeout(() => p.kill('SIGKILL'), 2000).unref();
    });
  }

  private args(): string[] {
    const { url, loop, analysisFps, analysisSize, rtspTransport } = this.opts;
    const input: string[] = ['-hide_banner', '-loglevel', 'error', '-nostdin'];
    let source = url;
    if (url.startsWith('rtsp')) {
      input.push('-rtsp_transport', rtspTransport ?? 'tcp', '-timeout', '5000000');
      // A 1080p keyframe is hundreds of kilobytes arriving at once; with the default 208 KB socket
      // buffer a decoder scheduled late (nice 10, busy cores) lost packets, and the smeared blocks
      // that follow until the next keyframe look like motion everywhere. Linux caps this at
      // net.core.rmem_max (often 4 MB; 208 KB on some systems, where it changes nothing).
      if (rtspTransport === 'udp') input.push('-buffer_size', String(4 * 2 ** 20));
    } else if (url.startsWith('file:')) {
      source = fileURLToPath(url);
      // A file plays at its own frame rate, like a live camera (unless replayed for a benchmark).
      if (!this.opts.replay) input.push('-re');
      if (loop) input.push('-stream_loop', '-1');
    } else if (/^https?:/.test(url)) {
      input.push('-reconnect', '1', '-reconnect_streamed', '1', '-rw_timeout', '5000000');
    } else {
      const m = /^(v4l2|avfoundation|dshow):(.*)$/.exec(url);
      if (m) {
        input.push('-f', m[1]!);
        source = m[2]!;
      }
    }
    const scale = (size: number): string =>
      `scale='if(gt(iw,ih),min(iw,${size}),-2)':'if(gt(iw,ih),-2,min(ih,${size}))':flags=fast_bilinear`;
    // Rate conversion before scaling: only the frames kept are scaled. Scaling in YUV and then
    // converting the smaller frame to RGB costs 3 ms per 1080p→720p frame; swscale's combined
    // scale-and-convert path took 6.7 ms.
    const analysis = `fps=${analysisFps},${scale(analysisSize)},format=yuv420p`;
    const toPpm = ['-f', 'image2pipe', '-c:v', 'ppm', 'pipe:1'];
    const pv = this.opts.preview;
    // One decoder, two outputs: the analysed frames as PPM on stdout and, when asked, the preview
    // as MJPEG on fd 3. Encoding the preview here costs ~2 ms per 480-px frame; encoding the
    // analysed frame again in-process with sharp cost 6.6 ms and would stall with the analysis.
    const outputs = pv
      ? [
          '-filter_complex',
          `[0:v]split=2[a][p];[a]${analysis}[an];[p]fps=${pv.fps},${scale(pv.size)},format=yuvj420p[pv]`,
          '-map',
          '[an]',
          ...toPpm,
          '-map',
          '[pv]',
          '-f',
          'image2pipe',
          '-c:v',
          'mjpeg',
          '-q:v',
          String(pv.quality ?? 7),
          'pipe:3',
        ]
      : ['-vf', analysis, ...toPpm];
    return [
      ...input,
      // Every reference frame of an H.264/H.265 stream must be decoded to reach the few analysed,
      // but frames nothing refers to (most B-frames) need not be: skipping them took the 1080p25
      // pedestrian clip (78 of 105 frames B) from 8.4 to 5.3 ms of CPU per input frame. Skipping
      // the in-loop deblocking filter saves ~15 % more at a quality cost the detector does not
      // notice, and one decoder thread per camera avoids oversubscribing the cores (threads=auto
      // spent the same CPU). `-flags2 +fast` decoded bit-identical frames at the same cost.
      ...(this.opts.fastDecode ? ['-skip_frame', 'noref', '-skip_loop_filter', 'all', '-threads', '1'] : []),
      ...hwaccelArgs(this.hardware, this.opts.hwaccelDevice),
      '-i',
      source,
      '-an',
      '-sn',
      ...outputs,
    ];
  }

  private setState(state: CameraState, reason: string | null): void {
    if (this.status.state === state && this.status.reason === reason) return;
    this.status.state = state;
    this.status.reason = reason;
    if ((state === 'offline' || state === 'error') && reason && reason !== 'stopped') {
      this.status.lastError = reason;
      this.status.lastErrorAt = new Date().toISOString();
    }
    log('info', 'camera_status', { camera: this.opts.cameraId, state, reason });
    this.emit('status', this.current);
  }

  private spawn(): void {
    this.setState('connecting', null);
    this.stderrTail = '';
    this.framesThisRun = 0;
    const pv = this.opts.preview;
    let proc: ChildProcess;
    try {
      proc = spawn(this.opts.ffmpegPath, this.args(), {
        stdio: pv ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      // An address no decoder can be given (a file:// URL naming another host, a NUL byte in a
      // path stored before it was validated) throws here, synchronously: one camera must not take
      // the server down, and retrying cannot help.
      // The message may quote the address, credentials included: only its code is logged.
      log('warn', 'camera_unusable', {
        camera: this.opts.cameraId,
        code: (e as NodeJS.ErrnoException).code ?? 'invalid',
      });
      this.setState('error', 'the camera address cannot be opened (not a valid URL or file path)');
      return;
    }
    this.proc = proc;
    // 4 × 1080p25 on 2 busy cores (load average 8–12): 18.3–18.9 analysed fps with decoders at
    // nice 10, 15.4 at nice 5, 9.9–11.9 at 0, with the same decode errors (no extra packet loss).
    if (proc.pid !== undefined && this.opts.decoderNice) {
      try {
        setPriority(proc.pid, this.opts.decoderNice);
      } catch {
        // Not permitted on this system: the decoder runs at normal priority.
      }
    }
    if (pv) {
      // Always drained, so ffmpeg never blocks on the preview; frames nobody listens to are dropped.
      const previews = new JpegSplitter((j) => {
        if (this.listenerCount('preview') === 0) return;
        this.emit('preview', { cameraId: this.opts.cameraId, at: Date.now(), ...j });
      });
      (proc.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
        try {
          previews.push(chunk);
        } catch (e) {
          this.stderrTail += `\n${(e as Error).message}`;
          proc.kill('SIGKILL');
        }
      });
    }
    const splitter = new PpmSplitter((f) => this.onFrame(f));
    proc.stdout!.on('data', (chunk: Buffer) => {
      try {
        splitter.push(chunk);
      } catch (e) {
        this.stderrTail += `\n${(e as Error).message}`;
        proc.kill('SIGKILL');
      }
    });
    proc.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4000);
    });
    proc.on('error', (e) => {
      this.stderrTail += `\n${e.message}`;
    });
    proc.on('close', (code) => this.onExit(code));
    this.armStallTimer();
    log('debug', 'camera_connect', { camera: this.opts.cameraId, url: redactUrl(this.opts.url) });
  }

  private armStallTimer(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      this.stderrTail += '\nno frame received: timed out';
      this.proc?.kill('SIGKILL');
    }, this.opts.stallMs);
    this.stallTimer.unref();
  }

  private onFrame(f: RawFrame): void {
    const at = Date.now();
    this.status.framesDecoded++;
    this.framesThisRun++;
    this.status.lastFrameAt = new Date(at).toISOString();
    this.frameTimes.push(at);
    if (this.frameTimes.length > 50) this.frameTimes.shift();
    this.backoff = this.opts.backoffMs.initial;
    this.armStallTimer();
    const hw = this.hardware;
    if (hw && this.framesThisRun === 1) {
      // `auto` (and some drivers) fall back to software inside ffmpeg and go on: say so.
      const failed = hwaccelFailure(hw, this.stderrTail);
      if (failed) {
        this.status.decoder = 'software';
        this.status.decoderNote = failed;
        log('warn', 'hwaccel_fallback', { camera: this.opts.cameraId, hwaccel: hw, reason: failed });
      }
    }
    if (this.status.state !== 'online') this.setState('online', null);
    if (this.opts.replay) {
      const frame = {
        ...f,
        cameraId: this.opts.cameraId,
        at: this.opts.replay.startAt + Math.round((this.replayIndex++ * 1000) / this.opts.analysisFps),
      };
      if (!this.busy) return this.handOver(frame);
      this.replayQueue.push(frame);
      // Back-pressure: the decoder blocks on its pipe until the analysis catches up.
      if (this.replayQueue.length >= 2) this.proc?.stdout?.pause();
      return;
    }
    const frame = { ...f, cameraId: this.opts.cameraId, at };
    if (this.busy) {
      if (this.waiting) this.status.framesDropped++;
      this.waiting = frame;
      return;
    }
    this.handOver(frame);
  }

  private handOver(frame: FrameEvent): void {
    this.busy = this.listenerCount('frame') > 0;
    this.emit('frame', frame);
  }

  private fps(): number {
    const t = this.frameTimes;
    if (t.length < 2 || Date.now() - t[t.length - 1]! > 5000) return 0;
    return ((t.length - 1) * 1000) / (t[t.length - 1]! - t[0]!);
  }

  private onExit(code: number | null): void {
    clearTimeout(this.stallTimer);
    this.proc = undefined;
    const hw = this.hardware;
    const hwFailed =
      hw && !this.stopped && this.framesThisRun === 0 ? hwaccelFailure(hw, this.stderrTail) : null;
    if (hwFailed) {
      // The hardware decoder could not start: decode in software at once, and say why.
      this.status.decoder = 'software';
      this.status.decoderNote = hwFailed;
      log('warn', 'hwaccel_fallback', { camera: this.opts.cameraId, hwaccel: hw, reason: hwFailed });
      this.emit('status', this.current);
      this.spawn();
      return;
    }
    if (this.opts.replay && !this.stopped) {
      // A replayed file ends once: the frames still queued are analysed, then the camera is offline.
      this.replayEnded = true;
      if (!this.busy) this.setState('offline', 'the stream ended');
      return;
    }
    this.busy = false;
    this.waiting = undefined;
    if (this.stopped) {
      this.setState('offline', 'stopped');
      return;
    }
    const reason = code === 0 && !this.opts.loop ? 'the stream ended' : reasonFromFfmpeg(this.stderrTail);
    const permanent = /does not exist|refused the user name/.test(reason);
    this.setState(permanent ? 'error' : 'offline', reason);
    this.status.reconnects++;
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.opts.backoffMs.max);
    this.retryTimer = setTimeout(() => this.spawn(), wait);
  }
}
