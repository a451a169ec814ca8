import { VigilError } from '../errors.js';

/**
 * Report times in the site's time zone: what the guard reads on the console, with the offset in
 * every value (ISO 8601, e.g. 2024-05-03T14:00:00+02:00) so a file read elsewhere stays exact.
 */

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** The engine's own zone unless the console names one; an unknown name is refused. */
export function resolveTimeZone(name?: string): string {
  const zone = name?.trim() || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new VigilError('INVALID_ARGUMENT', `There is no time zone called ${zone.slice(0, 64)}.`);
  }
  return zone;
}

function parts(t: number, zone: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(t)))
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

const pad = (n: number, w = 2) => String(Math.trunc(Math.abs(n))).padStart(w, '0');

/** Minutes east of UTC at instant t in the zone. */
function offsetMinutes(t: number, zone: string): number {
  const p = parts(t, zone);
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return Math.round((asUtc - Math.floor(t / 1000) * 1000) / 60_000);
}

export function offsetText(t: number, zone: string): string {
  const m = offsetMinutes(t, zone);
  return `${m < 0 ? '-' : '+'}${pad(m / 60)}:${pad(m % 60)}`;
}

/** 2024-05-03T12:00:00.000Z → 2024-05-03T14:00:00+02:00 in Europe/Paris. */
export function localIso(iso: string, zone: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const p = parts(t, zone);
  return `${p.year}-${pad(p.month!)}-${pad(p.day!)}T${pad(p.hour!)}:${pad(p.minute!)}:${pad(p.second!)}${offsetText(t, zone)}`;
}

/** The calendar day of an instant in the zone (for file names): 2024-05-03. */
export function localDay(iso: string, zone: string): string {
  return localIso(iso, zone).slice(0, 10);
}

/** Every UTC timestamp cell of a report, in the zone; other cells unchanged. */
export function localiseCell<T>(cell: T, zone: string): T | string {
  return typeof cell === 'string' && ISO_UTC.test(cell) ? localIso(cell, zone) : cell;
}
