import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { packageRoot } from '../paths.js';
import { findFfmpeg } from '../source/ffmpeg.js';
import { browserOpener } from './start-open.js';

const START = join(packageRoot(), 'dist', 'main', 'shell', 'start.js');

type Child = ChildProcessByStdio<null, Readable, Readable>;
const children: Child[] = [];

/** `npm start` as a newcomer runs it (node dist/main/shell/start.js), on a fresh data folder. */
function start(args: string[], dataDir: string): { child: Child; url: Promise<string>; out: () => string } {
  const child = spawn(process.execPath, [START, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VIGIL_DATA_DIR: dataDir, VIGIL_NO_BROWSER: '1' },
  });
  children.push(child);
  let out = '';
  let err = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += String(d);
      const m = /listening on (https?:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr.on('data', (d: Buffer) => (err += String(d)));
    child.on('exit', (code) => reject(new Error(`npm start exited ${code}: ${out}\n${err}`)));
  });
  return { child, url, out: () => out };
}

function stopped(child: Child): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

afterEach(async () => {
  await Promise.all(children.splice(0).map(stopped));
});

beforeAll(() => {
  if (!existsSync(START)) throw new Error('Build first (npm run build): npm start runs from dist/.');
});

describe('npm start without Electron', () => {
  it('says so in one sentence, serves the console on 127.0.0.1 within 30 s', async () => {
    const t0 = Date.now();
    const { url, out } = start([], mkdtempSync(join(tmpdir(), 'vigil-start-')));
    const at = await url;
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(at).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out().split('\n')[0]).toMatch(/^Electron is not installed on this machine, .*\.$/);
    const page = await fetch(at);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<div id="root"|<script/);
  }, 60_000);

  it('opens the browser only where a display can show it', () => {
    expect(browserOpener('linux', {})).toBeNull();
    expect(browserOpener('linux', { DISPLAY: ':0' })).toEqual(['xdg-open', []]);
    expect(browserOpener('linux', { DISPLAY: ':0', VIGIL_NO_BROWSER: '1' })).toBeNull();
    expect(browserOpener('darwin', {})?.[0]).toBe('open');
    expect(browserOpener('win32', {})?.[1]).toContain('start');
  });
});

// Under CI a missing ffmpeg fails the test (npm start -- --demo refuses with its sentence).
describe.skipIf(!findFfmpeg() && process.env.CI !== 'true')('npm start -- --demo', () => {
  it('shows a recognised member and a stranger (with its alert) within 60 s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-demo-'));
    const { url } = start(['--demo'], dir);
    await url;
    const info = JSON.parse(readFileSync(join(dir, 'serve.json'), 'utf8')) as { port: number; token: string };
    const ws = new WebSocket(`ws://127.0.0.1:${info.port}/ws`, {
      headers: { authorization: `Bearer ${info.token}` },
    });
    const seen = new Set<string>();
    const t0 = Date.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only saw ${[...seen].join(', ')} in 60 s`)), 60_000);
      ws.on('error', reject);
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as {
          kind: string;
          event?: { type: string; kind?: string; name?: string; alert_type?: string };
        };
        const e = msg.event;
        if (msg.kind !== 'event' || !e) return;
        if (e.type === 'recognition' && e.kind === 'known_member' && e.name === 'Demo Member')
          seen.add('member');
        if (e.type === 'recognition' && e.kind === 'new_unknown') seen.add('stranger');
        if (e.type === 'alert' && e.alert_type === 'new_unknown') seen.add('alert');
        if (seen.size === 3) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    ws.close();
    expect(Date.now() - t0).toBeLessThan(60_000);
  }, 120_000);
});
