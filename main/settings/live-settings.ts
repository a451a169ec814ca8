import { settingProblem } from '../config/settings.js';
import { log } from '../log.js';
import type { Store } from '../store/store.js';
import {
  envName,
  SETTING_DEFAULTS,
  settingsSchema,
  type CameraOverrides,
  type SettingKey,
  type Settings,
  type SettingSource,
} from '../config/schema.js';

export type SettingsListener = (next: Settings, previous: Settings, changed: ReadonlySet<string>) => void;

const KEYS = Object.keys(SETTING_DEFAULTS) as SettingKey[];

/** One value for a setting from text (a stored row or an environment variable), or why not. */
function parseLayer(
  key: SettingKey,
  text: string,
  from: string,
): { ok: true; value: unknown } | { ok: false } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // VIGIL_KIOSK=true parses as JSON; a bare word is taken as a string (and then validated).
    raw = text;
  }
  const r = settingsSchema.shape[key].removeDefault().safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  // A bad value is never used and never stops the engine: the layer below applies instead.
  log('error', 'setting_invalid', { key, from, error: settingProblem(key, r.error) });
  return { ok: false };
}

/**
 * Builds the configuration object: defaults → manifest (the recognizer's calibrated thresholds,
 * applied by Engine.thresholds) → stored settings → environment → per-camera overrides.
 */
export function buildSettings(
  rows: readonly { key: string; value: string }[],
  cameras: readonly {
    camera_id: string;
    recognition_threshold: number | null;
    unknown_threshold: number | null;
    fps: number | null;
  }[],
  env: NodeJS.ProcessEnv = process.env,
): Settings {
  const values: Record<string, unknown> = { ...SETTING_DEFAULTS };
  const sources = Object.fromEntries(KEYS.map((k) => [k, 'default'])) as Record<SettingKey, SettingSource>;
  for (const { key, value } of rows) {
    if (!Object.hasOwn(SETTING_DEFAULTS, key)) continue;
    const r = parseLayer(key as SettingKey, value, 'store');
    if (r.ok) {
      values[key] = r.value;
      sources[key as SettingKey] = 'stored';
    }
  }
  for (const key of KEYS) {
    const text = env[envName(key)];
    if (text === undefined || text === '') continue;
    const r = parseLayer(key, text, envName(key));
    if (r.ok) {
      values[key] = r.value;
      sources[key] = 'environment';
    }
  }
  const camerasById: Record<string, CameraOverrides> = {};
  for (const c of cameras)
    camerasById[c.camera_id] = {
      recognition: c.recognition_threshold,
      unknown: c.unknown_threshold,
      fps: c.fps,
    };
  return { ...(values as Omit<Settings, 'cameras' | 'sources'>), cameras: camerasById, sources };
}

/**
 * The data folder's configuration, loaded once and held in memory: the live pipeline and the
 * alert engine read `current` (never the database per frame) and subscribe to changes. A change
 * made in this process is published by refresh(); one made by another process (`vigil config
 * set` while a server runs) is noticed by watch(), which compares the stored rows every second.
 */
export class LiveSettings {
  private value: Settings;
  private fingerprint: string;
  private readonly listeners = new Set<SettingsListener>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<Store, 'settings' | 'cameras' | 'isOpen'>,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    const { settings, fingerprint } = this.read();
    this.value = settings;
    this.fingerprint = fingerprint;
  }

  get current(): Settings {
    return this.value;
  }

  /** Called with the new and previous settings and the names of what changed; returns unsubscribe. */
  subscribe(fn: SettingsListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  private read(): { settings: Settings; fingerprint: string } {
    const rows = this.store.settings.storedRows();
    const cameras = this.store.cameras.list();
    const fingerprint = JSON.stringify([
      rows,
      cameras.map((c) => [c.camera_id, c.recognition_threshold, c.unknown_threshold, c.fps]),
    ]);
    return { settings: buildSettings(rows, cameras, this.env), fingerprint };
  }

  /** Re-reads the store; when anything changed, publishes it. True when it changed. */
  refresh(): boolean {
    const { settings, fingerprint } = this.read();
    if (fingerprint === this.fingerprint) return false;
    this.fingerprint = fingerprint;
    const previous = this.value;
    this.value = settings;
    const changed = new Set<string>();
    for (const k of [...KEYS, 'cameras'] as const)
      if (JSON.stringify(previous[k]) !== JSON.stringify(settings[k])) changed.add(k);
    if (changed.size === 0) return false;
    log('info', 'settings_changed', { keys: [...changed].join(',') });
    for (const fn of this.listeners) {
      try {
        fn(settings, previous, changed);
      } catch (e) {
        // One subscriber failing to apply a setting must not keep it from the others.
        log('error', 'settings_apply_failed', { keys: [...changed].join(','), error: (e as Error).message });
      }
    }
    return true;
  }

  /** Polls the store (another process may write it) until close(); 1 s keeps changes under 2 s. */
  watch(intervalMs = 1000): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      if (!this.store.isOpen) return;
      try {
        this.refresh();
      } catch (e) {
        log('error', 'settings_refresh_failed', { error: (e as Error).message });
      }
    }, intervalMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
