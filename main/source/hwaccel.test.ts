import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { asset, describeWithAssets } from '../testing/assets.js';
import { CameraSource, type CameraStatus } from './camera-source.js';
import { findFfmpeg } from './ffmpeg.js';
import { hwaccelArgs, hwaccelFailure } from './hwaccel.js';

describe('hardware decoding options', () => {
  it('passes the decoder and device to ffmpeg, nothing when off', () => {
    expect(hwaccelArgs('off')).toEqual([]);
    expect(hwaccelArgs(null)).toEqual([]);
    expect(hwaccelArgs('vaapi', '/dev/dri/renderD128')).toEqual([
      '-hwaccel',
      'vaapi',
      '-hwaccel_device',
      '/dev/dri/renderD128',
    ]);
  });

  it("reads ffmpeg's hardware failures as a sentence, and leaves other failures alone", () => {
    const cuda = hwaccelFailure(
      'cuda',
      '[AVHWDeviceContext @ 0x55] Cannot load libcuda.so.1\nDevice creation failed: -1.\n',
    );
    expect(cuda).toBe('hardware decoding (cuda) failed: Cannot load libcuda.so.1; decoding in software');
    expect(hwaccelFailure('vaapi', 'rtsp://cam: Connection refused')).toBeNull();
  });
});

describeWithAssets('hardware decoding that fails', () => {
  it('falls back to software decoding, and the camera status says why', async () => {
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) throw new Error('ffmpeg is required (bash .ci/setup installs it)');
    const cam = new CameraSource({
      cameraId: 'hw',
      url: pathToFileURL(asset('videos', 'short_hamilton_clip.mp4')).href,
      ffmpegPath: ffmpeg.path,
      analysisSize: 320,
      // A VAAPI device that does not exist: ffmpeg cannot create the hardware decoder.
      hwaccel: 'vaapi',
      hwaccelDevice: '/nonexistent/renderD128',
      backoffMs: { initial: 60_000, max: 60_000 },
    });
    const statuses: CameraStatus[] = [];
    cam.on('status', (s) => statuses.push(s));
    const frame = new Promise<void>((resolve) =>
      cam.on('frame', () => {
        cam.release();
        resolve();
      }),
    );
    cam.start();
    await Promise.race([
      frame,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no frame within 20 s')), 20_000)),
    ]);
    await cam.stop();
    const s = cam.current;
    expect(s.decoder).toBe('software');
    expect(s.decoderNote).toMatch(/^hardware decoding \(vaapi\) failed: .+; decoding in software$/);
    expect(s.decoderNote).toMatch(/VA display|Device creation failed/);
    // The fallback is immediate: not an outage, no reconnect with backoff.
    expect(s.reconnects).toBe(0);
    expect(statuses.some((x) => x.decoderNote === s.decoderNote)).toBe(true);
  }, 30_000);
});
