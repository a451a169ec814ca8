import type { AuditView } from '../../contract/contract.js';
import { redactSecrets, validateSetting } from '../../config/settings.js';
import { VigilError } from '../../errors.js';
import { loadManifest } from '../../models/manifest.js';
import { channelsFrom, deliver, type ChannelConfig } from '../../notify/channels.js';
import { executionProvider } from '../../runtime/session.js';
import { appendAudit, verifyAudit } from '../../store/audit.js';
import { DEFAULT_CONFIG, readConfig, writeConfig, type ConfigKey } from '../../store/config.js';
import { actorOf, type Handlers } from '../context.js';

/** The console shows masked passwords; saving the form back must not overwrite the real ones. */
function keepMaskedSecrets(next: ChannelConfig, current: ChannelConfig): ChannelConfig {
  const out = structuredClone(next);
  if (out.smtp?.pass === '***') out.smtp.pass = current.smtp?.pass;
  if (out.mqtt?.password === '***') out.mqtt.password = current.mqtt?.password;
  return out;
}

export const adminHandlers: Pick<
  Handlers,
  'audit.list' | 'audit.verify' | 'settings.get' | 'settings.set' | 'settings.testChannel'
> = {
  'audit.list': (ctx, p) => {
    // Substring filters (the guard types "alice" or "unknown_"), times as bounds on `at`.
    const where: string[] = [];
    const args: string[] = [];
    for (const [col, v] of [
      ['actor', p.actor],
      ['action', p.action],
      ['subject', p.subject],
    ] as const) {
      if (v?.trim()) {
        where.push(`${col} LIKE ? ESCAPE '\\'`);
        args.push(`%${v.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      }
    }
    if (p.from) {
      where.push('at >= ?');
      args.push(new Date(p.from).toISOString());
    }
    if (p.to) {
      where.push('at <= ?');
      args.push(new Date(p.to).toISOString());
    }
    return ctx.engine.db
      .prepare(
        `SELECT audit_id, at, actor, action, subject, details FROM audit_log
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY audit_id DESC LIMIT ?`,
      )
      .all(...args, p.limit) as AuditView[];
  },
  'audit.verify': (ctx) => {
    const v = verifyAudit(ctx.engine.db);
    return { ok: v.ok, rows: v.rows, first_bad: v.firstBad };
  },
  'settings.get': (ctx) => {
    const values: Record<string, unknown> = {};
    for (const k of Object.keys(DEFAULT_CONFIG) as ConfigKey[])
      values[k] = redactSecrets(readConfig(ctx.engine.db, k));
    return {
      values,
      pack: ctx.pack,
      packs: Object.keys(loadManifest().packs),
      execution_provider: executionProvider().provider,
      data_dir: ctx.engine.dataDir,
    };
  },
  'settings.set': (ctx, p) => {
    // Own keys only: "constructor" or "__proto__" are `in` every object.
    if (!Object.hasOwn(DEFAULT_CONFIG, p.key))
      throw new VigilError('INVALID_ARGUMENT', `There is no setting called ${p.key}.`);
    const key = p.key as ConfigKey;
    const db = ctx.engine.db;
    let value = validateSetting(key, p.value);
    if (key === 'alert_channels')
      value = keepMaskedSecrets(value as ChannelConfig, readConfig(db, 'alert_channels')) as typeof value;
    db.transaction(() => {
      // Before and after, so the audit log reads "0.42 → 0.45"; channel settings hold secrets and
      // are recorded by name only.
      const details =
        key === 'alert_channels'
          ? undefined
          : {
              before: JSON.stringify(readConfig(db, key)).slice(0, 500),
              after: JSON.stringify(value).slice(0, 500),
            };
      writeConfig(db, key, value);
      appendAudit(db, {
        actor: actorOf(ctx),
        action: 'configuration_changed',
        subject: key,
        ...(details ? { details } : {}),
      });
    }).immediate();
    return { ok: true };
  },
  'settings.testChannel': async (ctx, p) => {
    const cfg = readConfig(ctx.engine.db, 'alert_channels');
    const channel = channelsFrom({ [p.channel]: cfg[p.channel] } as ChannelConfig)[0];
    if (!channel)
      return { ok: false, message: `No ${p.channel} channel is configured; save its settings first.` };
    const [r] = await deliver([channel], {
      alert_id: 0,
      type: 'test',
      priority: 'low',
      message: 'Vigil test alert: this channel works.',
      camera_id: null,
      person_id: null,
      created_at: new Date().toISOString(),
    });
    appendAudit(ctx.engine.db, { actor: actorOf(ctx), action: 'alert_channel_tested', subject: p.channel });
    return r?.ok
      ? { ok: true, message: `Test alert sent through ${p.channel}.` }
      : { ok: false, message: `The ${p.channel} channel failed: ${r?.error ?? 'unknown error'}.` };
  },
};
