import { VigilError } from '../errors.js';
import { locateStore, requirePostgres } from '../store/locator.js';
import { databaseFileState } from '../store/open.js';
import { withPool } from '../store/postgres/connect.js';
import { copyFolderToPostgres } from '../store/postgres/copy-folder.js';
import { listCameraLeases, listNodes } from '../store/postgres/leases.js';
import { migrateStore, requireCurrentSchema } from '../store/postgres/migrate.js';
import { UsageError } from './output.js';
import type { GlobalOptions } from './vigil.js';
import { withEngine } from './with-engine.js';
import { readKeyFile, type KeyFile } from '../privacy/key-file.js';
import { sharedDocumentFrom } from '../privacy/shared-keys.js';

function keyFileOf(dataDir: string): KeyFile {
  const file = readKeyFile(dataDir);
  if (!file) throw new VigilError('DATA_DIR', `The key file of ${dataDir} is missing.`);
  return file;
}

/**
 * The shared PostgreSQL store (several engine nodes, one gallery): `store init`, `store
 * migrate-from`, `nodes list`. Every other command runs on whichever store `--store` names.
 */

/**
 * Commands about this machine's data folder itself (its files, its backup): `--store` or
 * VIGIL_STORE is refused with a sentence rather than ignored. Every other command runs on
 * whichever store is named.
 */
const FOLDER_ONLY = new Set(['backup', 'restore', 'doctor']);

/** Whether `--store` or VIGIL_STORE names the shared store (else the data folder's own). */
export function usesSharedStore(option: string | undefined, dataDir: string): boolean {
  return locateStore(option, dataDir).kind === 'postgres';
}

export function refuseSharedStore(
  command: string,
  _sub: string | undefined,
  option: string | undefined,
  dataDir: string,
): void {
  if (!FOLDER_ONLY.has(command)) return;
  const loc = locateStore(option, dataDir);
  if (loc.kind === 'postgres')
    throw new VigilError(
      'INVALID_ARGUMENT',
      command === 'backup' || command === 'restore'
        ? `"vigil ${command}" works on a data folder; a shared store (${loc.display}) is backed up and restored with PostgreSQL's own tools (pg_dump, pg_restore).`
        : `"vigil ${command}" checks this machine's data folder; leave out --store and VIGIL_STORE.`,
    );
}

export async function runStore(
  g: GlobalOptions,
  args: string[],
  opts: { store: string | undefined; force: boolean },
): Promise<number> {
  const [sub, ...extra] = args;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (sub === 'init') {
    const loc = requirePostgres(opts.store);
    const state = await withPool(loc, (pool) => migrateStore(pool));
    const result = {
      store: loc.display,
      schema_version: state.version,
      previous_version: state.from,
      applied: state.applied,
    };
    g.out.result(result, () =>
      state.from === 0
        ? `shared store ${loc.display} created: schema version ${state.version}`
        : state.applied.length > 0
          ? `shared store ${loc.display} migrated from version ${state.from} to ${state.version}`
          : `shared store ${loc.display} is up to date: schema version ${state.version}`,
    );
    return 0;
  }
  if (sub === 'migrate-from') {
    const loc = requirePostgres(opts.store);
    // Opening a folder creates it: a mistyped --data-dir must not copy an empty store.
    if (databaseFileState(g.dataDir) === 'none')
      throw new VigilError(
        'NOT_FOUND',
        `No Vigil data in ${g.dataDir}: migrate-from copies an existing data folder.`,
      );
    return withEngine(
      g,
      (engine) =>
        withPool(loc, async (pool) => {
          await requireCurrentSchema(pool, loc.display);
          const copy = await copyFolderToPostgres(engine.store, engine.dataDir, pool, {
            force: opts.force,
            display: loc.display,
            keyDocument: sharedDocumentFrom(keyFileOf(engine.dataDir)),
          });
          const result = {
            store: loc.display,
            data_dir: engine.dataDir,
            replaced: copy.replaced,
            tables: copy.tables,
            audit: { ok: copy.audit.ok, rows: copy.audit.rows, anchor: copy.audit.anchor ?? 'none' },
            master_key: engine.keySource,
          };
          g.out.result(result, () => {
            const width = Math.max(...copy.tables.map((t) => t.table.length));
            const lines = copy.tables.map(
              (t) =>
                `  ${t.table.padEnd(width)}  ${String(t.target_rows).padStart(8)} rows  ${t.identical ? 'identical' : 'DIFFERENT'}`,
            );
            return [
              `copied ${engine.dataDir} into ${loc.display}${copy.replaced ? ' (its previous contents replaced)' : ''}:`,
              ...lines,
              `audit chain intact on the shared store: ${copy.audit.rows} rows${copy.audit.anchor === 'ok' ? ', anchor matches' : ''}`,
              // Crops and the audit key stay sealed with this folder's master key: every node must hold it.
              engine.keySource === 'passphrase'
                ? 'every node must open the shared store with the same passphrase (VIGIL_PASSPHRASE or --passphrase-file)'
                : `note: face crops in the shared store stay sealed with this folder's ${engine.keySource === 'device' ? 'device key (device.key)' : 'desktop key'}; a node needs the same key to read them`,
            ].join('\n');
          });
          return 0;
        }),
      { folder: true },
    );
  }
  throw new UsageError(
    'use "vigil store init --store URL" or "vigil store migrate-from --data-dir D --store URL"',
  );
}

export async function runNodes(
  g: GlobalOptions,
  args: string[],
  opts: { store: string | undefined },
): Promise<number> {
  if (args[0] !== 'list' || args.length > 1) throw new UsageError('use "vigil nodes list --store URL"');
  const loc = requirePostgres(opts.store);
  const nodes = await withPool(loc, async (pool) => {
    await requireCurrentSchema(pool, loc.display);
    return listNodes(pool);
  });
  g.out.result(
    nodes.map(({ node, address, fingerprint, cameras, last_heartbeat, state }) => ({
      node,
      address,
      fingerprint,
      cameras,
      last_heartbeat,
      state,
    })),
    () =>
      nodes.length === 0
        ? 'no engine nodes have joined this store yet'
        : nodes
            .map(
              (n) =>
                `${n.node}  ${n.state}  ${n.address ?? '-'}${n.fingerprint ? `  sha256 ${n.fingerprint}` : ''}  last heartbeat ${n.last_heartbeat}  cameras: ${n.cameras.join(', ') || 'none'}`,
            )
            .join('\n'),
  );
  return 0;
}

/** `vigil cameras status --store URL`: which node holds each camera of the shared store. */
export async function runClusterCameraStatus(g: GlobalOptions, store: string | undefined): Promise<number> {
  const loc = requirePostgres(store);
  const rows = await withPool(loc, async (pool) => {
    await requireCurrentSchema(pool, loc.display);
    return listCameraLeases(pool);
  });
  g.out.result(
    rows,
    () =>
      rows
        .map((r) => `${r.camera_id}  ${r.node ? `node ${r.node} (${r.node_state})` : 'no node has taken it'}`)
        .join('\n') || 'No cameras.',
  );
  return 0;
}
