import {
  convertUnknown,
  dismissUnknown,
  identifyUnknown,
  listUnknownViews,
  mergeUnknownInto,
  removeSighting,
  unknownDetail,
  viewCrop,
} from '../../decide/review.js';
import { actorOf, type Handlers } from '../context.js';

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
> = {
  'unknowns.list': (ctx, p) => listUnknownViews(ctx.engine.db, p),
  'unknowns.get': (ctx, p) => unknownDetail(ctx.engine.db, p.id),
  'unknowns.crop': (ctx, p) => ({
    mime: 'image/jpeg',
    data: viewCrop(ctx.engine, p.id, actorOf(ctx)).toString('base64'),
  }),
  'unknowns.identify': (ctx, p) =>
    identifyUnknown(ctx.engine, p.id, { name: p.name, type: p.type, notes: p.notes }, actorOf(ctx)),
  'unknowns.convert': (ctx, p) => convertUnknown(ctx.engine, p.id, p.member, actorOf(ctx)),
  'unknowns.dismiss': (ctx, p) => dismissUnknown(ctx.engine, p.id, p.notes ?? null, actorOf(ctx)),
  'unknowns.notThisPerson': (ctx, p) => removeSighting(ctx.engine, p.id, p.appearance_id, actorOf(ctx)),
  'unknowns.merge': (ctx, p) => mergeUnknownInto(ctx.engine, p.keep, p.merge, actorOf(ctx)),
};
