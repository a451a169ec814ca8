import type { Handlers } from '../context.js';
import { pending } from './pending.js';

export const adminHandlers: Pick<
  Handlers,
  'audit.list' | 'audit.verify' | 'settings.get' | 'settings.set' | 'settings.testChannel'
> = {
  'audit.list': () => pending('audit.list'),
  'audit.verify': () => pending('audit.verify'),
  'settings.get': () => pending('settings.get'),
  'settings.set': () => pending('settings.set'),
  'settings.testChannel': () => pending('settings.testChannel'),
};
