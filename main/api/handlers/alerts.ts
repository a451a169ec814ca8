import type { Handlers } from '../context.js';
import { pending } from './pending.js';

export const alertsHandlers: Pick<Handlers, 'alerts.list' | 'alerts.acknowledge' | 'alerts.resolve'> = {
  'alerts.list': () => pending('alerts.list'),
  'alerts.acknowledge': () => pending('alerts.acknowledge'),
  'alerts.resolve': () => pending('alerts.resolve'),
};
