import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { constants, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { VigilError } from '../errors.js';
import { DEVICE_KEY_FILE, KEY_FILE, parseKeyFile, readKeyFile, type KeyFile } from '../privacy/key-file.js';
import { unlockDataFolder, type MasterKey } from '../privacy/keys.js';
import { DB_FILE } from '../store/open.js';
import type { Store } from '../store/store.js';

/**
 * One backup file: a plain header (format, date, the folder's keys.json — wrapped keys only,
 * useless without the master key) and one AES-256-GCM stream under a key derived from the master
 * key, holding the database copy and the audit anchor. The header is the cipher's associated
 * data, so neither part can be altered or swapped without the restore noticing.
 */
const MAGIC = 'VIGILBACKUP1\n';
const INFO = 'vigil-backup-v1';
const CHUNK = 1024 * 1024;
/** Files besides the database that belong in a backup when the folder has them. */
export const AUDIT_ANCHOR_FILES = ['audit-anchor.json'];

const headerSchema = z
  .object({
    version: z.literal(1),
    created_at: z.string(),
    salt: z.string(),
    iv: z.string(),
    key_file: z.unknown(),
    files: z.array(z.string()),
  })
  .strict();
type Header = z.infer<typeof headerSchema>;

function backupKey(master: MasterKey, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', master, salt, INFO, 32));
}

export interface BackupResult {
  file: string;
  bytes: number;
  files: string[];
  created_at: string;
}

/**
 * A consistent copy of a live store. SQLite3 Multiple Ciphers refuses the page-by-page backup API
 * between an encrypted database and a new unkeyed file ("incompatible source and target"), so the
 * copy is made with VACUUM INTO, which reads one snapshot in a single read transaction (writers
 * carry on in WAL mode, as with the backup API) and writes it under the same cipher and key.
 */
export async function createBackup(
  store: Pick<Store, 'health'>,
  dataDir: string,
  masterKey: MasterKey,
  out: string,
): Promise<BackupResult> {
  const keyFile = readKeyFile(dataDir);
  if (!keyFile) throw new VigilError('DATA_DIR', `${dataDir} has no keys.json: there is nothing to back up.`);
  mkdirSync(dirname(out), { recursive: true });
  const snapshot = join(dataDir, `.backup-${process.pid}-${Date.now()}.db`);
  const tmp = `${out}.${process.pid}.tmp`;
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const created_at = new Date().toISOString();
  let fh: FileHandle | undefined;
  try {
    store.health.copyTo(snapshot);
    const files: [string, string][] = [[DB_FILE, snapshot]];
    for (const f of AUDIT_ANCHOR_FILES) if (existsSync(join(dataDir, f))) files.push([f, join(dataDir, f)]);
    const header: Header = {
      version: 1,
      created_at,
      salt: salt.toString('base64'),
      iv: iv.toString('base64'),
      key_file: keyFile,
      files: files.map(([name]) => name),
    };
    const headerBytes = Buffer.from(MAGIC + JSON.stringify(header) + '\n');
    const cipher = createCipheriv('aes-256-gcm', backupKey(masterKey, salt), iv);
    cipher.setAAD(headerBytes);
    fh = await open(tmp, 'w', 0o600);
    await fh.write(headerBytes);
    const buf = Buffer.alloc(CHUNK);
    for (const [name, path] of files) {
      const size = (await stat(path)).size;
      const frame = Buffer.alloc(4 + Buffer.byteLength(name) + 8);
      frame.writeUInt32BE(Buffer.byteLength(name), 0);
      frame.write(name, 4);
      frame.writeBigUInt64BE(BigInt(size), 4 + Buffer.byteLength(name));
      await fh.write(cipher.update(frame));
      const src = await open(path, 'r');
      try {
        let pos = 0;
        while (pos < size) {
          const { bytesRead } = await src.read(buf, 0, Math.min(CHUNK, size - pos), pos);
          if (bytesRead === 0)
            throw new VigilError('DATA_DIR', `${name} changed size while it was backed up.`);
          pos += bytesRead;
          await fh.write(cipher.update(buf.subarray(0, bytesRead)));
        }
      } finally {
        await src.close();
      }
    }
    await fh.write(cipher.final());
    await fh.write(cipher.getAuthTag());
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, out);
    return { file: out, bytes: (await stat(out)).size, files: header.files, created_at };
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await rm(tmp, { force: true });
    if (e instanceof VigilError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new VigilError(
      err.code === 'ENOSPC' ? 'DISK_FULL' : 'DATA_DIR',
      `The backup could not be written to ${out}: ${err.message}`,
    );
  } finally {
    rmSync(snapshot, { force: true });
  }
}

export interface BackupHeader {
  created_at: string;
  keyFile: KeyFile;
  files: string[];
}

interface OpenedBackup extends BackupHeader {
  header: Header;
  headerBytes: Buffer;
  size: number;
}

async function readHeader(file: string): Promise<OpenedBackup> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new VigilError('NOT_FOUND', `The backup ${file} cannot be read: ${(e as Error).message}`);
  }
  try {
    const info = await fh.stat();
    // A folder opens on Linux and fails only when read.
    if (!info.isFile())
      throw new VigilError('INVALID_ARGUMENT', `${file} is not a Vigil backup (not a file).`);
    const size = info.size;
    const head = Buffer.alloc(Math.min(size, 64 * 1024));
    await fh.read(head, 0, head.length, 0);
    const nl = head.indexOf(10, MAGIC.length);
    if (!head.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC)) || nl < 0)
      throw new VigilError('INVALID_ARGUMENT', `${file} is not a Vigil backup.`);
    let header: Header;
    let keyFile: KeyFile | undefined;
    try {
      header = headerSchema.parse(JSON.parse(head.subarray(MAGIC.length, nl).toString('utf8')));
      keyFile = parseKeyFile(header.key_file);
    } catch {
      throw new VigilError('INVALID_ARGUMENT', `The backup ${file} is damaged: its header cannot be read.`);
    }
    if (!keyFile)
      throw new VigilError('INVALID_ARGUMENT', `The backup ${file} is damaged: its keys are unreadable.`);
    return {
      header,
      headerBytes: head.subarray(0, nl + 1),
      size,
      created_at: header.created_at,
      keyFile,
      files: header.files,
    };
  } finally {
    await fh.close();
  }
}

/** What a restore needs besides the file: how the backed-up folder's master key is obtained. */
export interface RestoreKeys {
  /** For a folder locked with a passphrase. */
  passphrase?: string;
  /** For a folder protected by its device key: a copy of that folder's device.key. */
  deviceKeyFile?: string;
}

export interface RestoreResult {
  data_dir: string;
  created_at: string;
  files: string[];
}

function emptyOrAbsent(dir: string): boolean {
  if (!existsSync(dir)) return true;
  if (!statSync(dir).isDirectory()) return false;
  return readdirSync(dir).length === 0;
}

/**
 * Restores a backup into an empty folder: keys first (the master key is checked against them
 * before anything is decrypted), then the stream, authenticated as a whole before any file takes
 * its real name. A wrong key or a damaged file leaves the folder as empty as it was. The caller
 * opens the restored folder and verifies its audit chain.
 */
export async function restoreBackup(
  file: string,
  dataDir: string,
  keys: RestoreKeys,
): Promise<RestoreResult> {
  if (!emptyOrAbsent(dataDir))
    throw new VigilError('INVALID_ARGUMENT', `${dataDir} is not empty: restore into a new or empty folder.`);
  const b = await readHeader(file);
  const created = !existsSync(dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const cleanup = () => {
    for (const f of readdirSync(dataDir)) rmSync(join(dataDir, f), { recursive: true, force: true });
    if (created) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await writeFile(join(dataDir, KEY_FILE), JSON.stringify(b.keyFile, null, 2) + '\n', { mode: 0o600 });
    if (b.keyFile.source === 'device') {
      if (!keys.deviceKeyFile)
        throw new VigilError(
          'STORE_LOCKED',
          "This backup is of a folder protected by its device key: give that folder's device.key with --device-key FILE.",
        );
      await writeFile(join(dataDir, DEVICE_KEY_FILE), await readFile(keys.deviceKeyFile), { mode: 0o600 });
    } else if (b.keyFile.source === 'external') {
      throw new VigilError(
        'STORE_LOCKED',
        "This backup is of the desktop app's folder, whose key is kept by the operating system: restore it from the desktop app on the machine that made it.",
      );
    }
    // The folder's own check (keys.json's key_check): a wrong passphrase or device key is refused
    // with the same sentence as when opening a folder.
    const { masterKey } = unlockDataFolder(
      dataDir,
      keys.passphrase !== undefined ? { passphrase: keys.passphrase } : {},
    );
    const key = backupKey(masterKey, Buffer.from(b.header.salt, 'base64'));
    masterKey.fill(0);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(b.header.iv, 'base64'));
    decipher.setAAD(b.headerBytes);
    const plain = join(dataDir, '.restore.tmp');
    const src = await open(file, 'r');
    const dst = await open(plain, 'w', 0o600);
    try {
      const end = b.size - 16;
      if (end < b.headerBytes.length)
        throw new VigilError('INVALID_ARGUMENT', `The backup ${file} is truncated.`);
      const tag = Buffer.alloc(16);
      await src.read(tag, 0, 16, end);
      decipher.setAuthTag(tag);
      const buf = Buffer.alloc(CHUNK);
      for (let pos = b.headerBytes.length; pos < end;) {
        const { bytesRead } = await src.read(buf, 0, Math.min(CHUNK, end - pos), pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        await dst.write(decipher.update(buf.subarray(0, bytesRead)));
      }
      try {
        await dst.write(decipher.final());
      } catch {
        throw new VigilError(
          'INVALID_ARGUMENT',
          `The backup ${file} is damaged or was altered: it does not pass its authentication check.`,
        );
      }
      await dst.sync();
    } finally {
      await src.close();
      await dst.close();
    }
    await splitFrames(plain, dataDir, b.files);
    await rm(plain);
    return { data_dir: dataDir, created_at: b.created_at, files: b.files };
  } catch (e) {
    cleanup();
    if (e instanceof VigilError) throw e;
    throw new VigilError(
      'DATA_DIR',
      `The backup could not be restored into ${dataDir}: ${(e as Error).message}`,
    );
  }
}

/** The authenticated plaintext: [name length, name, size, bytes]… ; only expected names are written. */
async function splitFrames(plain: string, dataDir: string, expected: string[]): Promise<void> {
  const allowed = new Set([DB_FILE, ...AUDIT_ANCHOR_FILES]);
  const fh = await open(plain, 'r');
  try {
    const total = (await fh.stat()).size;
    let pos = 0;
    const buf = Buffer.alloc(CHUNK);
    const seen: string[] = [];
    while (pos < total) {
      const len = Buffer.alloc(4);
      await fh.read(len, 0, 4, pos);
      const nameLen = len.readUInt32BE(0);
      if (nameLen === 0 || nameLen > 255) throw new Error('bad frame');
      const meta = Buffer.alloc(nameLen + 8);
      await fh.read(meta, 0, meta.length, pos + 4);
      const name = meta.subarray(0, nameLen).toString('utf8');
      const size = Number(meta.readBigUInt64BE(nameLen));
      // Authenticated, so written by Vigil; still, only known plain names ever become paths.
      if (!allowed.has(name) || basename(name) !== name || !expected.includes(name))
        throw new Error(`unexpected ${name}`);
      pos += 4 + meta.length;
      const out = await open(
        join(dataDir, name),
        constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY,
        0o600,
      );
      try {
        for (let left = size; left > 0;) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, left), pos);
          if (bytesRead === 0) throw new Error('truncated');
          await out.write(buf.subarray(0, bytesRead));
          pos += bytesRead;
          left -= bytesRead;
        }
        await out.sync();
      } finally {
        await out.close();
      }
      seen.push(name);
    }
    if (!seen.includes(DB_FILE)) throw new Error('no database in the backup');
  } finally {
    await fh.close();
  }
}

/** The header alone (date, files), for listing backups without their key. */
export async function inspectBackup(file: string): Promise<BackupHeader> {
  const b = await readHeader(file);
  return { created_at: b.created_at, keyFile: b.keyFile, files: b.files };
}
