import type { Handlers } from '../context.js';
import { pending } from './pending.js';

export const camerasHandlers: Pick<
  Handlers,
  'cameras.list' | 'cameras.add' | 'cameras.update' | 'cameras.remove' | 'cameras.test'
> = {
  'cameras.list': () => pending('cameras.list'),
  'cameras.add': () => pending('cameras.add'),
  'cameras.update': () => pending('cameras.update'),
  'cameras.remove': () => pending('cameras.remove'),
  'cameras.test': () => pending('cameras.test'),
};
