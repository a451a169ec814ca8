#!/usr/bin/env node
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

/**
 * `npm start`: plain Node. Opens the desktop console through Electron when its binary is
 * installed, passing the arguments on (`npm start -- --kiosk`); otherwise runs the headless
 * checks as before (doctor, then the CLI's help).
 */

/** The Electron executable, or null when the package was installed without its binary. */
export function electronBinary(): string | null {
  try {
    // The electron package's main export is the binary's path; it throws without path.txt.
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

function main(): void {
  const root = packageRoot();
  const args = process.argv.slice(2);
  const electron = electronBinary();
  if (electron) {
    const env = { ...process.env };
    // Set, it would make Electron a plain Node and skip the app.
    delete env.ELECTRON_RUN_AS_NODE;
    const child = spawn(electron, [root, ...args], { stdio: 'inherit', env });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
    return;
  }
  process.stdout.write(
    'Electron is not installed on this machine, so the desktop console cannot open; ' +
      'here are the headless engine checks instead (`vigil serve` runs the console in a browser).\n',
  );
  const cli = join(root, 'dist', 'main', 'cli', 'vigil.js');
  const doctor = spawnSync(process.execPath, [cli, 'doctor'], { stdio: 'inherit' });
  if (doctor.status !== 0) process.exit(doctor.status ?? 1);
  const help = spawnSync(process.execPath, [cli, '--help'], { stdio: 'inherit' });
  process.exit(help.status ?? 1);
}

main();
