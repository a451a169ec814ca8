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

type StaffRole = Exclude<Role, 'admin'>;

/**
 * The seed's permission matrix:
 *   admin    — everything;
 *   security — read and write members, view and identify unknowns, manage cameras, view system
 *              logs (not delete members, not settings);
 *   operator — read members, view and identify unknowns;
 *   viewer   — read members, view unknowns.
 * The console's permissions are finer; each is mapped onto the matrix here, with the reason
 * beside every grant or refusal the matrix does not spell out. The kiosk is not in the matrix: it
 * is a station, not a person, and may enroll (with consent, enforced by the engine) and nothing else.
 */
export const PERMISSION_MAP: Record<Permission, { roles: readonly StaffRole[]; reason: string }> = {
  'live.view': {
    roles: ['security', 'operator', 'viewer'],
    reason: 'Not in the matrix: watching the cameras is what every staff role is for.',
  },
  'cameras.manage': { roles: ['security'], reason: 'Matrix: security manages cameras.' },
  'members.view': { roles: ['security', 'operator', 'viewer'], reason: 'Matrix: read members.' },
  'members.enroll': {
    roles: ['security', 'kiosk'],
    reason: 'Matrix: enrolling is writing members (security); the kiosk enrolls with consent.',
  },
  'members.edit': { roles: ['security'], reason: 'Matrix: security writes members.' },
  'members.delete': { roles: [], reason: 'Matrix: security may not delete members; admin only.' },
  'unknowns.view': { roles: ['security', 'operator', 'viewer'], reason: 'Matrix: view unknowns.' },
  'unknowns.view_crop': {
    roles: ['security', 'operator'],
    reason:
      'Deviation: the face crop is biometric data needed to identify, so it goes with identifying (security, operator); a viewer sees the queue without faces.',
  },
  'unknowns.resolve': { roles: ['security', 'operator'], reason: 'Matrix: identify unknowns.' },
  'alerts.view': {
    roles: ['security', 'operator', 'viewer'],
    reason: 'Not in the matrix: alerts are what the cameras raise, seen by whoever watches them.',
  },
  'alerts.handle': {
    roles: ['security', 'operator'],
    reason: 'Not in the matrix: acknowledging an alert is acting on it, as identifying is; not a viewer.',
  },
  'reports.export': {
    roles: ['security'],
    reason: 'Deviation: exports include the system log (audit), which only security may view.',
  },
  'audit.view': { roles: ['security'], reason: 'Matrix: security views system logs.' },
  'settings.manage': { roles: [], reason: 'Matrix: not security; admin only.' },
  'users.manage': {
    roles: [],
    reason: 'Not in the matrix: accounts are settings of the system; admin only.',
  },
  'subjects.manage': {
    roles: [],
    reason:
      'Not in the matrix: erasing a data subject deletes a member (admin only); so do export and consent.',
  },
};

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  security: PERMISSIONS.filter((p) => PERMISSION_MAP[p].roles.includes('security')),
  operator: PERMISSIONS.filter((p) => PERMISSION_MAP[p].roles.includes('operator')),
  viewer: PERMISSIONS.filter((p) => PERMISSION_MAP[p].roles.includes('viewer')),
  kiosk: PERMISSIONS.filter((p) => PERMISSION_MAP[p].roles.includes('kiosk')),
};

export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}
