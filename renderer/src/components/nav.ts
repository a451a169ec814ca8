import type { Permission } from '../../../main/contract/roles.js';

export const PAGE_IDS = [
  'live',
  'review',
  'members',
  'alerts',
  'dashboard',
  'reports',
  'settings',
  'audit',
  'users',
  'welcome',
] as const;
export type PageId = (typeof PAGE_IDS)[number];

/** What each page needs; a role without it does not see the page (the engine refuses anyway). */
/** `short`: the label of the folded navigation (narrow windows), distinct for every page. */
export const NAV: readonly { id: PageId; label: string; short: string; permission: Permission }[] = [
  { id: 'live', label: 'Live', short: 'Lv', permission: 'live.view' },
  { id: 'review', label: 'Review', short: 'Rv', permission: 'unknowns.view' },
  { id: 'members', label: 'Members', short: 'Mb', permission: 'members.view' },
  { id: 'alerts', label: 'Alerts', short: 'Al', permission: 'alerts.view' },
  { id: 'dashboard', label: 'Dashboard', short: 'Db', permission: 'live.view' },
  { id: 'reports', label: 'Reports', short: 'Rp', permission: 'reports.export' },
  { id: 'settings', label: 'Settings', short: 'St', permission: 'settings.manage' },
  { id: 'audit', label: 'Audit log', short: 'Au', permission: 'audit.view' },
  { id: 'users', label: 'Users', short: 'Us', permission: 'users.manage' },
  { id: 'welcome', label: 'Getting started', short: 'Go', permission: 'settings.manage' },
];

export function allowedPages(can: (p: Permission) => boolean): PageId[] {
  return NAV.filter((n) => can(n.permission)).map((n) => n.id);
}
