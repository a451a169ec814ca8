import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { VigilError } from '../errors.js';
import type { ConfigKey, ConfigValue } from '../store/config.js';

const channelsSchema = z
  .object({
    webhook: z.object({ url: z.string().url() }).strict().optional(),
    mqtt: z
      .object({
        url: z.string().regex(/^mqtts?:\/\//, 'must start with mqtt:// or mqtts://'),
        topic: z.string().min(1),
        username: z.string().optional(),
        password: z.string().optional(),
      })
      .strict()
      .optional(),
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535),
        secure: z.boolean().optional(),
        user: z.string().optional(),
        pass: z.string().optional(),
        from: z.string().min(3),
        to: z.array(z.string().min(3)).min(1),
      })
      .strict()
      .optional(),
  })
  .strict();

/** What each setting may hold; the console and `vigil config set` both validate here. */
const schemas: Partial<Record<ConfigKey, z.ZodTypeAny>> = {
  retention_days: z.number().int().min(1).max(3650),
  max_embeddings_per_person: z.number().int().min(1).max(20),
  thresholds: z.record(
    // Keyed by model id; "__proto__" and the like are refused, never silently dropped.
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'must be a model id'),
    z
      .object({
        recognition: z.number().min(0).max(1).optional(),
        unknown: z.number().min(0).max(1).optional(),
      })
      .strict(),
  ),
  alert_channels: channelsSchema,
  detection_tiles: z.boolean(),
  kiosk: z.boolean(),
  backup_schedule: z
    .object({
      enabled: z.boolean(),
      folder: z
        .string()
        .min(1)
        .refine((f) => isAbsolute(f), 'must be an absolute path')
        .nullable(),
      keep: z.number().int().min(1).max(365),
      hour: z.number().int().min(0).max(23),
    })
    .strict(),
  alert_rules: z
    .object({
      recurringThreshold: z.number().int().min(1).optional(),
      recurringWindowMs: z.number().int().min(60_000).optional(),
      offlineGraceMs: z.number().int().min(0).optional(),
      cooldownMs: z.number().int().min(0).optional(),
    })
    .strict(),
};

/** The validated value, or a sentence naming what is wrong. */
export function validateSetting<K extends ConfigKey>(key: K, value: unknown): ConfigValue<K> {
  const schema = Object.hasOwn(schemas, key) ? schemas[key] : undefined;
  if (!schema) throw new VigilError('INVALID_ARGUMENT', `${key} cannot be changed here.`);
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new VigilError(
      'INVALID_ARGUMENT',
      `Invalid ${key}: ${issue.path.join('.') || 'value'} ${issue.message.toLowerCase()}.`,
    );
  }
  return r.data as ConfigValue<K>;
}

/** Settings as shown to people: passwords of alert channels masked. */
export function redactSecrets<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (n, x: unknown) => (n === 'pass' || n === 'password' ? '***' : x)),
  ) as T;
}
