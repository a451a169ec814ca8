import type { Handlers } from '../context.js';
import { pending } from './pending.js';

export const subjectsHandlers: Pick<
  Handlers,
  'subjects.export' | 'subjects.erase' | 'subjects.restrict' | 'consent.record' | 'consent.withdraw'
> = {
  'subjects.export': () => pending('subjects.export'),
  'subjects.erase': () => pending('subjects.erase'),
  'subjects.restrict': () => pending('subjects.restrict'),
  'consent.record': () => pending('consent.record'),
  'consent.withdraw': () => pending('consent.withdraw'),
};
