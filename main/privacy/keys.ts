import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  scryptSync,
  timingSafeEqual,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '../errors.js';
import { log } from '../log.js';
import { createDataFolder, databaseFileState, ownerOnly, readLegacyKeyMeta } from '../store/open.js';
import {
  createDeviceKey,
  DEVICE_KEY_FILE,
  KEY_FILE,
  readDeviceKey,
  readKeyFile,
  type SealedText,
  writeKeyFile,
  type KeyFile,
  type KeySource,
} from './key-file.js';

/** 32-byte key that wraps the database key and every per-record crop key. Never stored in clear, never logged. */
export type MasterKey = Buffer;

const SCRYPT = { N: 2 ** 15, r: 8, p: 1 };
const KEY_CHECK = 'vigil-key-check-v1';
const STORE_KEY_AAD = 'vigil-store-key-v1';

export interface UnlockOptions {
  /** A 32-byte key from the desktop shell (OS key store); wins over the passphrase. */
  masterKey?: Buffer;
  /** Headless mode: VIGIL_PASSPHRASE or --passphrase-file. */
  passphrase?: string;
  /**
   * Whether a plaintext store gets a database key (default true): a new folder is created
   * encrypted and an old plaintext one is encrypted in place. False keeps a plaintext store
   * plaintext (tests that read raw files); an encrypted store stays encrypted either way.
   */
  encryptStore?: boolean;
}

export interface FolderKeys {
  source: KeySource;
  masterKey: MasterKey;
  /** The SQLCipher key of vigil.db, or null while the store is plaintext. */
  storeKey: Buffer | null;
}

/**
 * Unlocks a data folder: finds its master key (desktop key, else passphrase, else the generated
 * device key), checks it against keys.json and unwraps the database key. A new folder gets its
 * keys.json here; a folder from before keys.json had its crop key salt in the database and keeps
 * that salt, so crops sealed then stay readable.
 */
export function unlockDataFolder(dataDir: string, opts: UnlockOptions = {}): FolderKeys {
  if (opts.masterKey && opts.masterKey.length !== 32)
    throw new VigilError('INVALID_ARGUMENT', 'The master key must be 32 bytes long.');
  createDataFolder(dataDir);
  let file = readKeyFile(dataDir);
  let masterKey: MasterKey;
  let changed = false;
  if (file) {
    masterKey = masterKeyFor(dataDir, file, opts);
  } else {
    ({ file, masterKey } = newKeyFile(dataDir, opts));
    changed = true;
  }
  let storeKey: Buffer | null = null;
  if (file.store) {
    storeKey = unwrapStoreKey(dataDir, masterKey, file);
  } else if (opts.encryptStore !== false) {
    storeKey = randomBytes(32);
    const sealed = seal(masterKey, storeKey, STORE_KEY_AAD);
    file = {
      ...file,
      store: {
        cipher: 'sqlcipher',
        ...sealedToText(sealed),
      },
    };
    changed = true;
  }
  // Written before the database is touched: a crash in between leaves a key for a store that is
  // still plaintext, which the next open encrypts; never an encrypted store without its key.
  if (changed) writeKeyFile(dataDir, file);
  ownerOnly(dataDir, [KEY_FILE, DEVICE_KEY_FILE]);
  return { source: file.source, masterKey, storeKey };
}

/**
 * The database key for a look that changes nothing (doctor): no keys.json or device key is
 * created, and a folder without keys.json is read as the plaintext store it must then be.
 */
export function storeKeyForReading(
  dataDir: string,
  opts: Omit<UnlockOptions, 'encryptStore'>,
): Buffer | null {
  const file = readKeyFile(dataDir);
  if (!file) {
    if (databaseFileState(dataDir) === 'encrypted') throw missingKeyFile(dataDir);
    return null;
  }
  const masterKey = masterKeyFor(dataDir, file, opts);
  try {
    return file.store ? unwrapStoreKey(dataDir, masterKey, file) : null;
  } finally {
    masterKey.fill(0);
  }
}

function masterKeyFor(dataDir: string, file: KeyFile, opts: UnlockOptions): MasterKey {
  let key: MasterKey;
  if (opts.masterKey) {
    key = Buffer.from(opts.masterKey);
  } else if (file.source === 'passphrase') {
    if (opts.passphrase === undefined) throw lockedWithPassphrase();
    key = fromPassphrase(opts.passphrase, file);
  } else if (file.source === 'device') {
    if (opts.passphrase !== undefined)
      throw new VigilError(
        'STORE_LOCKED',
        `This data folder is protected by its device key, not a passphrase: unset VIGIL_PASSPHRASE (or drop --passphrase-file) to open ${dataDir}.`,
      );
    const device = readDeviceKey(dataDir);
    if (!device)
      throw new VigilError(
        'STORE_LOCKED',
        `The device key (device.key) of ${dataDir} is missing: its data cannot be decrypted without it; restore device.key from a backup of this folder.`,
      );
    key = device;
  } else {
    throw new VigilError(
      'STORE_LOCKED',
      `This data folder is locked with the desktop app's key (kept in the operating system's key store): open ${dataDir} with the Vigil desktop app.`,
    );
  }
  if (!timingSafeEqualB64(keyCheck(key), file.key_check)) {
    key.fill(0);
    if (opts.masterKey)
      throw new VigilError('STORE_LOCKED', `The key given by the desktop app does not unlock ${dataDir}.`);
    if (file.source === 'passphrase')
      throw new VigilError(
        'STORE_LOCKED',
        `Wrong passphrase: it does not unlock the data folder ${dataDir}.`,
      );
    throw new VigilError(
      'STORE_LOCKED',
      `The device key (device.key) does not belong to ${dataDir}: restore the device.key created with this folder.`,
    );
  }
  return key;
}

function newKeyFile(dataDir: string, opts: UnlockOptions): { file: KeyFile; masterKey: MasterKey } {
  const state = databaseFileState(dataDir);
  if (state === 'encrypted') throw missingKeyFile(dataDir);
  const legacy = state === 'plaintext' ? readLegacyKeyMeta(dataDir) : {};
  let source: KeySource;
  let masterKey: MasterKey;
  let kdf: KeyFile['kdf'];
  if (opts.masterKey) {
    source = 'external';
    masterKey = Buffer.from(opts.masterKey);
  } else if (opts.passphrase !== undefined) {
    if (!legacy.salt && opts.passphrase.length < 8)
      throw new VigilError('INVALID_ARGUMENT', 'The passphrase must be at least 8 characters long.');
    source = 'passphrase';
    kdf = legacy.salt ? { algorithm: 'scrypt', salt: legacy.salt, ...SCRYPT } : newPassphraseKdf();
    masterKey = fromPassphrase(opts.passphrase, { kdf });
  } else if (legacy.salt) {
    throw lockedWithPassphrase();
  } else {
    source = 'device';
    // A device key without keys.json is left by a crash between the two writes: reuse it.
    masterKey = readDeviceKey(dataDir) ?? createDeviceKey(dataDir);
    log('warn', 'device_key_in_use', {
      data_dir: dataDir,
      detail:
        'no passphrase or desktop key: the master key is device.key, stored beside the data, so the data is protected only by file permissions; create the folder with VIGIL_PASSPHRASE to lock it with a passphrase',
    });
  }
  const check = keyCheck(masterKey);
  if (legacy.keyCheck && !timingSafeEqualB64(check, legacy.keyCheck)) {
    masterKey.fill(0);
    throw new VigilError(
      'STORE_LOCKED',
      opts.masterKey
        ? `The key given by the desktop app does not unlock the face crops in ${dataDir}.`
        : `Wrong passphrase: it does not unlock the data folder ${dataDir}.`,
    );
  }
  return { file: { version: 1, source, ...(kdf ? { kdf } : {}), key_check: check, store: null }, masterKey };
}

/** Fresh scrypt parameters for a master key made from a passphrase (a new folder or cluster). */
export function newPassphraseKdf(): NonNullable<KeyFile['kdf']> {
  return { algorithm: 'scrypt', salt: randomBytes(16).toString('base64'), ...SCRYPT };
}

export function fromPassphrase(passphrase: string, file: Pick<KeyFile, 'kdf'>): MasterKey {
  const kdf = file.kdf;
  if (!kdf)
    throw new VigilError(
      'STORE_CORRUPT',
      'The key file keys.json is damaged: its passphrase parameters are missing.',
    );
  return scryptSync(passphrase.normalize('NFC'), Buffer.from(kdf.salt, 'base64'), 32, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r,
  });
}

function unwrapStoreKey(dataDir: string, masterKey: MasterKey, file: KeyFile): Buffer {
  const s = file.store!;
  try {
    return open(masterKey, sealedFromText(s), STORE_KEY_AAD);
  } catch {
    throw new VigilError(
      'STORE_CORRUPT',
      `The database key in ${join(dataDir, 'keys.json')} is damaged: restore keys.json from a backup of this folder.`,
    );
  }
}

export function keyCheck(key: MasterKey): string {
  return createHmac('sha256', key).update(KEY_CHECK).digest('base64');
}

export function timingSafeEqualB64(a: string, b: string): boolean {
  const x = Buffer.from(a, 'base64');
  const y = Buffer.from(b, 'base64');
  return x.length === y.length && timingSafeEqual(x, y);
}

function lockedWithPassphrase(): VigilError {
  return new VigilError(
    'STORE_LOCKED',
    'This data folder is locked with a passphrase: set VIGIL_PASSPHRASE or use --passphrase-file.',
  );
}

function missingKeyFile(dataDir: string): VigilError {
  return new VigilError(
    'STORE_LOCKED',
    `The database in ${dataDir} is encrypted but its key file keys.json is missing: it cannot be opened without it; restore keys.json (and device.key, if the folder had one) from a backup of this folder.`,
  );
}

/** VIGIL_PASSPHRASE, else the first line of --passphrase-file, else none. */
export function passphraseFromEnvironment(file?: string): string | undefined {
  if (file) {
    let first: string;
    try {
      first = readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '';
    } catch {
      throw new VigilError('INVALID_ARGUMENT', `The passphrase file ${file} cannot be read.`);
    }
    // An empty passphrase is none: a new folder would be created unlocked, against the intent.
    if (!first)
      throw new VigilError(
        'INVALID_ARGUMENT',
        `The passphrase file ${file} is empty: its first line is the passphrase.`,
      );
    return first;
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

/** A sealed value as the key documents hold it (base64 fields), and back. */
export function sealedToText(s: Sealed): SealedText {
  return { iv: s.iv.toString('base64'), tag: s.tag.toString('base64'), data: s.data.toString('base64') };
}

export function sealedFromText(t: SealedText): Sealed {
  return {
    iv: Buffer.from(t.iv, 'base64'),
    tag: Buffer.from(t.tag, 'base64'),
    data: Buffer.from(t.data, 'base64'),
  };
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
