import pg from 'pg';
import { VigilError } from '../../errors.js';
import { storePassword, type PostgresLocation } from '../locator.js';

const INT8_OID = 20;

/**
 * bigint ids come back as numbers, as better-sqlite3 gives them: ids stay far below 2^53, and one
 * that does not is refused rather than silently rounded.
 */
export const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID && format !== 'binary')
      return (text: string): number => {
        const n = Number(text);
        if (!Number.isSafeInteger(n)) throw new Error(`integer ${text} is beyond what Vigil can hold`);
        return n;
      };
    return pg.types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};

function sslFor(loc: PostgresLocation): pg.PoolConfig['ssl'] {
  const mode = new URL(loc.url).searchParams.get('sslmode');
  if (!mode || mode === 'disable' || mode === 'prefer' || mode === 'allow') return undefined;
  // require: encrypted but the certificate is not checked (libpq's meaning); verify-*: checked.
  if (mode === 'require') return { rejectUnauthorized: false };
  if (mode === 'verify-ca' || mode === 'verify-full') return true;
  throw new VigilError(
    'INVALID_ARGUMENT',
    `The store's sslmode "${mode}" is not one of disable, require, verify-ca, verify-full.`,
  );
}

/**
 * A connection pool to the shared store. The password is handed over only when the server asks
 * (URL, PGPASSWORD or the password file; see locator.ts), never through a connection string that
 * could end up in an error message.
 */
export function openPool(loc: PostgresLocation, opts: { max?: number } = {}): pg.Pool {
  const pool = new pg.Pool({
    ...connectionConfig(loc),
    max: opts.max ?? 4,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  return pool;
}

/** Where and as whom to connect; the password is asked for only when the server wants it. */
export function connectionConfig(loc: PostgresLocation): pg.ClientConfig {
  return {
    host: loc.host,
    port: loc.port,
    database: loc.database,
    user: loc.user,
    password: async () => storePassword(loc) ?? '',
    ssl: sslFor(loc),
    application_name: 'vigil',
    types,
  };
}

/** The sentence for a failed connection or query: the store's address without its credentials. */
export function storeError(loc: PostgresLocation, e: unknown): VigilError {
  if (e instanceof VigilError) return e;
  const err = e as { code?: string; message?: string };
  const why = err.message ?? String(e);
  const unreachable =
    !err.code ||
    /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH)$/.test(err.code) ||
    err.code.startsWith('08') ||
    err.code === '28P01' ||
    err.code === '28000' ||
    err.code === '3D000';
  return new VigilError(
    unreachable ? 'STORE_UNREACHABLE' : 'STORE_CORRUPT',
    unreachable
      ? `The shared store ${loc.display} cannot be reached: ${why}.`
      : `The shared store ${loc.display} refused a request: ${why}.`,
    { cause: e },
  );
}

/** Opens a pool for one command and always closes it; any failure becomes one sentence. */
export async function withPool<T>(loc: PostgresLocation, fn: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = openPool(loc);
  try {
    return await fn(pool);
  } catch (e) {
    throw storeError(loc, e);
  } finally {
    await pool.end().catch(() => undefined);
  }
}
