import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { restoreBackup } from '../backup/archive.js';
import { Engine } from '../engine/engine.js';
import { metricsToken, metricsTokenPath } from '../serve/metrics-endpoint.js';
import { readKeyFile } from '../privacy/key-file.js';
import { VigilError } from '../errors.js';
import { UsageError } from './output.js';
import type { GlobalOptions } from './vigil.js';
import { withEngine } from './with-engine.js';

/** `vigil backup --out FILE`: works beside a running `vigil serve` (its cameras keep running). */
export async function runBackup(g: GlobalOptions, out: string | undefined): Promise<number> {
  if (!out) throw new UsageError('backup needs --out FILE');
  const file = resolve(out);
  const r = await withEngine(g, (engine) => engine.backup(file));
  const keyNote =
    readKeyFile(g.dataDir)?.source === 'device'
      ? ` It is encrypted with this folder's device key: keep a copy of ${resolve(g.dataDir, 'device.key')} apart from it (restore needs --device-key).`
      : '';
  g.out.result(
    r,
    () => `Backed up ${g.dataDir} to ${r.file} (${r.bytes} bytes: ${r.files.join(', ')}).${keyNote}`,
  );
  return 0;
}

/** `vigil restore FILE --data-dir D`: into an empty folder; then the store and audit chain are checked. */
export async function runRestore(
  g: GlobalOptions,
  args: string[],
  opts: { dataDirGiven: boolean; deviceKey?: string },
): Promise<number> {
  const [file] = args;
  if (!file) throw new UsageError('restore needs the backup file: vigil restore FILE --data-dir DIR');
  if (!opts.dataDirGiven) throw new UsageError('restore needs --data-dir DIR (a new or empty folder)');
  const passphrase = g.passphrase();
  const restored = await restoreBackup(resolve(file), g.dataDir, {
    ...(passphrase !== undefined ? { passphrase } : {}),
    ...(opts.deviceKey ? { deviceKeyFile: resolve(opts.deviceKey) } : {}),
  });
  const engine = Engine.open({ dataDir: g.dataDir, pack: g.pack, ...(passphrase ? { passphrase } : {}) });
  try {
    const integrity = engine.store.health.integrity();
    const audit = engine.store.audit.verify();
    const summary = {
      ...restored,
      members: engine.store.members.list().length,
      unknowns: engine.store.unknowns.list().length,
      integrity,
      audit,
    };
    if (integrity !== 'ok')
      throw new VigilError('STORE_CORRUPT', `The restored database fails its integrity check: ${integrity}.`);
    if (!audit.ok)
      throw new VigilError(
        'STORE_CORRUPT',
        `The restored audit log is broken at row ${audit.firstBad}: the data was altered before the backup was made.`,
      );
    g.out.result(
      summary,
      () =>
        `Restored the backup of ${restored.created_at} into ${g.dataDir}: ${summary.members} members, ${summary.unknowns} unknown persons; audit chain intact: ${audit.rows} rows.`,
    );
    return 0;
  } finally {
    engine.close();
  }
}

/** `vigil metrics token [--rotate]`: what a Prometheus scrape job sends as its bearer token. */
export async function runMetricsToken(g: GlobalOptions, args: string[], rotate: boolean): Promise<number> {
  if (args[0] !== 'token') throw new UsageError('metrics takes one subcommand: token [--rotate]');
  mkdirSync(g.dataDir, { recursive: true, mode: 0o700 });
  const token = metricsToken(g.dataDir, rotate);
  g.out.result({ token, file: metricsTokenPath(g.dataDir) }, () =>
    rotate ? `${token}\n(rotated: the old token is refused from now on)` : token,
  );
  return 0;
}
