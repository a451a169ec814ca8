import { VigilError } from '../errors.js';
import { SHARED_KEYS_META } from '../store/config.js';
import type { AuditRepository, MetaRepository } from '../store/repositories.js';
import { deriveAuditKey, openAuditKey, sealAuditKey } from './audit-key.js';
import { parseKeyFile, type KeyFile } from './key-file.js';
import { fromPassphrase, keyCheck, newPassphraseKdf, timingSafeEqualB64, type MasterKey } from './keys.js';

/*
 * The key document of a shared store is what keys.json is to a data folder (scrypt salt, key
 * check, the sealed audit key), kept in the store itself (meta key SHARED_KEYS_META) so that every
 * node derives the same master key from the cluster's passphrase. It opens nothing without it.
 */

/** What the unlock needs of a store: its meta rows, its audit log and a write lock. */
export interface KeyedStore {
  meta: MetaRepository;
  audit: Pick<AuditRepository, 'lastId' | 'useKey'>;
  transaction<T>(fn: () => T, mode?: 'deferred' | 'immediate'): T;
}

function readDocument(store: KeyedStore, display: string): KeyFile | undefined {
  const text = store.meta.read(SHARED_KEYS_META);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const doc = parseKeyFile(parsed);
  if (!doc)
    throw new VigilError(
      'STORE_CORRUPT',
      `The key document of the shared store ${display} is damaged: restore the store from a backup.`,
    );
  return doc;
}

/**
 * The key document for a store that has none yet (a fresh `vigil store init`), made under the
 * store's write lock: two nodes starting together on an empty store agree on one salt.
 */
function createDocument(store: KeyedStore, passphrase: string, display: string): KeyFile {
  return store.transaction(() => {
    const raced = readDocument(store, display);
    if (raced) return raced;
    if (passphrase.length < 8)
      throw new VigilError('INVALID_ARGUMENT', 'The passphrase must be at least 8 characters long.');
    const kdf = newPassphraseKdf();
    const key = fromPassphrase(passphrase, { kdf });
    try {
      // Derived, as a folder's is, so the key is the same whichever node made the document.
      const auditKey = deriveAuditKey(key);
      const doc: KeyFile = {
        version: 1,
        source: 'passphrase',
        kdf,
        key_check: keyCheck(key),
        store: null,
        audit: sealAuditKey(key, auditKey),
        audit_legacy_until: store.audit.lastId(),
      };
      store.meta.write(SHARED_KEYS_META, JSON.stringify(doc));
      return doc;
    } finally {
      key.fill(0);
    }
  }, 'immediate');
}

/**
 * Unlocks a shared store with the cluster's passphrase: derives the master key from the store's
 * key document (creating the document on first use), checks it, and gives the audit log its key.
 * Crops and the audit key are sealed with this master key, so every node must use the same
 * passphrase; a node without one, or with another, is refused with a sentence before it writes.
 */
export function unlockSharedStore(
  store: KeyedStore,
  opts: { passphrase: string | undefined; display: string },
): MasterKey {
  if (opts.passphrase === undefined)
    throw new VigilError(
      'STORE_LOCKED',
      `The shared store ${opts.display} is unlocked by the cluster's passphrase: set VIGIL_PASSPHRASE or use --passphrase-file (the same on every node).`,
    );
  const doc = readDocument(store, opts.display) ?? createDocument(store, opts.passphrase, opts.display);
  if (doc.source !== 'passphrase' || !doc.kdf)
    throw new VigilError(
      'STORE_LOCKED',
      `The shared store ${opts.display} holds data sealed with a ${doc.source === 'device' ? 'device key (device.key)' : "desktop app's key"}, which nodes cannot share: lock the original data folder with a passphrase, then copy it again with "vigil store migrate-from --force".`,
    );
  const key = fromPassphrase(opts.passphrase, doc);
  if (!timingSafeEqualB64(keyCheck(key), doc.key_check)) {
    key.fill(0);
    throw new VigilError(
      'STORE_LOCKED',
      `Wrong passphrase: it does not unlock the shared store ${opts.display}.`,
    );
  }
  if (doc.audit) {
    const auditKey = openAuditKey(key, doc.audit);
    if (!auditKey) {
      key.fill(0);
      throw new VigilError(
        'STORE_CORRUPT',
        `The audit key in the shared store ${opts.display} is damaged: restore the store from a backup.`,
      );
    }
    store.audit.useKey(auditKey, doc.audit_legacy_until ?? 0);
  }
  return key;
}

/**
 * The key document a copied data folder brings with it (`vigil store migrate-from`): its
 * passphrase parameters and sealed audit key, without the folder's database key, which only
 * opens the folder's own file. Crops copied byte for byte stay readable with the same passphrase.
 */
export function sharedDocumentFrom(folder: KeyFile): string {
  const doc: KeyFile = { ...folder, store: null };
  return JSON.stringify(doc);
}
