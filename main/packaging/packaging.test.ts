import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import { ICON_SVG, LINUX_SIZES, renderIcons } from './icons.js';

type Config = Record<string, unknown> & { linux?: Record<string, unknown> };
const require = createRequire(import.meta.url);
// electron-builder's own loader and validator (its ajv against app-builder-lib/scheme.json): what
// `npm run dist` would run first, usable without the Electron download.
const builder = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(dir: string, file: string | null, extra: Config | null): Promise<Config>;
  validateConfiguration(config: Config, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
const root = packageRoot();

const validate = (c: Config) => builder.validateConfiguration(c, new DebugLogger(false));

describe('electron-builder.yml', () => {
  it("passes electron-builder's own configuration schema", async () => {
    const config = await builder.getConfig(root, 'electron-builder.yml', null);
    await expect(validate(config)).resolves.toBeUndefined();
    expect(config.appId).toBe('org.vigil.console');
  });

  it('a wrong or misplaced key fails the check', async () => {
    const config = await builder.getConfig(root, 'electron-builder.yml', null);
    await expect(validate({ ...config, asarUnpak: ['x'] })).rejects.toThrow(/Invalid configuration object/);
    await expect(validate({ ...config, linux: { ...config.linux, tagret: 'deb' } })).rejects.toThrow(
      /Invalid configuration object/,
    );
  });

  it('names only files that exist once the icons are rendered, and no install script', async () => {
    const config = await builder.getConfig(root, 'electron-builder.yml', null);
    await renderIcons();
    const mac = config.mac as { entitlements: string; icon: string };
    for (const p of [
      config.icon as string,
      (config.linux as { icon: string }).icon,
      mac.icon,
      mac.entitlements,
    ])
      expect(existsSync(join(root, p))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    // Native modules are rebuilt for Electron on request (npm run app-deps), never on every install.
    expect(pkg.scripts.postinstall).toBeUndefined();
    expect(pkg.scripts['app-deps']).toBe('electron-builder install-app-deps');
    expect(pkg.scripts.dist).toMatch(/npm run icons && electron-builder/);
  });
});

describe('icons', () => {
  it('are all rendered from the one SVG at their sizes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-icons-'));
    mkdirSync(join(dir, 'assets'));
    copyFileSync(join(root, ICON_SVG), join(dir, ICON_SVG));
    const files = await renderIcons(dir);
    expect(files).toHaveLength(LINUX_SIZES.length + 1);
    const big = await sharp(join(dir, 'dist', 'icons', 'icon.png')).metadata();
    expect([big.width, big.height, big.format]).toEqual([1024, 1024, 'png']);
    for (const s of LINUX_SIZES) {
      const m = await sharp(join(dir, 'dist', 'icons', 'png', `${s}x${s}.png`)).metadata();
      expect([m.width, m.height]).toEqual([s, s]);
    }
  });
});
