import type { Handlers } from '../context.js';
import { pending } from './pending.js';

export const membersHandlers: Pick<
  Handlers,
  | 'members.list'
  | 'members.get'
  | 'members.checkPhoto'
  | 'members.enroll'
  | 'members.update'
  | 'members.setStatus'
  | 'members.delete'
> = {
  'members.list': () => pending('members.list'),
  'members.get': () => pending('members.get'),
  'members.checkPhoto': () => pending('members.checkPhoto'),
  'members.enroll': () => pending('members.enroll'),
  'members.update': () => pending('members.update'),
  'members.setStatus': () => pending('members.setStatus'),
  'members.delete': () => pending('members.delete'),
};
