import { deflateSync } from 'node:zlib';
import type { AlertEventView, CameraState } from '../contract/contract.js';

/**
 * What the tray, the power-save blocker and desktop notifications show, as plain functions of
 * the runtime's state (no Electron here).
 */

export type StatusLevel = 'idle' | 'ok' | 'warn' | 'alert';

export interface StatusSummary {
  level: StatusLevel;
  /** Cameras are being watched: the computer must not go to sleep. */
  monitoring: boolean;
  online: number;
  total: number;
  openAlerts: number;
  /** One line for the tray tooltip and its first menu item. */
  text: string;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * `note` says why something is missing (no ffmpeg, cameras run elsewhere, crops not kept).
 * Red while an urgent (high or critical) alert is open, amber while a camera is down or any
 * alert is open, green while every camera streams, grey with no cameras or no camera engine.
 */
export function summarize(
  cameras: readonly { state: CameraState }[],
  openAlerts: number,
  urgentOpen: boolean,
  note: string | null = null,
): StatusSummary {
  const total = cameras.length;
  const online = cameras.filter((c) => c.state === 'online').length;
  const down = cameras.filter((c) => c.state === 'offline' || c.state === 'error').length;
  const monitoring = cameras.some((c) => c.state === 'online' || c.state === 'connecting');
  let level: StatusLevel = total === 0 ? 'idle' : 'ok';
  if (down > 0 || openAlerts > 0) level = 'warn';
  if (urgentOpen) level = 'alert';
  const cams = total === 0 ? 'no cameras running' : `${online} of ${plural(total, 'camera')} online`;
  const alerts = openAlerts === 0 ? 'no open alerts' : plural(openAlerts, 'open alert');
  const text = `Vigil: ${cams}, ${alerts}${note ? ` (${note})` : ''}`;
  return { level, monitoring, online, total, openAlerts, text };
}

export interface DesktopNotification {
  title: string;
  body: string;
  urgency: 'normal' | 'critical';
}

/**
 * A desktop notification for a critical or high alert; none for the others. The alert's own
 * sentence names cameras and people, so it is shown only while someone who may see alerts is
 * signed in; otherwise the notification only says that an alert is waiting.
 */
export function notificationFor(alert: AlertEventView, reveal: boolean): DesktopNotification | null {
  if (alert.priority !== 'critical' && alert.priority !== 'high') return null;
  const critical = alert.priority === 'critical';
  return {
    title: critical ? 'Vigil: critical alert' : 'Vigil: alert',
    body: reveal ? alert.message : 'Open Vigil to see it.',
    urgency: critical ? 'critical' : 'normal',
  };
}

const COLOURS: Record<StatusLevel, [number, number, number]> = {
  idle: [0x75, 0x75, 0x75],
  ok: [0x2e, 0x9d, 0x4f],
  warn: [0xf2, 0xa9, 0x00],
  alert: [0xd3, 0x2f, 0x2f],
};

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * The tray icon: a disc in the status colour with a dark rim, as PNG bytes (drawn here, so the
 * package carries no image files for it). Edges are anti-aliased by pixel coverage.
 */
export function trayIconPng(level: StatusLevel, size = 32): Buffer {
  const [r, g, b] = COLOURS[level];
  const centre = size / 2;
  const outer = size / 2 - 1;
  const rim = Math.max(1, size / 16);
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    const row = y * (size * 4 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x + 0.5 - centre, y + 0.5 - centre);
      const alpha = Math.min(1, Math.max(0, outer - d + 0.5));
      const inRim = d > outer - rim;
      const shade = inRim ? 0.55 : 1;
      const o = row + 1 + x * 4;
      raw[o] = Math.round(r * shade);
      raw[o + 1] = Math.round(g * shade);
      raw[o + 2] = Math.round(b * shade);
      raw[o + 3] = Math.round(alpha * 255);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
