import { envName, SETTING_DEFAULTS, type SettingKey, type StoredSettings } from '../config/schema.js';
import { redactSecrets, validateSetting } from '../config/settings.js';
import type { Engine } from '../engine/engine.js';
import { VigilError } from '../errors.js';
import type { ChannelConfig } from '../notify/channels.js';

export interface SettingChange {
  key: SettingKey;
  /** True when a running engine in this process took the new value (a server elsewhere does within 2 s). */
  applied: boolean;
  /** One sentence for the person who changed it. */
  message: string;
}

/** The setting named by someone (console, CLI), or a sentence: own keys only ("__proto__" is `in` every object). */
export function settingKey(name: string): SettingKey {
  if (!Object.hasOwn(SETTING_DEFAULTS, name))
    throw new VigilError(
      'INVALID_ARGUMENT',
      `There is no setting called ${name}; settings are ${Object.keys(SETTING_DEFAULTS).join(', ')}.`,
    );
  return name as SettingKey;
}

/** The effective settings as shown to people: passwords of alert channels masked. */
export function shownSettings(engine: Engine): Record<SettingKey, unknown> {
  engine.settings.refresh();
  const current = engine.settings.current;
  const out = {} as Record<SettingKey, unknown>;
  for (const k of Object.keys(SETTING_DEFAULTS) as SettingKey[]) out[k] = redactSecrets(current[k]);
  return out;
}

/** The console shows masked passwords; saving the form back must not overwrite the real ones. */
function keepMaskedSecrets(next: ChannelConfig, current: ChannelConfig): ChannelConfig {
  const out = structuredClone(next);
  if (out.smtp?.pass === '***') out.smtp.pass = current.smtp?.pass;
  if (out.mqtt?.password === '***') out.mqtt.password = current.mqtt?.password;
  return out;
}

/**
 * Changes one setting, whoever asks (console or `vigil config set`): validated by the settings
 * schema, written and audited in one transaction, then published to the running engine.
 */
export function changeSetting(engine: Engine, actor: string, name: string, value: unknown): SettingChange {
  const key = settingKey(name);
  let valid = validateSetting(key, value);
  const store = engine.store;
  if (key === 'alert_channels')
    valid = keepMaskedSecrets(
      valid as ChannelConfig,
      engine.settings.current.alert_channels,
    ) as StoredSettings[typeof key];
  store.transaction(() => {
    // Before and after, so the audit log reads "0.42 → 0.45"; channel settings hold secrets and
    // are recorded by name only.
    const details =
      key === 'alert_channels'
        ? undefined
        : {
            before: JSON.stringify(store.settings.read(key)).slice(0, 500),
            after: JSON.stringify(valid).slice(0, 500),
          };
    store.settings.write(key, valid);
    store.audit.append({
      actor,
      action: 'configuration_changed',
      subject: key,
      ...(details ? { details } : {}),
    });
  }, 'immediate');
  engine.settings.refresh();
  if (engine.settings.current.sources[key] === 'environment')
    return {
      key,
      applied: false,
      message: `Saved ${key}, but ${envName(key)} in the engine's environment overrides it; remove that variable for the saved value to apply.`,
    };
  const applied = engine.settings.subscribers > 0;
  return {
    key,
    applied,
    message: applied
      ? `Saved ${key}; the running engine applied it.`
      : `Saved ${key}; a running server applies it within 2 seconds.`,
  };
}
