import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { safeStorage } from 'electron';
import { VigilError } from '../errors.js';
import { log } from '../log.js';
import { readKeyFile } from '../privacy/key-file.js';

/** The OS key store as the shell uses it (Electron's safeStorage has this shape). */
export interface KeyStore {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  getSelectedStorageBackend?(): string;
}

export const MASTER_KEY_FILE = 'master.key';
const MAGIC = Buffer.from('VMK1');

export type MasterKeyChoice = { source: 'keystore'; key: Buffer } | { source: 'none'; reason: string };

/**
 * Only a store that really encrypts protects the key: on Linux without a keyring Chromium falls
 * back to 'basic_text', a fixed, public password, which would leave the key readable by anyone
 * with the file; that is no better than a device key and is not used.
 */
function storeProtects(store: KeyStore): boolean {
  if (!store.isEncryptionAvailable()) return false;
  if (process.platform === 'linux' && store.getSelectedStorageBackend?.() === 'basic_text') return false;
  return true;
}

/**
 * The desktop's master key (it unlocks the store's key and the crops' data keys): 32 random bytes made once, kept in
 * DATA_DIR/master.key encrypted by the OS key store (Keychain, DPAPI, libsecret/kwallet), so
 * copying the data folder to another machine or account does not copy a usable key. A file that
 * exists but does not open is left alone, never replaced: replacing it would lose the data.
 */
export function loadOrCreateMasterKey(dataDir: string, store: KeyStore): MasterKeyChoice {
  if (!storeProtects(store))
    return {
      source: 'none',
      reason: 'no OS key store is available (a passphrase in VIGIL_PASSPHRASE locks a new folder instead)',
    };
  const file = join(dataDir, MASTER_KEY_FILE);
  if (existsSync(file)) {
    try {
      const bytes = readFileSync(file);
      if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not a Vigil key file');
      const key = Buffer.from(store.decryptString(bytes.subarray(MAGIC.length)), 'base64');
      if (key.length !== 32) throw new Error('wrong key length');
      return { source: 'keystore', key };
    } catch (e) {
      log('error', 'master_key_unreadable', { error: e instanceof Error ? e.message : String(e) });
      return {
        source: 'none',
        reason: `${file} cannot be opened with this account's key store`,
      };
    }
  }
  const key = randomBytes(32);
  const sealed = Buffer.concat([MAGIC, store.encryptString(key.toString('base64'))]);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, sealed, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  log('info', 'master_key_created', {});
  return { source: 'keystore', key };
}

export interface DesktopUnlock {
  /** What Engine.open gets: the OS key store's master key, the passphrase, or neither (device key). */
  options: { masterKey?: Buffer; passphrase?: string };
  /** Why the folder is not protected by the OS key store, for the log and the tray. */
  note: string | null;
}

/**
 * How the desktop opens a data folder. A folder's key source is fixed when it is created
 * (keys.json): one made by the desktop is locked with the OS key store's master key; one made by
 * `vigil serve` keeps its passphrase (VIGIL_PASSPHRASE) or device key, so the same folder still
 * opens in both. A new folder takes the passphrase when VIGIL_PASSPHRASE is set, else the key
 * store's key, else (no usable key store) a device key, which the engine warns about.
 */
export function desktopUnlock(dataDir: string, store: KeyStore = safeStorage): DesktopUnlock {
  const source = readKeyFile(dataDir)?.source;
  const passphrase = process.env.VIGIL_PASSPHRASE;
  if (source === 'passphrase' || (source === undefined && passphrase))
    return { options: passphrase ? { passphrase } : {}, note: null };
  if (source === 'device') return { options: {}, note: 'data protected by device.key only' };
  const choice = loadOrCreateMasterKey(dataDir, store);
  if (choice.source === 'keystore') return { options: { masterKey: choice.key }, note: null };
  if (source === 'external')
    throw new VigilError(
      'STORE_LOCKED',
      `This data folder is locked with the desktop key, but ${choice.reason}.`,
    );
  return { options: {}, note: `data protected by device.key only: ${choice.reason}` };
}
