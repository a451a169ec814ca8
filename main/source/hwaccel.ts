import { execFileSync, spawnSync } from 'node:child_process';
import type { Hwaccel } from '../config/schema.js';

/** ffmpeg's input options for a hardware decoder (none when off). */
export function hwaccelArgs(hwaccel: Hwaccel | null | undefined, device?: string | null): string[] {
  if (!hwaccel || hwaccel === 'off') return [];
  return ['-hwaccel', hwaccel, ...(device ? ['-hwaccel_device', device] : [])];
}

/**
 * What ffmpeg said when its hardware decoder could not start (no device, no driver, a codec the
 * device cannot decode), as one sentence for the camera status; null when its errors are about
 * something else (the network, the stream), which software decoding would not fix.
 */
export function hwaccelFailure(hwaccel: Hwaccel, stderr: string): string | null {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^\[[^\]]*\]\s*/, '').trim())
    .filter(Boolean);
  const cause =
    lines.find((l) =>
      /no va display|cannot load lib|could not dynamically load|cannot open the x11/i.test(l),
    ) ??
    lines.find((l) =>
      /device creation failed|no device available|device setup failed|hwaccel initiali[sz]ation returned error|failed setup for format|hardware accelerat/i.test(
        l,
      ),
    );
  if (!cause) return null;
  return `hardware decoding (${hwaccel}) failed: ${cause.replace(/\.$/, '').slice(0, 160)}; decoding in software`;
}

/** Hardware decoders worth probing, in the order `auto` would prefer them on each system. */
const PROBED: Exclude<Hwaccel, 'off' | 'auto'>[] = ['cuda', 'vaapi', 'qsv', 'videotoolbox', 'd3d11va'];

export interface HwaccelProbe {
  hwaccel: Exclude<Hwaccel, 'off' | 'auto'>;
  usable: boolean;
  /** Why not, from ffmpeg (one line). */
  reason: string | null;
}

/**
 * Which hardware decoders this ffmpeg was built with and can open a device for on this machine
 * (`vigil doctor`). Opening the device is what fails on a machine without the hardware or driver.
 */
export function probeHwaccels(ffmpegPath: string): HwaccelProbe[] {
  let listed = '';
  try {
    listed = execFileSync(ffmpegPath, ['-hide_banner', '-hwaccels'], { encoding: 'utf8', timeout: 10_000 });
  } catch {
    return [];
  }
  const names = new Set(listed.split('\n').map((l) => l.trim()));
  return PROBED.filter((h) => names.has(h)).map((hwaccel) => {
    const run = spawnSync(
      ffmpegPath,
      [
        '-hide_banner',
        '-v',
        'error',
        '-init_hw_device',
        hwaccel,
        '-f',
        'lavfi',
        '-i',
        'nullsrc',
        '-frames:v',
        '1',
        '-f',
        'null',
        '-',
      ],
      { encoding: 'utf8', timeout: 10_000 },
    );
    if (run.status === 0) return { hwaccel, usable: true, reason: null };
    const line = (run.stderr ?? '')
      .split('\n')
      .map((l) => l.replace(/^\[[^\]]*\]\s*/, '').trim())
      .find(Boolean);
    return { hwaccel, usable: false, reason: line?.slice(0, 160) ?? 'the device could not be opened' };
  });
}
