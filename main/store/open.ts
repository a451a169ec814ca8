import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { VigilError } from '../errors.js';
import { log } from '../log.js';
import { readMeta, writeMeta } from './config.js';
import { MIGRATIONS } from './migrations.js';

export const DB_FILE = 'vigil.db';

export interface OpenOptions {
  /** Recognizer whose vectors this store holds; a data folder is bound to one at creation. */
  recognizerId: string;
  embeddingDim: number;
  readonly?: boolean;
  /**
   * The data folder's database key (privacy/keys.ts unlockDataFolder); absent or null for a
   * plaintext store (unit tests of the schema). Given a plaintext file, a writable open encrypts
   * it in place. Engine.open always passes the folder's key.
   */
  key?: Buffer | null;
}

/**
 * SQLCipher v4 page format (AES-256-CBC, HMAC-SHA512 per page) through SQLite3 Multiple Ciphers.
 * Chosen over the library's ChaCha20-Poly1305 default: both authenticate every page and cost the
 * same within noise in bench:at-rest, and SQLCipher 4 is a documented format with independent tools,
 * so an owner holding the key is not tied to Vigil to read their data.
 */
export const STORE_CIPHER = 'sqlcipher';

/**
 * With a cipher, every page read from disk is decrypted and mmap no longer helps, so the page
 * cache must hold the gallery: each vector fetch walks vec0's chunk blob page by page. Measured at
 * 20k 512-d vectors: a 2 MB cache made one vector read ~11 ms and an insert batch 50× slower; a
 * cache big enough for the blobs brings both back to near plaintext. The cap is a ceiling, only
 * pages actually read take memory (~2 KiB per stored vector).
 */
const ENCRYPTED_CACHE_KIB = 512 * 1024;

export type DatabaseFileState = 'none' | 'plaintext' | 'encrypted';

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** Told from the first 16 bytes: plaintext SQLite starts with its magic, SQLCipher with a random salt. */
export function databaseFileState(dataDir: string): DatabaseFileState {
  let fd: number;
  try {
    fd = openSync(join(dataDir, DB_FILE), 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw new VigilError('DATA_DIR', `The database in ${dataDir} cannot be read: ${(e as Error).message}`);
  }
  try {
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    if (n === 0) return 'none';
    return n === 16 && head.equals(SQLITE_HEADER) ? 'plaintext' : 'encrypted';
  } finally {
    closeSync(fd);
  }
}

/**
 * The folder 0700 and its database files 0600, also when they already existed with looser modes
 * (mkdir's mode applies only to a folder it creates, and new files follow the umask). POSIX only.
 */
export function ownerOnly(dataDir: string, files: readonly string[] = []): void {
  if (process.platform === 'win32') return;
  try {
    chmodSync(dataDir, 0o700);
    for (const f of files) if (existsSync(join(dataDir, f))) chmodSync(join(dataDir, f), 0o600);
  } catch (e) {
    log('warn', 'permissions_not_tightened', { error: (e as Error).message });
  }
}

/** Creates the data folder (owner only) or says in one sentence why it cannot be. */
export function createDataFolder(dataDir: string): void {
  if (!dataDir.trim())
    throw new VigilError(
      'DATA_DIR',
      'The data folder is empty: give a folder with --data-dir or VIGIL_DATA_DIR.',
    );
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'EEXIST' || code === 'ENOTDIR'
        ? 'a file is in the way (it, or a folder above it, is a file)'
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? 'permission denied'
          : code === 'ENOSPC'
            ? 'the disk is full'
            : (code ?? (e as Error).message);
    throw new VigilError('DATA_DIR', `The data folder ${dataDir} cannot be created: ${why}.`);
  }
}

/**
 * Opens (creating if needed) the data folder's database: keyed first when it has a key, WAL with
 * full sync so an acknowledged write survives a power cut, secure_delete so erased rows do not linger in free pages,
 * sqlite-vec loaded, migrations applied.
 */
export function openDatabase(dataDir: string, opts: OpenOptions): Database.Database {
  createDataFolder(dataDir);
  if (!opts.readonly) ownerOnly(dataDir);
  const state = databaseFileState(dataDir);
  let db: Database.Database;
  try {
    db = new Database(join(dataDir, DB_FILE), { readonly: !!opts.readonly, fileMustExist: !!opts.readonly });
    // Before the first write: SQLite gives the -wal and -shm files the database file's mode.
    if (!opts.readonly) ownerOnly(dataDir, [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`]);
  } catch (e) {
    if (opts.readonly)
      throw new VigilError('NOT_FOUND', `No Vigil data in ${dataDir} yet: enroll a member first.`);
    throw new VigilError('DATA_DIR', `The database in ${dataDir} cannot be opened: ${(e as Error).message}`);
  }
  try {
    // The key comes before any other statement: until it is set, every page reads as noise.
    if (opts.key) {
      if (state !== 'plaintext') applyKey(db, opts.key);
      else if (!opts.readonly) encryptInPlace(db, opts.key);
    }
    try {
      db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_NOTADB' || state !== 'encrypted') throw e;
      throw new VigilError(
        'STORE_LOCKED',
        opts.key
          ? `The database in ${dataDir} cannot be decrypted with the key in its keys.json: the two do not belong together (restore both from the same backup).`
          : `The database in ${dataDir} is encrypted and no key was given to open it.`,
      );
    }
    if (opts.key) {
      db.pragma(`cache_size = -${ENCRYPTED_CACHE_KIB}`);
      // Sorts and temporary indexes that spill to disk would be written unencrypted.
      db.pragma('temp_store = MEMORY');
    }
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
  // A keyed store whose file still reads as plain SQLite means the key never took effect: refuse
  // rather than write faces in clear.
  if (opts.key && !opts.readonly && databaseFileState(dataDir) === 'plaintext') {
    db.close();
    throw new VigilError('STORE_CORRUPT', `The database in ${dataDir} could not be encrypted.`);
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

function applyKey(db: Database.Database, key: Buffer): void {
  db.pragma(`cipher = '${STORE_CIPHER}'`);
  // A raw 32-byte key (x'…'): random already, so SQLCipher's PBKDF2 stretching is skipped.
  db.pragma(`key = "x'${key.toString('hex')}'"`);
}

/**
 * A store from before encryption (or created with encryptStore: false) is encrypted on its first
 * keyed open. SQLite3 Multiple Ciphers before 2.4 does not support a rekey in WAL mode (it could
 * corrupt the file), so the journal leaves WAL for the rekey; the WAL pragma below turns it back on.
 */
function encryptInPlace(db: Database.Database, key: Buffer): void {
  db.pragma('journal_mode = DELETE');
  db.pragma(`cipher = '${STORE_CIPHER}'`);
  db.pragma(`rekey = "x'${key.toString('hex')}'"`);
  log('info', 'store_encrypted', { data_dir: db.name });
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

/** The crop key salt and check a folder kept in its (then plaintext) database before keys.json. */
export function readLegacyKeyMeta(dataDir: string): { salt?: string; keyCheck?: string } {
  let db: Database.Database | undefined;
  try {
    db = new Database(join(dataDir, DB_FILE), { readonly: true, fileMustExist: true });
    return { salt: readMeta(db, 'kdf_salt'), keyCheck: readMeta(db, 'key_check') };
  } catch {
    // No system_config yet (a database created but never migrated): nothing was sealed.
    return {};
  } finally {
    db?.close();
  }
}
