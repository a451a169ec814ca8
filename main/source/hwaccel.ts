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
