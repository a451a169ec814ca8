import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraSource, type CameraStatus } from './camera-source.js';
import { findFfmpeg } from './ffmpeg.js';
import { setLogSink } from '../log.js';

// Generated inputs only (ffmpeg's test pattern, text, truncations): no shared assets needed.
const ffmpeg = findFfmpeg();
const dir = mkdtempSync(join(tmpdir(), 'vigil-hostile-src-'));
let server: Server;
let base = '';

function waitFor<T>(fn: () => T | undefined, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = (): void => {
      const v = fn();
      if (v !== undefined) return resolve(v);
      if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

/** ffmpeg processes (zombies included) still children of this test process. */
function ffmpegChildren(): string[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,stat=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  } catch {
    // ps exits 1 when this process has no children at all.
  }
  return out.split('\n').filter((l) => /ffmpeg/.test(l));
}

/** Runs a source until `until` holds on its status, stops it, and checks no decoder is left behind. */
async function runUntil(
  url: string,
  until: (s: CameraStatus) => boolean,
  what: string,
  opts: { ffmpegPath?: string; stallMs?: number; preview?: boolean } = {},
): Promise<{ status: CameraStatus; frames: number; states: string[] }> {
  const cam = new CameraSource({
    cameraId: 'hostile',
    url,
    ffmpegPath: opts.ffmpegPath ?? ffmpeg!.path,
    analysisSize: 160,
    stallMs: opts.stallMs ?? 10_000,
    backoffMs: { initial: 100, max: 300 },
    preview: opts.preview ? { fps: 2, size: 160 } : null,
  });
  let frames = 0;
  const states: string[] = [];
  cam.on('status', (s) => states.push(`${s.state}:${s.reason ?? ''}`));
  cam.on('frame', () => {
    frames++;
    cam.release();
  });
  expect(() => cam.start()).not.toThrow();
  const status = await waitFor(() => (until(cam.current) ? cam.current : undefined), 40_000, what);
  await cam.stop();
  expect(cam.pid).toBeUndefined();
  expect(ffmpegChildren()).toEqual([]);
  return { status, frames, states };
}

describe('hostile camera sources', () => {
  beforeAll(async () => {
    if (!ffmpeg) throw new Error('ffmpeg is required (bash .ci/setup installs it)');
    const clip = join(dir, 'clip.mp4');
    execFileSync(ffmpeg.path, [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10'],
      ...['-t', '2', '-pix_fmt', 'yuv420p', clip],
    ]);
    execFileSync(ffmpeg.path, [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1'],
      join(dir, 'audio-only.mp4'),
    ]);
    const bytes = readFileSync(clip);
    writeFileSync(join(dir, 'text.mp4'), 'this is not a video\n');
    writeFileSync(join(dir, 'empty.mp4'), '');
    // moov at the end (ffmpeg's default for mp4): the first half has no index at all.
    writeFileSync(join(dir, 'truncated.mp4'), bytes.subarray(0, bytes.length >> 1));
    mkdirSync(join(dir, 'folder.mp4'));
    copyFileSync(clip, join(dir, 'a;b $(touch pwned) `touch pwned2` |c.mp4'));
    server = createServer((req, res) => {
      if (req.url === '/html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>login</body></html>');
      }
      // Anything else: accepted and never answered.
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server?.closeAllConnections();
    server?.close();
  });

  it('says a text file, an empty file and a truncated mp4 are not video, and keeps retrying', async () => {
    for (const name of ['text.mp4', 'empty.mp4', 'truncated.mp4']) {
      const { status, frames } = await runUntil(
        pathToFileURL(join(dir, name)).href,
        (s) => s.reconnects >= 2,
        `${name} retried`,
      );
      expect(frames, name).toBe(0);
      expect(status.state, name).toBe('offline');
      expect(status.reason, name).toBe('the stream is not a video ffmpeg can decode');
    }
  });

  it('says an audio-only file has no video, with and without the preview output', async () => {
    for (const preview of [false, true]) {
      const { status } = await runUntil(
        pathToFileURL(join(dir, 'audio-only.mp4')).href,
        (s) => s.reconnects >= 1,
        'audio-only refused',
        { preview },
      );
      expect(status.reason, `preview ${preview}`).toBe('the file or stream has no video');
    }
  });

  it('says a folder is not a video', async () => {
    const { status } = await runUntil(
      pathToFileURL(join(dir, 'folder.mp4')).href,
      (s) => s.reconnects >= 1,
      'folder refused',
    );
    expect(status.reason).toBe('the video file is a folder, not a video');
  });

  it('plays a file whose name is full of shell metacharacters, and no shell ever sees it', async () => {
    const { frames } = await runUntil(
      pathToFileURL(join(dir, 'a;b $(touch pwned) `touch pwned2` |c.mp4')).href,
      (s) => s.framesDecoded >= 3,
      'three frames',
    );
    expect(frames).toBeGreaterThanOrEqual(3);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(existsSync('pwned')).toBe(false);
    expect(existsSync('pwned2')).toBe(false);
  });

  it('says an HTTP page is not video and an HTTP server that never answers cannot be reached', async () => {
    const html = await runUntil(`${base}/html`, (s) => s.reconnects >= 1, 'html refused');
    expect(html.status.reason).toBe('the stream is not a video ffmpeg can decode');
    const hang = await runUntil(`${base}/hang`, (s) => s.reconnects >= 1, 'hang given up', { stallMs: 3000 });
    expect(hang.status.state).toBe('offline');
    expect(hang.status.reason).toBe('the camera cannot be reached on the network');
  });

  it('says when ffmpeg itself cannot be started', async () => {
    const { status } = await runUntil(
      pathToFileURL(join(dir, 'clip.mp4')).href,
      (s) => s.reconnects >= 1,
      'missing ffmpeg reported',
      { ffmpegPath: join(dir, 'no-such-ffmpeg') },
    );
    expect(status.reason).toBe('ffmpeg cannot be started (not found or not executable)');
  });

  it('puts an address no decoder can be given in the error state instead of throwing', async () => {
    for (const url of ['file://otherhost/tmp/clip.mp4', 'file:///tmp/a%2Fb.mp4']) {
      const { status } = await runUntil(url, (s) => s.state === 'error', `${url} in error`);
      expect(status.reason, url).toBe('the camera address cannot be opened (not a valid URL or file path)');
    }
  });

  it('names a configured ffmpeg that does not run, and finds another', () => {
    const lines: string[] = [];
    setLogSink({ level: 'warn', write: (l) => lines.push(l) });
    try {
      const found = findFfmpeg(join(dir, 'no-such-ffmpeg'));
      expect(found?.origin).not.toBe('configured');
    } finally {
      setLogSink(null);
    }
    expect(lines.map((l) => JSON.parse(l) as unknown)).toContainEqual(
      expect.objectContaining({ event: 'ffmpeg_configured_unusable', path: join(dir, 'no-such-ffmpeg') }),
    );
  });
});
