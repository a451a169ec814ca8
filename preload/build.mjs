// Bundles the Electron preload: preload/preload.ts → dist/preload/preload.cjs. A sandboxed
// preload runs as one plain CommonJS script: it may require('electron') and nothing else.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, '..', 'dist', 'preload', 'preload.cjs');

const result = await build({
  entryPoints: [join(here, 'preload.ts')],
  outfile,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  // Electron 41's renderer (Chromium 146, Node 24).
  target: ['chrome120', 'node22'],
  external: ['electron'],
  sourcemap: false,
  metafile: true,
  logLevel: 'warning',
});

const bundled = Object.keys(result.metafile.inputs);
// Only the preload and the contract's plain wire constants may end up in the bundle: anything else
// would be engine code (or zod) in the page.
const allowed = new Set(['preload/preload.ts', 'main/contract/wire.ts']);
const extra = bundled.filter((p) => !allowed.has(p.replace(/^(\.\.\/)+/, '')));
if (extra.length) throw new Error(`preload bundle pulled in other modules: ${extra.join(', ')}`);
const bytes = result.metafile.outputs[Object.keys(result.metafile.outputs)[0]].bytes;
console.log(`preload: dist/preload/preload.cjs ${bytes} bytes`);
