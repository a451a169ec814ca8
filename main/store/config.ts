import type Database from 'better-sqlite3';
import type { AlertRules } from '../notify/alerts.js';
import type { ChannelConfig } from '../notify/channels.js';

/** The seed's defaults; a data folder's system_config rows override them. */
export const DEFAULT_CONFIG = {
  retention_days: 30,
  max_embeddings_per_person: 5,
  /** Per recognizer model id: { recognition, unknown } overrides of the manifest's calibration. */
  thresholds: {} as Record<string, { recognition?: number; unknown?: number }>,
  enroll_min_photos: 1,
  enroll_max_photos: 10,
  /** Where alerts go besides the event stream: { webhook?: { url }, smtp?: { host, port, from, to[] } }. */
  alert_channels: {} as ChannelConfig,
  alert_rules: {} as Partial<AlertRules>,
  /** Search half-frame tiles for small faces on live cameras (slower, finds more far faces). */
  detection_tiles: false,
  /** The desktop app opens as the locked enrollment kiosk (as with --kiosk). */
  kiosk: false,
  /** Daily encrypted backups made by the running engine (see backup/schedule.ts). */
  backup_schedule: { enabled: false, folder: null as string | null, keep: 7, hour: 2 },
};

export type ConfigKey = keyof typeof DEFAULT_CONFIG;
export type ConfigValue<K extends ConfigKey> = (typeof DEFAULT_CONFIG)[K];

export function readConfig<K extends ConfigKey>(db: Database.Database, key: K): ConfigValue<K> {
  const row = db.prepare('SELECT value FROM system_config WHERE key = ?').get(key) as
    { value: string } | undefined;
  return row ? (JSON.parse(row.value) as ConfigValue<K>) : DEFAULT_CONFIG[key];
}

export function writeConfig<K extends ConfigKey>(db: Database.Database, key: K, value: ConfigValue<K>): void {
  db.prepare(
    'INSERT INTO system_config (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  ).run(key, JSON.stringify(value));
}

/** Internal keys that bind a data folder to the model that produced its vectors. */
export function readMeta(db: Database.Database, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM system_config WHERE key = ?').get(`meta.${key}`) as
    { value: string } | undefined;
  return row ? (JSON.parse(row.value) as string) : undefined;
}

export function writeMeta(db: Database.Database, key: string, value: string): void {
  db.prepare(
    'INSERT INTO system_config (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  ).run(`meta.${key}`, JSON.stringify(value));
}
