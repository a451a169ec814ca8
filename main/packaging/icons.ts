#!/usr/bin/env node
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { packageRoot } from '../paths.js';

/**
 * Every icon the installers need, rendered from the one SVG in assets/ (sharp renders SVG), so no
 * binary icon is kept in the repository: a 1024 px PNG that electron-builder turns into the .icns
 * (macOS) and .ico (Windows), and the PNG sizes of a Linux icon theme.
 */
export const ICON_SVG = join('assets', 'icon.svg');
export const ICON_DIR = join('dist', 'icons');
export const LINUX_SIZES = [16, 32, 48, 64, 128, 256, 512];

export async function renderIcons(root = packageRoot()): Promise<string[]> {
  const svg = join(root, ICON_SVG);
  const out = join(root, ICON_DIR);
  mkdirSync(join(out, 'png'), { recursive: true });
  const written: string[] = [];
  const render = async (size: number, file: string) => {
    // density scales the SVG's 1024-unit drawing to the target before rasterising: crisp at 16 px.
    await sharp(svg, { density: Math.max(72, Math.ceil((72 * size) / 1024) * 2) })
      .resize(size, size)
      .png()
      .toFile(file);
    written.push(file);
  };
  await render(1024, join(out, 'icon.png'));
  for (const s of LINUX_SIZES) await render(s, join(out, 'png', `${s}x${s}.png`));
  return written;
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  renderIcons().then(
    (files) => process.stdout.write(`icons: ${files.length} files in ${ICON_DIR}\n`),
    (e: unknown) => {
      process.stderr.write(`icons: ${(e as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
