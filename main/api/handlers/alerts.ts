import type { AlertView } from '../../contract/contract.js';
import { VigilError } from '../../errors.js';
import { acknowledgeAlert, resolveAlert } from '../../notify/alerts.js';
import { actorOf, type ApiContext, type Handlers } from '../context.js';

/**
 * Alerts with who and where in words: the member's name (the unknown's id), the camera's name and
 * whether the unknown's face crop exists. Crops themselves are fetched (and audited) one by one.
 */
function getAlert(ctx: ApiContext, id: number): AlertView {
  const a = ctx.engine.store.alerts.get(id);
  if (!a) throw new VigilError('NOT_FOUND', `No alert #${id}.`);
  return a;
}

function change(
  ctx: ApiContext,
  id: number,
  notes: string | null | undefined,
  to: 'acknowledged' | 'resolved',
) {
  const store = ctx.engine.store;
  const actor = actorOf(ctx);
  const done = store.transaction(() => {
    const ok =
      to === 'acknowledged'
        ? acknowledgeAlert(store, id, ctx.user?.username ?? actor, notes ?? undefined)
        : resolveAlert(store, id, notes ?? undefined);
    if (ok)
      store.audit.append({
        actor,
        action: to === 'acknowledged' ? 'alert_acknowledged' : 'alert_resolved',
        subject: String(id),
      });
    return ok;
  }, 'immediate');
  const current = getAlert(ctx, id);
  if (done) ctx.broadcast({ type: 'alert_status', alert_ids: [id], status: to });
  if (!done)
    throw new VigilError(
      'CONFLICT',
      `Alert #${id} is already ${current.status}; it cannot be ${to === 'acknowledged' ? 'acknowledged' : 'resolved'} again.`,
    );
  return current;
}

/** Many alerts at once, in one transaction; those already in (or past) that state are skipped. */
function bulk(
  ctx: ApiContext,
  ids: number[],
  action: 'acknowledge' | 'resolve',
  notes: string | null | undefined,
) {
  const store = ctx.engine.store;
  const actor = actorOf(ctx);
  const changed = store.transaction(() => {
    const done: number[] = [];
    for (const id of new Set(ids)) {
      const ok =
        action === 'acknowledge'
          ? acknowledgeAlert(store, id, ctx.user?.username ?? actor, notes ?? undefined)
          : resolveAlert(store, id, notes ?? undefined);
      if (ok) done.push(id);
    }
    if (done.length)
      store.audit.append({
        actor,
        action: action === 'acknowledge' ? 'alerts_acknowledged' : 'alerts_resolved',
        subject: null,
        details: { count: done.length, alerts: done.slice(0, 50).join(',') },
      });
    return done;
  }, 'immediate');
  if (changed.length)
    ctx.broadcast({
      type: 'alert_status',
      alert_ids: changed,
      status: action === 'acknowledge' ? 'acknowledged' : 'resolved',
    });
  return { changed: changed.length, skipped: new Set(ids).size - changed.length };
}

export const alertsHandlers: Pick<
  Handlers,
  'alerts.list' | 'alerts.acknowledge' | 'alerts.resolve' | 'alerts.bulk'
> = {
  'alerts.list': (ctx, p) =>
    ctx.engine.store.alerts.list({
      type: p.type,
      priority: p.priority,
      status: p.status,
      camera_id: p.camera_id,
      limit: p.limit,
    }),
  'alerts.bulk': (ctx, p) => bulk(ctx, p.ids, p.action, p.notes),
  'alerts.acknowledge': (ctx, p) => change(ctx, p.id, p.notes, 'acknowledged'),
  'alerts.resolve': (ctx, p) => change(ctx, p.id, p.notes, 'resolved'),
};
