import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  scryptSync,
  timingSafeEqual,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { VigilError } from '../errors.js';
import { readMeta, writeMeta } from '../store/config.js';

/** 32-byte key that wraps every per-record data key. Never stored, never logged. */
export type MasterKey = Buffer;

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/**
 * Headless mode: the master key is derived from a passphrase with scrypt and a per-folder salt.
 * A key-check value (an HMAC of a constant) tells a wrong passphrase from damaged data.
 */
export function masterKeyFromPassphrase(db: Database.Database, passphrase: string): MasterKey {
  if (passphrase.length < 8)
    throw new VigilError('INVALID_ARGUMENT', 'The passphrase must be at least 8 characters long.');
  let salt = readMeta(db, 'kdf_salt');
  if (!salt) {
    salt = randomBytes(16).toString('base64');
    writeMeta(db, 'kdf_salt', salt);
  }
  const key = scryptSync(passphrase.normalize('NFC'), Buffer.from(salt, 'base64'), 32, SCRYPT);
  const check = createHmac('sha256', key).update('vigil-key-check-v1').digest('base64');
  const stored = readMeta(db, 'key_check');
  if (!stored) writeMeta(db, 'key_check', check);
  else if (!timingSafeEqual(Buffer.from(stored), Buffer.from(check))) {
    throw new VigilError(
      'INVALID_ARGUMENT',
      'Wrong passphrase: it does not open this data folder’s encrypted face crops.',
    );
  }
  return key;
}

/** VIGIL_PASSPHRASE, else the first line of --passphrase-file, else none. */
export function passphraseFromEnvironment(file?: string): string | undefined {
  if (file) {
    try {
      return readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '';
    } catch {
      throw new VigilError('INVALID_ARGUMENT', `The passphrase file ${file} cannot be read.`);
    }
  }
  return process.env.VIGIL_PASSPHRASE || undefined;
}

export interface Sealed {
  iv: Buffer;
  tag: Buffer;
  data: Buffer;
}

export function seal(key: Buffer, plain: Buffer, aad: string): Sealed {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad));
  const data = Buffer.concat([c.update(plain), c.final()]);
  return { iv, tag: c.getAuthTag(), data };
}

export function open(key: Buffer, s: Sealed, aad: string): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, s.iv);
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(s.tag);
  try {
    return Buffer.concat([d.update(s.data), d.final()]);
  } catch {
    throw new VigilError('INVALID_ARGUMENT', 'The face crop cannot be decrypted with this key.');
  }
}
