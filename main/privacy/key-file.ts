import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { VigilError } from '../errors.js';

/** Beside the database, never inside it: the database cannot hold the key that opens it. */
export const KEY_FILE = 'keys.json';
/** The generated master key of a folder opened with neither a passphrase nor a desktop key. */
export const DEVICE_KEY_FILE = 'device.key';

/**
 * Where a folder's master key comes from, fixed when the folder is created:
 * passphrase (scrypt, headless), device (device.key beside the data, file permissions only),
 * external (a key the desktop shell keeps in the OS key store).
 */
export type KeySource = 'passphrase' | 'device' | 'external';

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);
const sealedSchema = z.object({ iv: b64, tag: b64, data: b64 });

const keyFileSchema = z.object({
  version: z.literal(1),
  source: z.enum(['passphrase', 'device', 'external']),
  kdf: z
    .object({
      algorithm: z.literal('scrypt'),
      salt: b64,
      N: z.number().int().positive(),
      r: z.number().int().positive(),
      p: z.number().int().positive(),
    })
    .optional(),
  /** HMAC-SHA256 of a constant under the master key: tells a wrong key from damaged data. */
  key_check: b64,
  /** The database key sealed by the master key, or null while the store is plaintext. */
  store: sealedSchema.extend({ cipher: z.literal('sqlcipher') }).nullable(),
  /** The audit log's HMAC key sealed by the master key (absent in folders from before it). */
  audit: sealedSchema.optional(),
  /** Audit rows up to this id were written before the key and are unkeyed. */
  audit_legacy_until: z.number().int().min(0).optional(),
});

export type KeyFile = z.infer<typeof keyFileSchema>;
export type SealedText = z.infer<typeof sealedSchema>;

/** keys.json's content (also as carried in a backup), or undefined when it is not one. */
export function parseKeyFile(value: unknown): KeyFile | undefined {
  const r = keyFileSchema.safeParse(value);
  return r.success ? r.data : undefined;
}

export function readKeyFile(dataDir: string): KeyFile | undefined {
  const path = join(dataDir, KEY_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new VigilError('DATA_DIR', `The key file ${path} cannot be read: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const r = keyFileSchema.safeParse(parsed);
  if (!r.success)
    throw new VigilError(
      'STORE_CORRUPT',
      `The key file ${path} is damaged: restore it from a backup of this data folder.`,
    );
  return r.data;
}

/** Written whole or not at all (temporary file, fsync, rename), readable by the owner only. */
export function writeKeyFile(dataDir: string, file: KeyFile): void {
  writeSecret(join(dataDir, KEY_FILE), Buffer.from(JSON.stringify(file, null, 2) + '\n'), true);
}

export function readDeviceKey(dataDir: string): Buffer | undefined {
  try {
    const key = Buffer.from(readFileSync(join(dataDir, DEVICE_KEY_FILE), 'utf8').trim(), 'base64');
    if (key.length !== 32)
      throw new VigilError(
        'STORE_CORRUPT',
        `The device key ${join(dataDir, DEVICE_KEY_FILE)} is damaged: it does not hold a 32-byte key.`,
      );
    return key;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (e instanceof VigilError) throw e;
    throw new VigilError(
      'DATA_DIR',
      `The device key ${join(dataDir, DEVICE_KEY_FILE)} cannot be read: ${(e as Error).message}`,
    );
  }
}

/** A fresh random device key; refuses to overwrite an existing one (that would lose the data). */
export function createDeviceKey(dataDir: string): Buffer {
  const key = randomBytes(32);
  writeSecret(join(dataDir, DEVICE_KEY_FILE), Buffer.from(key.toString('base64') + '\n'), false);
  return key;
}

function writeSecret(path: string, bytes: Buffer, replace: boolean): void {
  const target = replace ? `${path}.${process.pid}.tmp` : path;
  try {
    const fd = openSync(target, replace ? 'w' : 'wx', 0o600);
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (replace) {
      renameSync(target, path);
      syncFolder(dirname(path));
    }
  } catch (e) {
    throw new VigilError('DATA_DIR', `${path} cannot be written: ${(e as Error).message}`);
  }
}

/** Makes the rename itself durable; folders cannot be opened for syncing on Windows, hence best effort. */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not supported on this platform: the rename is still atomic, only its durability is weaker.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
