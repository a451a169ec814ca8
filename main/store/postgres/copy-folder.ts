import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { VigilError } from '../../errors.js';
import { log } from '../../log.js';
import {
  AUDIT_ANCHOR_FILE,
  auditKeyOf,
  readAuditAnchor,
  verifyAudit,
  verifyAuditChain,
  type AuditAnchor,
  type AuditRow,
  type AuditVerification,
} from '../audit.js';
import type { Store } from '../store.js';
import { SHARED_KEYS_META } from '../config.js';

/**
 * Copies a single-machine data folder's store into the shared store and proves the copy: every
 * table's rows (vectors, sealed crops and audit rows byte for byte: a crop stays sealed with the
 * folder's master key), in one PostgreSQL transaction that commits only once the copy verifies.
 */

/** Tables in an order that satisfies the shared schema's foreign keys; others follow by name. */
const COPY_ORDER = [
  'system_config',
  'members',
  'unknown_persons',
  'embeddings',
  'face_vectors',
  'cameras',
  'appearances',
  'alerts',
  'audit_log',
  'unknown_crops',
  'users',
  'sessions',
  'consents',
];

/** PostgreSQL takes at most 65535 parameters in one statement. */
const MAX_PARAMS = 30_000;
const MAX_BATCH_ROWS = 500;

export interface TableSummary {
  table: string;
  source_rows: number;
  target_rows: number;
  /** Same rows on both sides (an order-free digest of every row's values). */
  identical: boolean;
}

export interface CopyVerification {
  ok: boolean;
  tables: TableSummary[];
  audit: AuditVerification;
  /** Why it failed, as a sentence; absent when the copy checks out. */
  problem?: string;
}

type Value = string | number | bigint | Buffer | null;
type SqlRow = Record<string, Value>;

interface SourceTable {
  name: string;
  columns: string[];
}

type Querier = Pick<pg.PoolClient, 'query'>;

/** The folder's tables with their columns (sqlite-vec's shadow tables are its own business). */
function sourceTables(sql: Database.Database): SourceTable[] {
  const list = (sql.pragma('table_list') as { schema: string; name: string; type: string }[]).filter(
    (t) => t.schema === 'main' && !t.name.startsWith('sqlite_'),
  );
  // sqlite-vec keeps a virtual table's data in "<name>_…" tables, not all of them flagged as shadow.
  const virtual = list.filter((t) => t.type === 'virtual').map((t) => `${t.name}_`);
  const names = list
    .filter((t) => t.type === 'virtual' || (t.type === 'table' && !virtual.some((v) => t.name.startsWith(v))))
    .map((t) => t.name);
  const ordered = [
    ...COPY_ORDER.filter((n) => names.includes(n)),
    ...names.filter((n) => !COPY_ORDER.includes(n)).sort(),
  ];
  return ordered.map((name) => ({
    name,
    columns: (sql.pragma(`table_info(${quoteIdent(name)})`) as { name: string }[]).map((c) => c.name),
  }));
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function targetColumns(client: Querier): Promise<Map<string, Map<string, string>>> {
  const r = await client.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema()`,
  );
  const out = new Map<string, Map<string, string>>();
  for (const row of r.rows) {
    const t = out.get(row.table_name) ?? new Map<string, string>();
    t.set(row.column_name, row.data_type);
    out.set(row.table_name, t);
  }
  return out;
}

/**
 * Every table and column of the folder must have a place in the shared schema: a column this
 * version's shared store lacks would otherwise be dropped without a word.
 */
function checkCovered(tables: SourceTable[], target: Map<string, Map<string, string>>): void {
  for (const t of tables) {
    const cols = target.get(t.name);
    if (!cols)
      throw new VigilError(
        'STORE_CORRUPT',
        `The data folder has a table "${t.name}" that the shared store's schema does not hold: this Vigil cannot copy it without losing data.`,
      );
    const missing = t.columns.filter((c) => !cols.has(c));
    if (missing.length > 0)
      throw new VigilError(
        'STORE_CORRUPT',
        `The data folder's table "${t.name}" has columns (${missing.join(', ')}) that the shared store's schema does not hold: this Vigil cannot copy them without losing data.`,
      );
  }
}

async function countRows(client: Querier, table: string): Promise<number> {
  const r = await client.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM ${quoteIdent(table)}`);
  return r.rows[0]?.n ?? 0;
}

async function insertBatch(client: Querier, t: SourceTable, rows: SqlRow[]): Promise<void> {
  if (rows.length === 0) return;
  const params: Value[] = [];
  const tuples = rows.map((row) => {
    const slots = t.columns.map((c) => {
      const v = row[c] ?? null;
      params.push(typeof v === 'bigint' ? v.toString() : v);
      return `$${params.length}`;
    });
    return `(${slots.join(', ')})`;
  });
  await client.query(
    `INSERT INTO ${quoteIdent(t.name)} (${t.columns.map(quoteIdent).join(', ')}) VALUES ${tuples.join(', ')}`,
    params,
  );
}

async function copyTable(sql: Database.Database, client: Querier, t: SourceTable): Promise<number> {
  const batchRows = Math.max(1, Math.min(MAX_BATCH_ROWS, Math.floor(MAX_PARAMS / t.columns.length)));
  const select = sql.prepare(`SELECT ${t.columns.map(quoteIdent).join(', ')} FROM ${quoteIdent(t.name)}`);
  let batch: SqlRow[] = [];
  let n = 0;
  for (const row of select.iterate() as Iterable<SqlRow>) {
    batch.push(row);
    n++;
    if (batch.length >= batchRows) {
      await insertBatch(client, t, batch);
      batch = [];
    }
  }
  await insertBatch(client, t, batch);
  return n;
}

/** Identity columns continue after the copied ids, so the next row inserted on a node does not collide. */
async function resetIdentities(client: Querier): Promise<void> {
  const r = await client.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND is_identity = 'YES'`,
  );
  for (const { table_name: t, column_name: c } of r.rows)
    await client.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(max(${quoteIdent(c)}), 1), max(${quoteIdent(c)}) IS NOT NULL) FROM ${quoteIdent(t)}`,
      [quoteIdent(t), c],
    );
}

/** A digest of a table's rows that does not depend on their order (the two stores sort text differently). */
function digestRows(rows: Iterable<SqlRow>, columns: string[]): string {
  const hashes: string[] = [];
  for (const row of rows) {
    const h = createHash('sha256');
    for (const c of columns) {
      const v = row[c] ?? null;
      if (v === null) h.update('n;');
      else if (Buffer.isBuffer(v)) h.update(`b${v.length}:`).update(v);
      else if (typeof v === 'string') h.update(`s${Buffer.byteLength(v)}:${v}`);
      else h.update(`i${String(v)};`);
    }
    hashes.push(h.digest('hex'));
  }
  hashes.sort();
  return createHash('sha256').update(hashes.join('')).digest('hex');
}

async function targetAnchor(client: Querier): Promise<AuditAnchor | 'missing'> {
  const r = await client.query<{ last_id: number; hash: string; count: number; at: string; mac: string }>(
    'SELECT last_id, hash, count, at, mac FROM audit_anchor WHERE id = 1',
  );
  const a = r.rows[0];
  return a
    ? { version: 1, last_id: a.last_id, hash: a.hash, count: a.count, at: a.at, mac: a.mac }
    : 'missing';
}

/**
 * Compares the shared store with the folder: each table's row count and content digest, and the
 * audit chain re-verified on the shared store's rows with the folder's audit key and the anchor
 * copied beside them (a changed, removed or re-hashed audit row fails here, not only in the digest).
 */
export async function verifyCopy(store: Store, client: Querier): Promise<CopyVerification> {
  const sql = store.sqlite;
  const tables: TableSummary[] = [];
  for (const t of sourceTables(sql)) {
    const select = `SELECT ${t.columns.map(quoteIdent).join(', ')} FROM ${quoteIdent(t.name)}`;
    const sourceRows = sql.prepare(select).all() as SqlRow[];
    // The shared store's key document is its own (the folder keeps keys.json beside its file).
    const ownKeys = t.name === 'system_config' ? ` WHERE key <> '${SHARED_KEYS_META}'` : '';
    const targetRows = (await client.query<SqlRow>(select + ownKeys)).rows;
    tables.push({
      table: t.name,
      source_rows: sourceRows.length,
      target_rows: targetRows.length,
      identical: digestRows(sourceRows, t.columns) === digestRows(targetRows, t.columns),
    });
  }
  const rows = (await client.query<AuditRow>('SELECT * FROM audit_log ORDER BY audit_id')).rows;
  const audit = verifyAuditChain(rows, auditKeyOf(sql), await targetAnchor(client));
  const differs = tables.filter((t) => t.source_rows !== t.target_rows || !t.identical);
  const problem = !audit.ok
    ? `the audit chain in the shared store does not verify at row ${audit.firstBad}: ${audit.problem}`
    : differs.length > 0
      ? `the shared store's ${differs.map((t) => t.table).join(', ')} differ from the data folder's`
      : undefined;
  return { ok: problem === undefined, tables, audit, ...(problem ? { problem } : {}) };
}

export interface CopyResult extends CopyVerification {
  replaced: boolean;
}

/**
 * The copy itself. The folder is read in one read transaction (a consistent snapshot even while
 * a server writes to it), its audit chain is verified first (a broken chain is not carried over
 * as if it were sound), and the shared store must hold no Vigil rows unless `force` (then its rows
 * are replaced, in the same transaction, so a failed copy leaves them as they were).
 */
export async function copyFolderToPostgres(
  store: Store,
  dataDir: string,
  pool: pg.Pool,
  opts: {
    force: boolean;
    display: string;
    /**
     * The folder's key document for the shared store (see privacy/shared-keys.ts): written with the
     * rows, so the copy and the passphrase that reads its crops and audit chain arrive together.
     */
    keyDocument?: string;
  },
): Promise<CopyResult> {
  const sql = store.sqlite;
  const own = verifyAudit(sql);
  if (!own.ok)
    throw new VigilError(
      'STORE_CORRUPT',
      `The audit chain of ${dataDir} does not verify (row ${own.firstBad}: ${own.problem}); run "vigil audit verify" there and fix it before copying.`,
    );
  const anchor = readAuditAnchor(join(dataDir, AUDIT_ANCHOR_FILE));
  const client = await pool.connect();
  sql.exec('BEGIN');
  try {
    const tables = sourceTables(sql);
    checkCovered(tables, await targetColumns(client));
    await client.query('BEGIN');
    try {
      const held: string[] = [];
      for (const t of [...tables.map((x) => x.name), 'audit_anchor']) {
        const n = await countRows(client, t);
        if (n > 0) held.push(`${n} ${t}`);
      }
      if (held.length > 0 && !opts.force)
        throw new VigilError(
          'CONFLICT',
          `The shared store ${opts.display} already holds data (${held.slice(0, 4).join(', ')}${held.length > 4 ? ', …' : ''}): migrate-from copies into an empty store only; give --force to replace its contents.`,
        );
      if (held.length > 0)
        await client.query(
          `TRUNCATE ${[...tables.map((x) => x.name), 'audit_anchor'].map(quoteIdent).join(', ')} CASCADE`,
        );
      for (const t of tables) await copyTable(sql, client, t);
      if (typeof anchor === 'object')
        await client.query(
          'INSERT INTO audit_anchor (id, last_id, hash, count, at, mac) VALUES (1, $1, $2, $3, $4, $5)',
          [anchor.last_id, anchor.hash, anchor.count, anchor.at, anchor.mac],
        );
      await resetIdentities(client);
      const check = await verifyCopy(store, client);
      if (!check.ok)
        throw new VigilError(
          'STORE_CORRUPT',
          `The copy into ${opts.display} was rolled back: ${check.problem}.`,
        );
      if (opts.keyDocument !== undefined)
        await client.query(
          'INSERT INTO system_config (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
          [SHARED_KEYS_META, opts.keyDocument],
        );
      await client.query('COMMIT');
      log('info', 'store_copied', { tables: check.tables.length, audit_rows: check.audit.rows });
      return { ...check, replaced: held.length > 0 };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  } finally {
    sql.exec('COMMIT');
    client.release();
  }
}
