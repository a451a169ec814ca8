import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import { parsePostgresUrl, type PostgresLocation } from '../store/locator.js';
import { openDatabase } from '../store/open.js';
import { withPool } from '../store/postgres/connect.js';
import { migrateStore } from '../store/postgres/migrate.js';
import { Store } from '../store/store.js';
import { VectorStore } from '../store/vectors.js';
import { startPostgres, type TestPostgres } from './postgres.js';
import { describeWithPostgres } from './postgres-suite.js';

/**
 * Store-level tests run once per store: the data folder's SQLite and the shared PostgreSQL (one
 * throwaway cluster per test file, a fresh database per store asked for).
 */
export type StoreKind = 'sqlite' | 'postgres';

let cluster: Promise<TestPostgres> | undefined;
let databases = 0;

/** The file's cluster, started on first use (stopped at process exit by postgres.ts). */
export function testCluster(): Promise<TestPostgres> {
  cluster ??= startPostgres();
  return cluster;
}

/**
 * Stops the file's cluster. Called after the file's suites: the test runner ends its workers
 * without the process exit that would otherwise stop it, and a cluster left running holds memory.
 */
export async function stopTestCluster(): Promise<void> {
  const c = cluster;
  cluster = undefined;
  if (c) (await c).stop();
}

/** A new, migrated, empty shared store in the file's cluster. */
export async function freshSharedLocation(): Promise<PostgresLocation> {
  const pg = await testCluster();
  const loc = parsePostgresUrl(pg.createDatabase(`store_${process.pid}_${++databases}`));
  await withPool(loc, (pool) => migrateStore(pool));
  return loc;
}

/** Opens a new, empty store of that kind; the function returned opens it (again). */
export async function storeOpener(kind: StoreKind, embeddingDim = 8): Promise<() => Store> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-kinds-'));
    return () => {
      const db = openDatabase(dir, { recognizerId: 'r', embeddingDim });
      return new Store(db, new VectorStore(db, embeddingDim));
    };
  }
  const loc = await freshSharedLocation();
  return () => Store.openShared(loc, { recognizerId: 'r', embeddingDim });
}

/** A fresh, empty store of that kind. */
export async function freshStore(kind: StoreKind, embeddingDim = 8): Promise<Store> {
  return (await storeOpener(kind, embeddingDim))();
}

/** `fn` as a suite on each store; the PostgreSQL one skipped (failing under CI) without a server. */
export function describeEachStore(name: string, fn: (kind: StoreKind) => void): void {
  describe(`${name} (sqlite)`, () => fn('sqlite'));
  describeWithPostgres(`${name} (postgres)`, () => {
    afterAll(stopTestCluster);
    fn('postgres');
  });
}
