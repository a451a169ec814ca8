import type { Handlers } from '../context.js';
import { pending } from './pending.js';

export const dashboardHandlers: Pick<Handlers, 'dashboard.summary' | 'system.info'> = {
  'dashboard.summary': () => pending('dashboard.summary'),
  'system.info': () => pending('system.info'),
};
