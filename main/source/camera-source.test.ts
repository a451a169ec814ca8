import { afterAll, beforeAll, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { asset, describeWithAssets } from '../testing/assets.js';
import { LoopbackRtsp } from '../testing/rtsp.js';
import { CameraSource, reasonFromFfmpeg, type CameraState, type FrameEvent } from './camera-source.js';
import { findFfmpeg } from './ffmpeg.js';

const CLIP = asset('videos', 'short_hamilton_clip.mp4');

function waitFor<T>(fn: () => T | undefined, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const v = fn();
      if (v !== undefined) return resolve(v);
      if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

describeWithAssets('camera sources through ffmpeg', () => {
  const ffmpeg = findFfmpeg();
  let rtsp: LoopbackRtsp;
  beforeAll(async () => {
    if (!ffmpeg) throw new Error('ffmpeg is required (bash .ci/setup installs it)');
    rtsp = await LoopbackRtsp.start(ffmpeg.path);
  });
  afterAll(() => rtsp?.stopAll());

  it('plays a file at the analysis rate and size, dropping frames while the consumer is busy', async () => {
    const cam = new CameraSource({
      cameraId: 'file',
      url: pathToFileURL(CLIP).href,
      ffmpegPath: ffmpeg!.path,
      analysisFps: 5,
      analysisSize: 320,
    });
    const frames: FrameEvent[] = [];
    cam.on('frame', (f) => {
      frames.push(f);
      // A slow consumer: holds each frame for 450 ms, so about every other frame is dropped.
      setTimeout(() => cam.release(), 450);
    });
    cam.start();
    await waitFor(() => (frames.length >= 4 ? true : undefined), 15_000, 'four frames');
    expect(frames[0]).toMatchObject({ width: 320, height: 180, cameraId: 'file' });
    expect(frames[0]!.data.length).toBe(320 * 180 * 3);
    expect(cam.current.state).toBe('online');
    expect(cam.current.framesDropped).toBeGreaterThan(0);
    // Every decoded frame is delivered, dropped (counted) or the one waiting for the consumer.
    const unaccounted = cam.current.framesDecoded - frames.length - cam.current.framesDropped;
    expect(unaccounted === 0 || unaccounted === 1).toBe(true);
    await cam.stop();
    expect(cam.current).toMatchObject({ state: 'offline', reason: 'stopped' });
  });

  it('replays a file for a benchmark: every frame, scene-stamped, with back-pressure, ending once', async () => {
    const cam = new CameraSource({
      cameraId: 'replay',
      url: pathToFileURL(CLIP).href,
      ffmpegPath: ffmpeg!.path,
      analysisFps: 5,
      analysisSize: 320,
      replay: { startAt: 1_000_000 },
    });
    const frames: FrameEvent[] = [];
    const states: string[] = [];
    cam.on('status', (st) => states.push(`${st.state}:${st.reason ?? ''}`));
    // A consumer slower than the file's own rate would drop frames live; a replay waits for it.
    cam.on('frame', (f) => {
      frames.push(f);
      setTimeout(() => cam.release(), 30);
    });
    cam.start();
    await waitFor(() => (states.includes('offline:the stream ended') ? true : undefined), 30_000, 'the end');
    await cam.stop();
    // The 10 s clip at 5 fps: every frame of it, stamped 200 ms apart from the scene start.
    expect(frames.length).toBeGreaterThanOrEqual(49);
    expect(frames.length).toBeLessThanOrEqual(51);
    expect(frames.map((f) => f.at)).toEqual(frames.map((_, i) => 1_000_000 + i * 200));
    expect(cam.current.framesDropped).toBe(0);
    expect(states.filter((s) => s === 'offline:the stream ended')).toHaveLength(1);
    expect(states.at(-1)).toBe('offline:stopped');
  }, 60_000);

  it('reports a missing file and an unreachable camera as a status with a reason, and keeps retrying', async () => {
    const missing = new CameraSource({
      cameraId: 'gone',
      url: 'file:///no/such/clip.mp4',
      ffmpegPath: ffmpeg!.path,
      backoffMs: { initial: 100, max: 200 },
    });
    missing.start();
    await waitFor(() => (missing.current.state === 'error' ? true : undefined), 10_000, 'error state');
    expect(missing.current.reason).toBe('the video file does not exist');
    await missing.stop();

    const refused = new CameraSource({
      cameraId: 'dead',
      url: 'rtsp://127.0.0.1:9/nothing',
      ffmpegPath: ffmpeg!.path,
      backoffMs: { initial: 100, max: 200 },
    });
    refused.start();
    await waitFor(
      () => (refused.current.reconnects >= 2 ? true : undefined),
      15_000,
      'two reconnect attempts',
    );
    expect(refused.current.state).toBe('offline');
    expect(refused.current.reason).toMatch(/refused the connection|cannot be reached/);
    await refused.stop();
  });

  it('follows a real RTSP stream, goes offline when it dies and comes back by itself', async () => {
    rtsp.publish('cam1', CLIP);
    const cam = new CameraSource({
      cameraId: 'cam1',
      url: rtsp.url('cam1'),
      ffmpegPath: ffmpeg!.path,
      rtspTransport: 'udp',
      stallMs: 3000,
      backoffMs: { initial: 300, max: 1000 },
    });
    const states: CameraState[] = [];
    cam.on('status', (s) => states.push(s.state));
    cam.on('frame', () => cam.release());
    cam.start();
    await waitFor(() => (cam.current.state === 'online' ? true : undefined), 20_000, 'online');
    const before = cam.current.framesDecoded;
    rtsp.unpublish('cam1');
    await waitFor(() => (cam.current.state === 'offline' ? true : undefined), 15_000, 'offline');
    rtsp.publish('cam1', CLIP);
    await waitFor(
      () => (cam.current.state === 'online' && cam.current.framesDecoded > before + 3 ? true : undefined),
      30_000,
      'back online',
    );
    expect(cam.current.reconnects).toBeGreaterThanOrEqual(1);
    expect(states).toEqual(expect.arrayContaining(['connecting', 'online', 'offline']));
    await cam.stop();
  });
});

it('turns ffmpeg errors into sentences without echoing the URL', () => {
  expect(reasonFromFfmpeg('[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized')).toBe(
    'the camera refused the user name or password',
  );
  expect(reasonFromFfmpeg('Connection to tcp://10.0.0.9:554 failed: Connection refused')).toMatch(
    /refused the connection/,
  );
  expect(reasonFromFfmpeg('rtsp://admin:pw@x: Invalid data found when processing input')).not.toMatch(
    /admin|pw/,
  );
});
