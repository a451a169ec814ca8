import { loadManifest } from '../../catalogue/manifest.js';
import { channelsFrom, deliver, type ChannelConfig } from '../../notify/channels.js';
import { executionProvider } from '../../runtime/session.js';
import { changeSetting, shownSettings } from '../../services/settings.js';
import { actorOf, type Handlers } from '../context.js';

export const adminHandlers: Pick<
  Handlers,
  'audit.list' | 'audit.verify' | 'settings.get' | 'settings.set' | 'settings.testChannel'
> = {
  'audit.list': (ctx, p) =>
    // Substring filters (the guard types "alice" or "unknown_"), times as bounds on `at`.
    ctx.engine.store.audit.list({
      actor: p.actor?.trim() || undefined,
      action: p.action?.trim() || undefined,
      subject: p.subject?.trim() || undefined,
      from: p.from ? new Date(p.from).toISOString() : undefined,
      to: p.to ? new Date(p.to).toISOString() : undefined,
      limit: p.limit,
    }),
  'audit.verify': (ctx) => {
    const v = ctx.engine.store.audit.verify();
    return { ok: v.ok, rows: v.rows, first_bad: v.firstBad };
  },
  'settings.get': (ctx) => ({
    values: shownSettings(ctx.engine),
    pack: ctx.pack,
    packs: Object.keys(loadManifest().packs),
    execution_provider: executionProvider().provider,
    data_dir: ctx.engine.dataDir,
  }),
  'settings.set': (ctx, p) => {
    const r = changeSetting(ctx.engine, actorOf(ctx), p.key, p.value);
    return { ok: true, applied: r.applied, message: r.message };
  },
  'settings.testChannel': async (ctx, p) => {
    // What is stored and in effect now (the console tests what it saved).
    ctx.engine.settings.refresh();
    const cfg = ctx.engine.settings.current.alert_channels;
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
    ctx.engine.store.audit.append({
      actor: actorOf(ctx),
      action: 'alert_channel_tested',
      subject: p.channel,
    });
    return r?.ok
      ? { ok: true, message: `Test alert sent through ${p.channel}.` }
      : { ok: false, message: `The ${p.channel} channel failed: ${r?.error ?? 'unknown error'}.` };
  },
};
