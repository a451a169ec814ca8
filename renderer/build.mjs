// Bundles the console: renderer/src/main.tsx → dist/renderer/assets/app.js, plus index.html.
// One classic script (not an ES module) so the page also loads from file:// in Electron, where
// module scripts are refused; the CSP allows only 'self' scripts, so nothing is inlined.
import { build } from 'esbuild';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const outDir = join(root, 'dist', 'renderer');
const dev = process.argv.includes('--dev');

await mkdir(join(outDir, 'assets'), { recursive: true });
const result = await build({
  entryPoints: [join(here, 'src', 'main.tsx')],
  outfile: join(outDir, 'assets', 'app.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  // Electron 41 and current Chromium; nothing older opens the console.
  target: ['chrome120'],
  jsx: 'automatic',
  minify: !dev,
  sourcemap: true,
  legalComments: 'linked',
  define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
  tsconfig: join(here, 'tsconfig.json'),
  metafile: true,
  logLevel: 'warning',
});
await copyFile(join(here, 'index.html'), join(outDir, 'index.html'));

const js = await stat(join(outDir, 'assets', 'app.js'));
const inputs = Object.keys(result.metafile.inputs).length;
console.log(
  `renderer: dist/renderer/assets/app.js ${(js.size / 1024).toFixed(1)} KiB from ${inputs} modules`,
);
