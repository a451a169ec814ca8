import type { AlertView } from '../../contract/contract.js';
import { VigilError } from '../../errors.js';
import { acknowledgeAlert, resolveAlert } from '../../notify/alerts.js';
import { appendAudit } from '../../store/audit.js';
import { actorOf, type ApiContext, type Handlers } from '../context.js';

function getAlert(ctx: ApiContext, id: number): AlertView {
  const a = ctx.engine.db.prepare('SELECT * FROM alerts WHERE alert_id = ?').get(id) as AlertView | undefined;
  if (!a) throw new VigilError('NOT_FOUND', `No alert #${id}.`);
  return a;
}

function change(
  ctx: ApiContext,
  id: number,
  notes: string | null | undefined,
  to: 'acknowledged' | 'resolved',
) {
  const db = ctx.engine.db;
  const actor = actorOf(ctx);
  const done = db
    .transaction(() => {
      const ok =
        to === 'acknowledged'
          ? acknowledgeAlert(db, id, ctx.user?.username ?? actor, notes ?? undefined)
          : resolveAlert(db, id, notes ?? undefined);
      if (ok)
        appendAudit(db, {
          actor,
          action: to === 'acknowledged' ? 'alert_acknowledged' : 'alert_resolved',
          subject: String(id),
        });
      return ok;
    })
    .immediate();
  const current = getAlert(ctx, id);
  if (!done)
    throw new VigilError(
      'CONFLICT',
      `Alert #${id} is already ${current.status}; it cannot be ${to === 'acknowledged' ? 'acknowledged' : 'resolved'} again.`,
    );
  return current;
}

export const alertsHandlers: Pick<Handlers, 'alerts.list' | 'alerts.acknowledge' | 'alerts.resolve'> = {
  'alerts.list': (ctx, p) => {
    const where: string[] = [];
    const args: (string | number)[] = [];
    for (const [col, v] of [
      ['type', p.type],
      ['priority', p.priority],
      ['status', p.status],
      ['camera_id', p.camera_id],
    ] as const) {
      if (v) {
        where.push(`${col} = ?`);
        args.push(v);
      }
    }
    const sql = `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at DESC, alert_id DESC LIMIT ?`;
    return ctx.engine.db.prepare(sql).all(...args, p.limit) as AlertView[];
  },
  'alerts.acknowledge': (ctx, p) => change(ctx, p.id, p.notes, 'acknowledged'),
  'alerts.resolve': (ctx, p) => change(ctx, p.id, p.notes, 'resolved'),
};
