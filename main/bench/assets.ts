import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../paths.js';

/** The shared third-party test assets beside the checkout (never copied into the repo). */
export function assetsDir(): string {
  const dir = process.env.VIGIL_ASSETS_DIR ?? resolve(packageRoot(), '..', 'shared', 'assets');
  if (!existsSync(join(dir, 'README.md'))) {
    throw new Error(
      `Test assets not found at ${dir}; set VIGIL_ASSETS_DIR or place shared/assets beside the project.`,
    );
  }
  return dir;
}
