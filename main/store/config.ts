import type { SqlPort } from './sql-port.js';
import { SETTING_DEFAULTS, type SettingKey, type StoredSettings } from '../config/schema.js';
import type { MetaRepository, SettingsRepository } from './repositories.js';

/** The seed's defaults (from the settings schema); a data folder's system_config rows override them. */
export const DEFAULT_CONFIG: StoredSettings = SETTING_DEFAULTS;

export type ConfigKey = SettingKey;
export type ConfigValue<K extends ConfigKey> = StoredSettings[K];

export function readConfig<K extends ConfigKey>(db: SqlPort, key: K): ConfigValue<K> {
  const row = db.prepare('SELECT value FROM system_config WHERE key = ?').get(key) as
    { value: string } | undefined;
  return row ? (JSON.parse(row.value) as ConfigValue<K>) : DEFAULT_CONFIG[key];
}

export function writeConfig<K extends ConfigKey>(db: SqlPort, key: K, value: ConfigValue<K>): void {
  db.prepare(
    'INSERT INTO system_config (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  ).run(key, JSON.stringify(value));
}

/**
 * Every stored setting row as written (JSON text), without the internal meta.* and probe.* rows:
 * the live settings compare this to notice a change made by another process (`vigil config set`).
 */
export function readStoredSettingRows(db: SqlPort): { key: string; value: string }[] {
  return db
    .prepare(
      "SELECT key, value FROM system_config WHERE key NOT LIKE 'meta.%' AND key NOT LIKE 'probe.%' AND key != 'keys_json' ORDER BY key",
    )
    .all() as { key: string; value: string }[];
}

/** Internal keys that bind a data folder to the model that produced its vectors. */
export function readMeta(db: SqlPort, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM system_config WHERE key = ?').get(`meta.${key}`) as
    { value: string } | undefined;
  return row ? (JSON.parse(row.value) as string) : undefined;
}

export function writeMeta(db: SqlPort, key: string, value: string): void {
  db.prepare(
    'INSERT INTO system_config (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  ).run(`meta.${key}`, JSON.stringify(value));
}

/** The crop key salt and check that lived in the database before keys.json; keys.json holds them now. */
export function dropLegacyKeyMeta(db: SqlPort): void {
  db.prepare("DELETE FROM system_config WHERE key IN ('meta.kdf_salt', 'meta.key_check')").run();
}

/** Stored settings, meta.* keys and per-camera thresholds (system_config and cameras tables). */
export function sqliteSettings(db: SqlPort): SettingsRepository {
  return {
    read: (key) => readConfig(db, key),
    write: (key, value) => writeConfig(db, key, value),
    storedRows: () => readStoredSettingRows(db),
    readMeta: (key) => readMeta(db, key),
    writeMeta: (key, value) => writeMeta(db, key, value),
    cameraThreshold: (cameraId) =>
      db.prepare('SELECT recognition_threshold FROM cameras WHERE camera_id = ?').get(cameraId) as
        { recognition_threshold: number | null } | undefined,
    setCameraThreshold: (cameraId, threshold) => {
      db.prepare('UPDATE cameras SET recognition_threshold = ? WHERE camera_id = ?').run(threshold, cameraId);
    },
  };
}

/** The meta key of a shared store's key document (privacy/shared-keys.ts: what keys.json is to a folder). */
export const SHARED_KEYS_META = 'keys_json';

/** Raw system_config rows (MetaRepository), on either store. */
export function sqlMeta(db: SqlPort): MetaRepository {
  return {
    read: (key) =>
      db.prepare('SELECT value FROM system_config WHERE key = ?').pluck().get(key) as string | undefined,
    write: (key, value) => {
      db.prepare(
        'INSERT INTO system_config (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ).run(key, value);
    },
  };
}
