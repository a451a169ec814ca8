import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { findFfmpeg } from '../main/source/ffmpeg.js';
import { LoopbackRtsp } from '../main/testing/rtsp.js';
import { packageRoot } from '../main/paths.js';

export const CHROMIUM = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(packageRoot(), 'e2e', 'screenshots');
const CLI = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');

/** A running `vigil serve` on a fresh data folder, as a guard's workstation would run it. */
export class ServedEngine {
  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private proc: ChildProcess,
    readonly log: () => string,
    /** The one-time code `vigil serve` printed for creating the first administrator. */
    readonly setupCode: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<ServedEngine> {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-e2e-'));
    const { proc, port, log, code } = await ServedEngine.spawn(dataDir, 0, true);
    return new ServedEngine(dataDir, port, proc, log, code ?? '');
  }

  /** After stop(): starts the engine again on the same folder and port, as after an update. */
  async startAgain(): Promise<void> {
    // An administrator exists by then: serve prints no first-run code.
    this.proc = (await ServedEngine.spawn(this.dataDir, this.port, false)).proc;
  }

  private static async spawn(
    dataDir: string,
    port: number,
    expectCode: boolean,
  ): Promise<{ proc: ChildProcess; port: number; log: () => string; code: string | null }> {
    let stderr = '';
    const proc = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--port', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, VIGIL_PASSPHRASE: 'e2e passphrase 1', VIGIL_LOG_LEVEL: 'warn' },
    });
    proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
    const bound = await new Promise<{ port: number; code: string | null }>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        const c = /first-run code: (\S+)/.exec(out);
        if (m && (c || !expectCode)) resolve({ port: Number(m[1]), code: c?.[1] ?? null });
      });
      proc.on('exit', (code) => reject(new Error(`vigil serve exited ${code}: ${stderr}`)));
    });
    return { proc, port: bound.port, code: bound.code, log: () => stderr };
  }

  /** One contract call over HTTP, for set-up and for checking what the UI did. */
  async rpc<T>(method: string, params: unknown, session?: string): Promise<T> {
    const res = await fetch(`${this.url}/api/rpc`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(session ? { authorization: `Bearer ${session}` } : {}),
      },
      body: JSON.stringify({ method, params }),
    });
    const body = (await res.json()) as { ok: boolean; result?: T; error?: { message: string } };
    if (!body.ok) throw new Error(`${method}: ${body.error?.message}`);
    return body.result as T;
  }

  async stop(): Promise<void> {
    // This process, not whichever one `proc` names later: a restarted engine must not get the
    // SIGKILL meant for a stuck one.
    const proc = this.proc;
    if (proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      proc.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  }
}

/** A looped clip served over RTSP on loopback: the test's CCTV camera. */
export async function startCamera(clip: string): Promise<{ rtsp: LoopbackRtsp; url: string }> {
  const ffmpeg = findFfmpeg();
  if (!ffmpeg) throw new Error('ffmpeg is required for the end-to-end tests');
  const rtsp = await LoopbackRtsp.start(ffmpeg.path);
  rtsp.publish('cam1', clip);
  return { rtsp, url: rtsp.url('cam1') };
}

export interface Console {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Messages the page logged as errors; the console must produce none. */
  errors: string[];
}

/** Debian's Chromium driven by Playwright, at the guard-room screen size the issue names. */
export async function openConsole(url: string): Promise<Console> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { browser, context, page, errors };
}

/** Every page at the guard-room size and at the smallest supported one (1024×768). */
export const SIZES = [
  { width: 1366, height: 768 },
  { width: 1024, height: 768 },
] as const;

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}
