import { hkdfSync } from 'node:crypto';
import { join } from 'node:path';
import { VigilError } from '../errors.js';
import type { AuditRepository } from '../store/repositories.js';
import { readKeyFile, writeKeyFile, type SealedText } from './key-file.js';
import { open, seal, sealedFromText, sealedToText, type MasterKey } from './keys.js';

export const AUDIT_KEY_AAD = 'vigil-audit-key-v1';

/**
 * Gives the store its audit key: unsealed from keys.json with the master key, or made on the first
 * open of a folder without one. An existing (unkeyed) log keeps its rows; the key's first row
 * records where the keyed chain begins, and keys.json the last unkeyed id, so unkeyed rows added
 * later do not verify.
 */
export function unlockAuditKey(dataDir: string, masterKey: MasterKey, audit: AuditRepository): void {
  const file = readKeyFile(dataDir);
  if (!file) throw new VigilError('DATA_DIR', `The key file of ${dataDir} is missing.`);
  if (file.audit) {
    const key = openAuditKey(masterKey, file.audit);
    if (!key)
      throw new VigilError(
        'STORE_CORRUPT',
        `The audit key in ${join(dataDir, 'keys.json')} is damaged: restore keys.json from a backup of this folder.`,
      );
    audit.useKey(key, file.audit_legacy_until ?? 0);
    return;
  }
  // Derived rather than random: two processes opening an older folder at once (serve and a CLI
  // command) write the same key, so neither one's rows stop verifying.
  const key = deriveAuditKey(masterKey);
  const legacyUntil = audit.lastId();
  writeKeyFile(dataDir, { ...file, audit: sealAuditKey(masterKey, key), audit_legacy_until: legacyUntil });
  audit.useKey(key, legacyUntil);
  if (legacyUntil > 0)
    audit.append({
      actor: 'engine',
      action: 'audit_chain_keyed',
      details: { unkeyed_rows_until: legacyUntil },
    });
}

/** The audit key a master key gives (keys.json and a shared store's key document alike). */
export function deriveAuditKey(masterKey: MasterKey): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), AUDIT_KEY_AAD, 32));
}

/** The audit key sealed by the master key, as key documents keep it. */
export function sealAuditKey(masterKey: MasterKey, key: Buffer): SealedText {
  return sealedToText(seal(masterKey, key, AUDIT_KEY_AAD));
}

/** The audit key unsealed, or null when the sealed copy is damaged (the caller names where it lives). */
export function openAuditKey(masterKey: MasterKey, sealed: SealedText): Buffer | null {
  try {
    return open(masterKey, sealedFromText(sealed), AUDIT_KEY_AAD);
  } catch {
    return null;
  }
}
