import { z } from 'zod';
import { VigilError } from '../errors.js';
import { EDITABLE_SETTINGS, settingsSchema, type SettingKey, type StoredSettings } from './schema.js';

/** What a setting's value may be, in words ("a whole number from 1 to 3650"), where it is simple. */
export function allowedValues(schema: z.ZodTypeAny): string | null {
  let s: z.ZodTypeAny = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable)
    s = s._def.innerType as z.ZodTypeAny;
  if (s instanceof z.ZodNumber) {
    const what = s.isInt ? 'a whole number' : 'a number';
    const { minValue: min, maxValue: max } = s;
    if (min !== null && max !== null) return `${what} from ${min} to ${max}`;
    if (min !== null) return `${what} of at least ${min}`;
    if (max !== null) return `${what} of at most ${max}`;
    return what;
  }
  if (s instanceof z.ZodBoolean) return 'true or false';
  if (s instanceof z.ZodEnum) return `one of ${(s.options as string[]).join(', ')}`;
  if (s instanceof z.ZodObject || s instanceof z.ZodRecord) return 'a JSON object';
  return null;
}

/** The keys an object inside a setting takes, found by following `path` through the schema. */
function objectKeys(schema: z.ZodTypeAny, path: (string | number)[]): string[] | null {
  let s: z.ZodTypeAny = schema;
  for (let i = 0; ; i++) {
    while (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable)
      s = s._def.innerType as z.ZodTypeAny;
    if (i === path.length) return s instanceof z.ZodObject ? Object.keys(s.shape as object) : null;
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodTypeAny>)[path[i]!]!;
    else if (s instanceof z.ZodRecord) s = s.valueSchema as z.ZodTypeAny;
    else if (s instanceof z.ZodArray) s = s.element as z.ZodTypeAny;
    else return null;
    if (!s) return null;
  }
}

/**
 * Why a value is refused, naming the part at fault and, for a value that is wrong as a whole,
 * what is allowed: "must be a whole number from 1 to 3650", "webhook.url invalid url".
 */
export function settingProblem(key: SettingKey, error: z.ZodError): string {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const known = objectKeys(settingsSchema.shape[key], issue.path);
    const where = issue.path.length ? ` in ${issue.path.join('.')}` : '';
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}${where}${known ? `; known: ${known.join(', ')}` : ''}`;
  }
  const allowed = issue.path.length === 0 ? allowedValues(settingsSchema.shape[key]) : null;
  if (allowed) return `must be ${allowed}`;
  return `${issue.path.join('.') || 'value'} ${issue.message.toLowerCase()}`;
}

/** The validated value, or a sentence naming what is wrong; the console and `vigil config set` both validate here. */
export function validateSetting<K extends SettingKey>(key: K, value: unknown): StoredSettings[K] {
  if (!EDITABLE_SETTINGS.includes(key))
    throw new VigilError('INVALID_ARGUMENT', `${key} cannot be changed here.`);
  // The default is for a missing row, never for a missing value: "set" without one is refused.
  const r = settingsSchema.shape[key].removeDefault().safeParse(value);
  if (!r.success)
    throw new VigilError('INVALID_ARGUMENT', `Invalid ${key}: ${settingProblem(key, r.error)}.`);
  return r.data as StoredSettings[K];
}

/** Settings as shown to people: passwords of alert channels masked. */
export function redactSecrets<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (n, x: unknown) => (n === 'pass' || n === 'password' ? '***' : x)),
  ) as T;
}
