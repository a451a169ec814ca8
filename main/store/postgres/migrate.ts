import type pg from 'pg';
import { VigilError } from '../../errors.js';
import { log } from '../../log.js';
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION, type PostgresMigration } from './schema.js';

/**
 * Held (session level) while a node looks at or changes the schema: two nodes starting at once
 * migrate one after the other, the second finding nothing left to do. The number is arbitrary but
 * fixed ("vigilsch" in ASCII), so it never meets another application's lock by chance.
 */
const SCHEMA_LOCK = '8532479046405227368';

export interface SchemaState {
  /** Version before this call. */
  from: number;
  /** Version now. */
  version: number;
  applied: number[];
}

async function currentVersion(client: pg.PoolClient): Promise<number> {
  const r = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return r.rows[0]?.v ?? 0;
}

/**
 * Creates or brings the schema up to date. Each migration and its schema_migrations row commit in
 * one transaction (PostgreSQL's DDL is transactional), so a failure leaves the previous version.
 */
export async function migrateStore(
  pool: pg.Pool,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<SchemaState> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [SCHEMA_LOCK]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version integer PRIMARY KEY,
           description text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const from = await currentVersion(client);
      const latest = migrations[migrations.length - 1]?.version ?? 0;
      if (from > latest)
        throw new VigilError(
          'STORE_CORRUPT',
          `The shared store's schema is at version ${from}, newer than this Vigil knows (${latest}): upgrade Vigil on this machine first.`,
        );
      const applied: number[] = [];
      for (const m of migrations) {
        if (m.version <= from) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, description) VALUES ($1, $2)', [
            m.version,
            m.description,
          ]);
          await client.query('COMMIT');
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new VigilError(
            'STORE_CORRUPT',
            `Migration ${m.version} of the shared store (${m.description}) failed and was rolled back: ${(e as Error).message}.`,
            { cause: e },
          );
        }
        applied.push(m.version);
        log('info', 'store_migrated', { version: m.version });
      }
      return { from, version: await currentVersion(client), applied };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [SCHEMA_LOCK]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

/** The schema's version without changing it (0: not initialised). */
export async function storeSchemaVersion(pool: pg.Pool): Promise<number> {
  const r = await pool.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  if (!r.rows[0]?.t) return 0;
  const v = await pool.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return v.rows[0]?.v ?? 0;
}

/** Refuses a store that is not initialised or is older than this Vigil. */
export async function requireCurrentSchema(pool: pg.Pool, display: string): Promise<void> {
  const v = await storeSchemaVersion(pool);
  if (v < POSTGRES_SCHEMA_VERSION)
    throw new VigilError(
      'STORE_CORRUPT',
      v === 0
        ? `The shared store ${display} has no Vigil schema yet: run "vigil store init --store URL" first.`
        : `The shared store ${display} is at schema version ${v}, older than this Vigil's ${POSTGRES_SCHEMA_VERSION}: run "vigil store init --store URL" to migrate it.`,
    );
}
