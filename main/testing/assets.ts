import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'vitest';
import { packageRoot } from '../paths.js';

/** ../shared/assets beside the checkout, or VIGIL_ASSETS_DIR. */
export const ASSETS = process.env.VIGIL_ASSETS_DIR ?? resolve(packageRoot(), '..', 'shared', 'assets');
export const HAVE_ASSETS = existsSync(join(ASSETS, 'README.md'));

export const asset = (...parts: string[]): string => join(ASSETS, ...parts);
export const MODELS_DIR = asset('models');

/**
 * describe() for suites that need the shared test assets: skipped on a developer machine
 * without them, but failing under CI=true, where a missing asset must never pass silently.
 */
export function describeWithAssets(name: string, fn: () => void): void {
  if (HAVE_ASSETS) {
    describe(name, fn);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('has the shared test assets', () => {
        throw new Error(
          `Test assets missing at ${ASSETS}: CI must run with ../shared/assets beside the checkout.`,
        );
      });
    });
  } else {
    describe.skip(`${name} (no shared assets at ${ASSETS})`, fn);
  }
}
