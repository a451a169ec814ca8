import type { Handlers } from '../context.js';
import { pending } from './pending.js';

export const authHandlers: Pick<
  Handlers,
  | 'auth.status'
  | 'auth.setup'
  | 'auth.login'
  | 'auth.logout'
  | 'auth.changePassword'
  | 'users.list'
  | 'users.add'
  | 'users.setPassword'
  | 'users.remove'
  | 'kiosk.unlock'
> = {
  'auth.status': () => pending('auth.status'),
  'auth.setup': () => pending('auth.setup'),
  'auth.login': () => pending('auth.login'),
  'auth.logout': () => pending('auth.logout'),
  'auth.changePassword': () => pending('auth.changePassword'),
  'users.list': () => pending('users.list'),
  'users.add': () => pending('users.add'),
  'users.setPassword': () => pending('users.setPassword'),
  'users.remove': () => pending('users.remove'),
  'kiosk.unlock': () => pending('kiosk.unlock'),
};
