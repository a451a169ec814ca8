import type { AlertView } from '../../contract/contract.js';
import { VigilError } from '../../errors.js';
import { acknowledgeAlert, resolveAlert } from '../../notify/alerts.js';
import { appendAudit } from '../../store/audit.js';
import { actorOf, type ApiContext, type Handlers } from '../context.js';

/**
 * Alerts with who and where in words: the member's name (the unknown's id), the camera's name and
 * whether the unknown's face crop exists. Crops themselves are fetched (and audited) one by one.
 */
const ALERT_VIEW = `SELECT a.*,
    CASE WHEN a.person_kind = 'member' THEN COALESCE(m.name, a.person_id) ELSE a.person_id END AS person_name,
    CASE WHEN a.camera_id IS NULL THEN NULL ELSE COALESCE(c.name, a.camera_id) END AS camera_name,
    CASE WHEN a.person_kind = 'unknown' AND EXISTS (SELECT 1 FROM unknown_crops k WHERE k.unknown_id = a.person_id)
      THEN 1 ELSE 0 END AS has_crop
  FROM alerts a
  LEFT JOIN members m ON a.person_kind = 'member' AND m.member_id = a.person_id
  LEFT JOIN cameras c ON c.camera_id = a.camera_id`;

type AlertRow = Omit<AlertView, 'has_crop'> & { has_crop: number };
const toView = (r: AlertRow): AlertView => ({ ...r, has_crop: r.has_crop === 1 });

function getAlert(ctx: ApiContext, id: number): AlertView {
  const a = ctx.engine.db.prepare(`${ALERT_VIEW} WHERE a.alert_id = ?`).get(id) as AlertRow | undefined;
  if (!a) throw new VigilError('NOT_FOUND', `No alert #${id}.`);
  return toView(a);
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
  const db = ctx.engine.db;
  const actor = actorOf(ctx);
  const changed = db
    .transaction(() => {
      const done: number[] = [];
      for (const id of new Set(ids)) {
        const ok =
          action === 'acknowledge'
            ? acknowledgeAlert(db, id, ctx.user?.username ?? actor, notes ?? undefined)
            : resolveAlert(db, id, notes ?? undefined);
        if (ok) done.push(id);
      }
      if (done.length)
        appendAudit(db, {
          actor,
          action: action === 'acknowledge' ? 'alerts_acknowledged' : 'alerts_resolved',
          subject: null,
          details: { count: done.length, alerts: done.slice(0, 50).join(',') },
        });
      return done;
    })
    .immediate();
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
  'alerts.list': (ctx, p) => {
    const where: string[] = [];
    const args: (string | number)[] = [];
    for (const [col, v] of [
      ['a.type', p.type],
      ['a.priority', p.priority],
      ['a.status', p.status],
      ['a.camera_id', p.camera_id],
    ] as const) {
      if (v) {
        where.push(`${col} = ?`);
        args.push(v);
      }
    }
    const sql = `${ALERT_VIEW} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY a.created_at DESC, a.alert_id DESC LIMIT ?`;
    return (ctx.engine.db.prepare(sql).all(...args, p.limit) as AlertRow[]).map(toView);
  },
  'alerts.bulk': (ctx, p) => bulk(ctx, p.ids, p.action, p.notes),
  'alerts.acknowledge': (ctx, p) => change(ctx, p.id, p.notes, 'acknowledged'),
  'alerts.resolve': (ctx, p) => change(ctx, p.id, p.notes, 'resolved'),
};
