#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { electronBinaryPath } from './electron-binary.js';

/**
 * `npm run test:electron`: the desktop app's smoke test (e2e/app.electron.ts) through Playwright's
 * Electron support, under Xvfb where there is no display. Without Electron's binary (installed with
 * ELECTRON_SKIP_BINARY_DOWNLOAD=1, as on a machine that cannot reach its download host) there is
 * nothing to launch: it says so and succeeds.
 */
function main(): number {
  if (!electronBinaryPath()) {
    process.stdout.write(
      "Skipped: Electron's binary is not installed here (npm ci ran with ELECTRON_SKIP_BINARY_DOWNLOAD=1), so the desktop app cannot be launched; install it with ELECTRON_SKIP_BINARY_DOWNLOAD=0 npm ci to run this test.\n",
    );
    return 0;
  }
  const root = packageRoot();
  const vitest = [
    join(root, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    '--config',
    'e2e/electron.vitest.config.ts',
  ];
  let cmd = process.execPath;
  let args = vitest;
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    const xvfb = spawnSync('xvfb-run', ['--help'], { stdio: 'ignore' });
    if (xvfb.error) {
      process.stderr.write(
        'The desktop app needs a display: install Xvfb (apt-get install xvfb) or run this on a desktop.\n',
      );
      return 1;
    }
    cmd = 'xvfb-run';
    args = ['-a', '-s', '-screen 0 1366x768x24', process.execPath, ...vitest];
  }
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
  return r.status ?? 1;
}

process.exitCode = main();
