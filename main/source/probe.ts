import { spawn } from 'node:child_process';
import { redactUrl } from '../log.js';
import { reasonFromFfmpeg } from './camera-source.js';

export interface ProbeResult {
  ok: boolean;
  message: string;
  width?: number;
  height?: number;
}

/**
 * Opens a camera URL the way the pipeline would and decodes one frame: the "test connection"
 * button. Bounded by a timeout so an unreachable address answers within seconds.
 */
export function probeCamera(ffmpegPath: string, url: string, timeoutMs = 10_000): Promise<ProbeResult> {
  // No -rtsp_transport: ffmpeg tries UDP and falls back to TCP, so either kind of camera answers.
  const args = ['-hide_banner', '-nostdin'];
  args.push('-i', url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url);
  args.push('-frames:v', '1', '-f', 'null', '-');
  return new Promise((resolve) => {
    const proc = spawn(ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-8000)));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      const size = /Video: [^\n]*?(\d{2,5})x(\d{2,5})/.exec(stderr);
      if (code === 0 && size) {
        const width = Number(size[1]);
        const height = Number(size[2]);
        resolve({ ok: true, message: `Connected: ${width}×${height} video.`, width, height });
      } else if (signal === 'SIGKILL') {
        resolve({ ok: false, message: `No video from ${redactUrl(url)} within ${timeoutMs / 1000} s.` });
      } else {
        resolve({ ok: false, message: `Cannot open the camera: ${reasonFromFfmpeg(stderr)}.` });
      }
    });
    proc.on('error', (e) => resolve({ ok: false, message: `ffmpeg could not start: ${e.message}.` }));
  });
}
