import {
  assignUnknownToMember,
  convertUnknown,
  dismissUnknown,
  identifyUnknown,
  listUnknownViews,
  mergeUnknownInto,
  removeSighting,
  unknownDetailWithMatches,
  unknownHistory,
  viewCrop,
} from '../../services/review.js';
import { actorOf, type ApiContext, type Handlers } from '../context.js';

/** Alerts about an unknown person that are not resolved yet (before its case is closed). */
function unresolvedAlerts(ctx: ApiContext, unknownId: string): number[] {
  return ctx.engine.store.alerts.unresolvedOf('unknown', unknownId);
}

/** Tells every console which of those alerts the closed case resolved, so their toasts go. */
function announceResolved(ctx: ApiContext, ids: number[]): void {
  if (ids.length === 0) return;
  const resolved = ctx.engine.store.alerts.resolvedAmong(ids);
  if (resolved.length) ctx.broadcast({ type: 'alert_status', alert_ids: resolved, status: 'resolved' });
}

/** Runs a review action that closes `id`'s case and announces the alerts it resolved. */
function closing<T>(ctx: ApiContext, id: string, act: () => T): T {
  const before = unresolvedAlerts(ctx, id);
  const result = act();
  announceResolved(ctx, before);
  return result;
}

/** The review queue of unknown persons; the console refetches after each action. */
export const unknownsHandlers: Pick<
  Handlers,
  | 'unknowns.list'
  | 'unknowns.get'
  | 'unknowns.crop'
  | 'unknowns.identify'
  | 'unknowns.convert'
  | 'unknowns.dismiss'
  | 'unknowns.notThisPerson'
  | 'unknowns.merge'
  | 'unknowns.assign'
  | 'unknowns.history'
> = {
  'unknowns.list': (ctx, p) => listUnknownViews(ctx.engine.store, p),
  'unknowns.get': (ctx, p) => unknownDetailWithMatches(ctx.engine, p.id),
  'unknowns.crop': (ctx, p) => ({
    mime: 'image/jpeg',
    data: viewCrop(ctx.engine, p.id, actorOf(ctx)).toString('base64'),
  }),
  'unknowns.identify': (ctx, p) =>
    closing(ctx, p.id, () =>
      identifyUnknown(ctx.engine, p.id, { name: p.name, type: p.type, notes: p.notes }, actorOf(ctx)),
    ),
  'unknowns.convert': (ctx, p) =>
    closing(ctx, p.id, () => convertUnknown(ctx.engine, p.id, p.member, actorOf(ctx))),
  'unknowns.dismiss': (ctx, p) =>
    closing(ctx, p.id, () => dismissUnknown(ctx.engine, p.id, p.notes ?? null, actorOf(ctx))),
  'unknowns.notThisPerson': (ctx, p) => removeSighting(ctx.engine, p.id, p.appearance_id, actorOf(ctx)),
  'unknowns.merge': (ctx, p) => mergeUnknownInto(ctx.engine, p.keep, p.merge, actorOf(ctx)),
  'unknowns.assign': (ctx, p) =>
    closing(ctx, p.id, () =>
      assignUnknownToMember(ctx.engine, p.id, p.member_id, p.notes ?? null, actorOf(ctx)),
    ),
  'unknowns.history': (ctx, p) => unknownHistory(ctx.engine.store, p),
};
