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
] as const;
export type PageId = (typeof PAGE_IDS)[number];

/** What each page needs; a role without it does not see the page (the engine refuses anyway). */
export const NAV: readonly { id: PageId; label: string; permission: Permission }[] = [
  { id: 'live', label: 'Live', permission: 'live.view' },
  { id: 'review', label: 'Review', permission: 'unknowns.view' },
  { id: 'members', label: 'Members', permission: 'members.view' },
  { id: 'alerts', label: 'Alerts', permission: 'alerts.view' },
  { id: 'dashboard', label: 'Dashboard', permission: 'live.view' },
  { id: 'reports', label: 'Reports', permission: 'reports.export' },
  { id: 'settings', label: 'Settings', permission: 'settings.manage' },
  { id: 'audit', label: 'Audit log', permission: 'audit.view' },
  { id: 'users', label: 'Users', permission: 'users.manage' },
];

export function allowedPages(can: (p: Permission) => boolean): PageId[] {
  return NAV.filter((n) => can(n.permission)).map((n) => n.id);
}
