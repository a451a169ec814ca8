import type { Handlers } from '../context.js';
import { pending } from './pending.js';

export const reportsHandlers: Pick<Handlers, 'reports.export'> = {
  'reports.export': () => pending('reports.export'),
};
