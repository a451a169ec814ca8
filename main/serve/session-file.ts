import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../util/process-alive.js';

/** Where a running `vigil serve` says how to reach it; readable by its owner only. */
export interface ServeInfo {
  pid: number;
  port: number;
  host: string;
  token: string;
  started_at: string;
  /** Served over HTTPS; local tools then pin the certificate by this SHA-256 fingerprint. */
  tls?: boolean;
  fingerprint?: string;
}

export const SERVE_FILE = 'serve.json';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function writeServeInfo(dataDir: string, info: ServeInfo): void {
  writeFileSync(join(dataDir, SERVE_FILE), JSON.stringify(info), { mode: 0o600 });
}

export function removeServeInfo(dataDir: string): void {
  rmSync(join(dataDir, SERVE_FILE), { force: true });
}

/** The running server of this data folder, or undefined when none is running. */
export function readServeInfo(dataDir: string): ServeInfo | undefined {
  const p = join(dataDir, SERVE_FILE);
  if (!existsSync(p)) return undefined;
  try {
    const info = JSON.parse(readFileSync(p, 'utf8')) as ServeInfo;
    return processAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Constant-time token comparison. */
export function tokenMatches(given: string | undefined | null, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
