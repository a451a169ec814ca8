import type Database from 'better-sqlite3';
/**
 * The synchronous SQL surface every repository is written against. better-sqlite3's `Database`
 * satisfies it as it is (structurally), so the embedded store passes its handle unchanged and keeps
 * its statements and transaction modes; the shared store passes a port that runs the same
 * statements on PostgreSQL through a worker thread (`postgres/bridge.ts`).
 */

export type SqlDialect = 'sqlite' | 'postgres';

export interface SqlRunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface SqlStatement {
  run(...params: unknown[]): SqlRunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** Rows become their first column's value. */
  pluck(toggleState?: boolean): SqlStatement;
}

export interface SqlTransaction<A extends unknown[], R> {
  (...args: A): R;
  deferred(...args: A): R;
  /** Takes the write lock at the start (a read-then-write no other writer may interleave). */
  immediate(...args: A): R;
}

export interface SqlPort {
  /**
   * Which SQL the port speaks; absent on a plain better-sqlite3 handle, which is SQLite. Read it
   * through `dialectOf`.
   */
  readonly dialect?: SqlDialect;
  readonly open: boolean;
  readonly inTransaction: boolean;
  prepare(sql: string): SqlStatement;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqlTransaction<A, R>;
  exec(sql: string): unknown;
  close(): unknown;
}

export function dialectOf(port: SqlPort): SqlDialect {
  return port.dialect ?? 'sqlite';
}

/** The better-sqlite3 handle behind a SQLite port (pragmas, its file), or null on PostgreSQL. */
export function sqliteOf(port: SqlPort): Database.Database | null {
  return dialectOf(port) === 'sqlite' ? (port as Database.Database) : null;
}

/** Whether a statement failed on a unique or primary key (either store). */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: unknown; sqlState?: unknown; message?: unknown };
  if (err?.sqlState === '23505') return true;
  return (
    (typeof err?.code === 'string' &&
      err.code.startsWith('SQLITE_CONSTRAINT_') &&
      /UNIQUE|PRIMARYKEY/.test(err.code)) ||
    (typeof err?.message === 'string' && /UNIQUE/.test(err.message))
  );
}
