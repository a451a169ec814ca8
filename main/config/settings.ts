import { VigilError } from '../errors.js';
import { EDITABLE_SETTINGS, settingsSchema, type SettingKey, type StoredSettings } from './schema.js';

/** The validated value, or a sentence naming what is wrong; the console and `vigil config set` both validate here. */
export function validateSetting<K extends SettingKey>(key: K, value: unknown): StoredSettings[K] {
  if (!EDITABLE_SETTINGS.includes(key))
    throw new VigilError('INVALID_ARGUMENT', `${key} cannot be changed here.`);
  // The default is for a missing row, never for a missing value: "set" without one is refused.
  const r = settingsSchema.shape[key].removeDefault().safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new VigilError(
      'INVALID_ARGUMENT',
      `Invalid ${key}: ${issue.path.join('.') || 'value'} ${issue.message.toLowerCase()}.`,
    );
  }
  return r.data as StoredSettings[K];
}

/** Settings as shown to people: passwords of alert channels masked. */
export function redactSecrets<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (n, x: unknown) => (n === 'pass' || n === 'password' ? '***' : x)),
  ) as T;
}
