import { z } from 'zod';
import { VigilError } from '../errors.js';
import { acknowledgeAlert, resolveAlert } from '../notify/alerts.js';
import { appendAudit } from '../store/audit.js';
import { DEFAULT_CONFIG, readConfig, writeConfig, type ConfigKey } from '../store/config.js';
import { UsageError } from './output.js';
import type { GlobalOptions } from './vigil.js';
import { withEngine } from './with-engine.js';

export function runAlerts(g: GlobalOptions, args: string[], notes?: string): Promise<number> {
  const [sub, idArg] = args;
  return withEngine(g, (e) => {
    if (sub === 'list') {
      const rows = e.db.prepare('SELECT * FROM alerts ORDER BY created_at DESC, alert_id DESC').all() as {
        alert_id: number;
        priority: string;
        status: string;
        message: string;
        created_at: string;
      }[];
      g.out.result(rows, () =>
        rows.length === 0
          ? 'No alerts.'
          : rows
              .map(
                (a) =>
                  `#${a.alert_id}  ${a.created_at}  ${a.priority.padEnd(8)} ${a.status.padEnd(12)} ${a.message}`,
              )
              .join('\n'),
      );
      return 0;
    }
    if (sub !== 'ack' && sub !== 'resolve')
      throw new UsageError('alerts takes list, ack ID or resolve ID [--notes TEXT]');
    const id = Number(idArg);
    if (!Number.isInteger(id)) throw new UsageError(`alerts ${sub} needs an alert number`);
    const ok = e.db
      .transaction(() => {
        const done = sub === 'ack' ? acknowledgeAlert(e.db, id, 'cli', notes) : resolveAlert(e.db, id, notes);
        if (done)
          appendAudit(e.db, {
            actor: 'cli',
            action: `alert_${sub === 'ack' ? 'acknowledged' : 'resolved'}`,
            subject: String(id),
          });
        return done;
      })
      .immediate();
    if (!ok) throw new VigilError('NOT_FOUND', `No open alert #${id}.`);
    g.out.result(
      { alert_id: id, status: sub === 'ack' ? 'acknowledged' : 'resolved' },
      () => `Alert #${id} ${sub === 'ack' ? 'acknowledged' : 'resolved'}.`,
    );
    return 0;
  });
}

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

const schemas: Partial<Record<ConfigKey, z.ZodTypeAny>> = {
  retention_days: z.number().int().min(1).max(3650),
  max_embeddings_per_person: z.number().int().min(1).max(20),
  thresholds: z.record(
    z
      .object({
        recognition: z.number().min(0).max(1).optional(),
        unknown: z.number().min(0).max(1).optional(),
      })
      .strict(),
  ),
  alert_channels: channelsSchema,
  detection_tiles: z.boolean(),
  alert_rules: z
    .object({
      recurringThreshold: z.number().int().min(1).optional(),
      recurringWindowMs: z.number().int().min(60_000).optional(),
      offlineGraceMs: z.number().int().min(0).optional(),
      cooldownMs: z.number().int().min(0).optional(),
    })
    .strict(),
};

/** vigil config get KEY | set KEY JSON — validated, audited, secrets never echoed. */
export function runConfig(g: GlobalOptions, args: string[]): Promise<number> {
  const [sub, key, value] = args;
  if (!key || !(key in DEFAULT_CONFIG)) {
    throw new UsageError(`config takes get|set KEY; keys: ${Object.keys(DEFAULT_CONFIG).join(', ')}`);
  }
  const k = key as ConfigKey;
  return withEngine(g, (e) => {
    if (sub === 'get') {
      const v = readConfig(e.db, k);
      const shown =
        k === 'alert_channels'
          ? JSON.parse(JSON.stringify(v, (n, x: unknown) => (n === 'pass' || n === 'password' ? '***' : x)))
          : v;
      g.out.result({ key: k, value: shown }, () => `${k} = ${JSON.stringify(shown)}`);
      return 0;
    }
    if (sub !== 'set' || value === undefined) throw new UsageError('config set KEY JSON');
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new VigilError('INVALID_ARGUMENT', `The value for ${k} is not valid JSON.`);
    }
    const schema = schemas[k];
    if (!schema) throw new VigilError('INVALID_ARGUMENT', `${k} cannot be changed here.`);
    const r = schema.safeParse(parsed);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new VigilError(
        'INVALID_ARGUMENT',
        `Invalid ${k}: ${issue.path.join('.') || 'value'} ${issue.message.toLowerCase()}.`,
      );
    }
    e.db
      .transaction(() => {
        writeConfig(e.db, k, r.data);
        appendAudit(e.db, { actor: 'cli', action: 'configuration_changed', subject: k });
      })
      .immediate();
    g.out.result({ key: k, updated: true }, () => `Updated ${k}.`);
    return 0;
  });
}
