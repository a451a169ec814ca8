#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { defaultDataDir } from '../config/data-dir.js';
import { describeError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { passphraseFromEnvironment } from '../privacy/keys.js';
import { findFfmpeg } from '../source/ffmpeg.js';
import { electronBinaryPath } from '../packaging/electron-binary.js';
import { openBrowser } from './start-open.js';

/**
 * `npm start`: plain Node. Opens the desktop console through Electron when its binary is
 * installed, passing the arguments on (`npm start -- --kiosk`); otherwise runs the same engine
 * headless through `vigil serve` and opens the console in the default browser.
 */

/** The Electron executable, or null when the package was installed without its binary. */
export const electronBinary = electronBinaryPath;

/** A data folder for the demo beside the real one, so demo people never mix with a site's. */
function demoDataDir(): string {
  return process.env.VIGIL_DATA_DIR ?? `${defaultDataDir()}-demo`;
}

async function headless(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      demo: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      pack: { type: 'string' },
      'passphrase-file': { type: 'string' },
    },
  });
  const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);
  const demo = values.demo === true;
  const dataDir = str(values['data-dir']) ?? (demo ? demoDataDir() : undefined);
  const serveArgs = ['serve'];
  if (dataDir) serveArgs.push('--data-dir', dataDir);
  for (const k of ['port', 'host', 'pack', 'passphrase-file'] as const) {
    const v = str(values[k]);
    if (v !== undefined) serveArgs.push(`--${k}`, v);
  }
  if (demo) {
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) {
      process.stderr.write(
        'vigil: the demo needs ffmpeg: install it (apt-get install ffmpeg) or set VIGIL_FFMPEG.\n',
      );
      return 1;
    }
    try {
      const passphrase = passphraseFromEnvironment(str(values['passphrase-file']));
      // Loaded only for the demo: it brings the models and the store in.
      const { prepareDemo } = await import('../demo/demo-camera.js');
      const setup = await prepareDemo({
        dataDir: dataDir!,
        ffmpeg: ffmpeg.path,
        pack: str(values.pack) ?? 'default',
        ...(passphrase ? { passphrase } : {}),
      });
      process.stdout.write(
        `${setup.created ? 'Made' : 'Using'} the demo camera (a drawn member and a drawn stranger, looped) in ${dataDir}.\n`,
      );
    } catch (e) {
      process.stderr.write(`vigil: ${describeError(e)}\n`);
      return 1;
    }
  }
  const cli = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');
  // Its own process group (POSIX): Ctrl-C reaches this process only, and is passed on once. A
  // second SIGINT during serve's orderly shutdown would end it before open tracks are written.
  const child = spawn(process.execPath, [cli, ...serveArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: process.platform !== 'win32',
  });
  let forwarded = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      if (forwarded) return;
      forwarded = true;
      child.kill(signal);
    });
  // Everything serve prints (the URL, the first-run code) is passed on; the URL is also opened.
  createInterface({ input: child.stdout }).on('line', (line) => {
    process.stdout.write(`${line}\n`);
    const url = /^listening on (https?:\/\/\S+)/.exec(line)?.[1];
    if (url) {
      process.stdout.write(`Open the console at ${url}\n`);
      openBrowser(url);
    }
  });
  return new Promise<number>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 0 : 1))),
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  // The demo runs headless even where Electron is installed: its folder is device-keyed, which the
  // desktop app (master key in the OS key store) does not open.
  const electron = args.includes('--demo') ? null : electronBinary();
  if (electron) {
    const env = { ...process.env };
    // Set, it would make Electron a plain Node and skip the app.
    delete env.ELECTRON_RUN_AS_NODE;
    const child = spawn(electron, [packageRoot(), ...args], { stdio: 'inherit', env });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
    return;
  }
  process.stdout.write(
    args.includes('--demo')
      ? 'The demo runs the engine headless and serves the console to your browser.\n'
      : 'Electron is not installed on this machine, so the console runs in your browser instead, served by the same engine headless.\n',
  );
  process.exitCode = await headless(args);
}

void main();
