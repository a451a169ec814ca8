import type { Handlers } from '../context.js';
import { pending } from './pending.js';

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
  'unknowns.list': () => pending('unknowns.list'),
  'unknowns.get': () => pending('unknowns.get'),
  'unknowns.crop': () => pending('unknowns.crop'),
  'unknowns.identify': () => pending('unknowns.identify'),
  'unknowns.convert': () => pending('unknowns.convert'),
  'unknowns.dismiss': () => pending('unknowns.dismiss'),
  'unknowns.notThisPerson': () => pending('unknowns.notThisPerson'),
  'unknowns.merge': () => pending('unknowns.merge'),
};
