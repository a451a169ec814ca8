/** Form input checks done before a call, so the guard sees the problem next to the field. */
import { CAMERA_ID_PATTERN } from '../../../../main/contract/wire.js';

/** A threshold field: empty means "use the model's calibrated value". */
export function parseThreshold(raw: string, what: string): { value: number | null } | { error: string } {
  const s = raw.trim();
  if (!s) return { value: null };
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0 || n > 1) return { error: `${what} must be a number from 0 to 1.` };
  return { value: n };
}

export function parseInteger(
  raw: string,
  what: string,
  min: number,
  max: number,
): { value: number } | { error: string } {
  const s = raw.trim();
  const n = Number(s);
  if (!s || !Number.isInteger(n) || n < min || n > max) {
    return { error: `${what} must be a whole number from ${min} to ${max}.` };
  }
  return { value: n };
}

/** The contract's rule, checked here too so the mistake shows before the round trip. */
export const CAMERA_ID = CAMERA_ID_PATTERN;

export const fmt = (n: number | null | undefined): string => (n === null || n === undefined ? '' : String(n));
