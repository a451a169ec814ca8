import { VigilError } from '../errors.js';
import { acknowledgeAlert, resolveAlert } from '../notify/alerts.js';
import { changeSetting, settingKey, shownSettings } from '../services/settings.js';
import { DEFAULT_CONFIG } from '../store/config.js';
import { UsageError } from './output.js';
import type { GlobalOptions } from './vigil.js';
import { withEngine } from './with-engine.js';

export function runAlerts(g: GlobalOptions, args: string[], notes?: string): Promise<number> {
  const [sub, idArg] = args;
  return withEngine(g, (e) => {
    if (sub === 'list') {
      const rows = e.store.alerts.all();
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
    const ok = e.store.transaction(() => {
      const done =
        sub === 'ack' ? acknowledgeAlert(e.store, id, 'cli', notes) : resolveAlert(e.store, id, notes);
      if (done)
        e.store.audit.append({
          actor: 'cli',
          action: `alert_${sub === 'ack' ? 'acknowledged' : 'resolved'}`,
          subject: String(id),
        });
      return done;
    }, 'immediate');
    if (!ok) throw new VigilError('NOT_FOUND', `No open alert #${id}.`);
    g.out.result(
      { alert_id: id, status: sub === 'ack' ? 'acknowledged' : 'resolved' },
      () => `Alert #${id} ${sub === 'ack' ? 'acknowledged' : 'resolved'}.`,
    );
    return 0;
  });
}

/** vigil config get KEY | set KEY JSON — validated, audited, secrets never echoed (the console's rules). */
export function runConfig(g: GlobalOptions, args: string[]): Promise<number> {
  const [sub, key, value] = args;
  // Own keys only: "constructor" or "__proto__" are `in` every object.
  if (!key || !Object.hasOwn(DEFAULT_CONFIG, key)) {
    throw new UsageError(`config takes get|set KEY; keys: ${Object.keys(DEFAULT_CONFIG).join(', ')}`);
  }
  const k = settingKey(key);
  return withEngine(g, (e) => {
    if (sub === 'get') {
      const shown = shownSettings(e)[k];
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
    const r = changeSetting(e, 'cli', k, parsed);
    g.out.result({ key: k, updated: true }, () => r.message);
    return 0;
  });
}
