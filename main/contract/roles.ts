/**
 * Roles and what each may do. Enforced by the engine at its boundary (IPC and WebSocket) for
 * every request; the console only uses the same table to hide what a role cannot do.
 */
export const PERMISSIONS = [
  'live.view',
  'cameras.manage',
  'members.view',
  'members.enroll',
  'members.edit',
  'members.delete',
  'unknowns.view',
  'unknowns.view_crop',
  'unknowns.resolve',
  'alerts.view',
  'alerts.handle',
  'reports.export',
  'audit.view',
  'settings.manage',
  'users.manage',
  'subjects.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['admin', 'security', 'operator', 'viewer', 'kiosk'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  security: [
    'live.view',
    'members.view',
    'members.enroll',
    'members.edit',
    'unknowns.view',
    'unknowns.view_crop',
    'unknowns.resolve',
    'alerts.view',
    'alerts.handle',
    'reports.export',
    'audit.view',
  ],
  operator: ['live.view', 'members.view', 'members.enroll', 'unknowns.view', 'alerts.view', 'alerts.handle'],
  viewer: ['live.view', 'members.view', 'unknowns.view', 'alerts.view'],
  // The enrollment kiosk: it can add a member (with consent) and nothing else.
  kiosk: ['members.enroll'],
};

export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}
