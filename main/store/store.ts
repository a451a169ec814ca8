import type Database from 'better-sqlite3';
import type { VectorStore } from './vectors.js';

/**
 * The data folder's store. Everything above `main/store/` reads and writes rows through the
 * repositories hung on this object (one per aggregate, interfaces in `repositories.ts`), never through
 * SQL of its own, so a second implementation (the shared PostgreSQL store) is a new folder beside this
 * one rather than a rewrite of the callers.
 */
export class Store {
  constructor(
    /** The SQLite handle: for modules inside `main/store/` only (the dependency rule enforces it). */
    readonly sql: Database.Database,
    readonly vectors: VectorStore,
  ) {}

  /** Runs `fn` as one transaction: all of its writes land, or none do. */
  transaction<T>(fn: () => T): T {
    return this.sql.transaction(fn)();
  }
}
