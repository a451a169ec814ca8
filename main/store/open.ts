import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { VigilError } from '../errors.js';
import { readMeta, writeMeta } from './config.js';
import { MIGRATIONS } from './migrations.js';

export const DB_FILE = 'vigil.db';

export interface OpenOptions {
  /** Recognizer whose vectors this store holds; a data folder is bound to one at creation. */
  recognizerId: string;
  embeddingDim: number;
  readonly?: boolean;
}

/**
 * Opens (creating if needed) the data folder's database: WAL with full sync so an acknowledged
 * write survives a power cut, secure_delete so erased rows do not linger in free pages,
 * sqlite-vec loaded, migrations applied.
 */
export function openDatabase(dataDir: string, opts: OpenOptions): Database.Database {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new VigilError('DATA_DIR', `The data folder ${dataDir} cannot be created: ${(e as Error).message}`);
  }
  let db: Database.Database;
  try {
    db = new Database(join(dataDir, DB_FILE), { readonly: !!opts.readonly, fileMustExist: !!opts.readonly });
  } catch (e) {
    if (opts.readonly)
      throw new VigilError('NOT_FOUND', `No Vigil data in ${dataDir} yet: enroll a member first.`);
    throw new VigilError('DATA_DIR', `The database in ${dataDir} cannot be opened: ${(e as Error).message}`);
  }
  try {
    if (!opts.readonly) {
      // Large pages keep each vec0 vector blob read to one page (set before the first table;
      // an existing file keeps its size). Measured at 100k vectors: 2.8 ms per search with 64 KiB
      // pages and mmap, 5.7 ms with 4 KiB pages, 17.6 ms without mmap (see bench:search).
      if ((db.pragma('page_count', { simple: true }) as number) === 0) db.pragma('page_size = 65536');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      // With 64 KiB pages the default 1000-page autocheckpoint would let the WAL reach 64 MB, and
      // pages still in the WAL are read without mmap (~8× slower per vector).
      db.pragma('wal_autocheckpoint = 128');
    }
    db.pragma(`mmap_size = ${2 ** 31 - 1}`);
    db.pragma('foreign_keys = ON');
    db.pragma('secure_delete = ON');
    db.pragma('busy_timeout = 5000');
    sqliteVec.load(db);
    if (!opts.readonly) migrate(db, opts.embeddingDim);
  } catch (e) {
    db.close();
    if (e instanceof VigilError) throw e;
    throw new VigilError(
      'STORE_CORRUPT',
      `The database in ${dataDir} is damaged or not a Vigil database: ${(e as Error).message}`,
    );
  }
  const bound = readMeta(db, 'recognizer');
  if (bound === undefined && !opts.readonly) {
    writeMeta(db, 'recognizer', opts.recognizerId);
    writeMeta(db, 'embedding_dim', String(opts.embeddingDim));
  } else if (bound !== undefined && bound !== opts.recognizerId) {
    db.close();
    throw new VigilError(
      'STORE_MODEL_MISMATCH',
      `The data folder ${dataDir} holds faces enrolled with recognizer ${bound}, but ${opts.recognizerId} is selected; choose the model pack that uses ${bound} or use a new data folder.`,
    );
  }
  return db;
}

function migrate(db: Database.Database, embeddingDim: number): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      m.up(db, { embeddingDim });
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function integrityCheck(db: Database.Database): string {
  return String(db.pragma('integrity_check', { simple: true }));
}
