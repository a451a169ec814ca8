import { fetchPack, type Progress } from '../catalogue/fetch.js';
import { loadManifest } from '../catalogue/manifest.js';
import { UsageError } from './output.js';
import type { GlobalOptions } from './vigil.js';

function progressBar(p: Progress): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  if (!p.total) return `${p.file}  ${mb(p.received)} MB`;
  const frac = Math.min(1, p.received / p.total);
  const width = 30;
  const done = Math.round(frac * width);
  return `${p.file}  [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${Math.round(frac * 100)}%  ${mb(p.received)}/${mb(p.total)} MB`;
}

export async function runModels(
  g: GlobalOptions,
  args: string[],
  acceptNonCommercial: boolean,
): Promise<number> {
  const [sub, packArg] = args;
  if (sub === 'list') {
    const m = loadManifest();
    const packs = Object.entries(m.packs).map(([name, p]) => ({ name, ...p }));
    g.out.result(packs, () =>
      packs
        .map(
          (p) =>
            `${p.name.padEnd(12)} ${p.title}\n${' '.repeat(13)}${p.license_note}${p.non_commercial ? ' (NON-COMMERCIAL)' : ''}`,
        )
        .join('\n'),
    );
    return 0;
  }
  if (sub !== 'fetch') throw new UsageError('models takes list or fetch PACK');
  const pack = packArg ?? g.pack;
  const tty = process.stderr.isTTY;
  let lastDraw = 0;
  const models = await fetchPack(pack, {
    dataDir: g.dataDir,
    acceptNonCommercial,
    onProgress: (p) => {
      const now = Date.now();
      if (now - lastDraw < (tty ? 100 : 2000) && p.received !== p.total) return;
      lastDraw = now;
      process.stderr.write(tty ? `\r${progressBar(p)}\x1b[K` : `${progressBar(p)}\n`);
    },
  });
  if (tty) process.stderr.write('\n');
  g.out.result({ pack, models }, () =>
    models
      .map((m) => `${m.status === 'present' ? 'present   ' : 'downloaded'}  ${m.id}  ${m.path}`)
      .join('\n'),
  );
  return 0;
}
