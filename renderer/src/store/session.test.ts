import { beforeEach, describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLE_PERMISSIONS, ROLES } from '../../../main/contract/roles.js';
import { useSession } from './session.js';

beforeEach(() => useSession.getState().setUser(null));

describe('useSession', () => {
  it('grants nothing before sign-in', () => {
    for (const p of PERMISSIONS) expect(useSession.getState().can(p)).toBe(false);
  });

  it('grants exactly the permissions the engine listed for the user', () => {
    for (const role of ROLES) {
      const permissions = [...ROLE_PERMISSIONS[role]];
      useSession.getState().setUser({ username: `u-${role}`, role, permissions });
      const granted = PERMISSIONS.filter((p) => useSession.getState().can(p));
      expect(granted, role).toEqual(PERMISSIONS.filter((p) => permissions.includes(p)));
    }
    useSession
      .getState()
      .setUser({ username: 'v', role: 'viewer', permissions: [...ROLE_PERMISSIONS.viewer] });
    expect(useSession.getState().can('live.view')).toBe(true);
    expect(useSession.getState().can('unknowns.view_crop')).toBe(false);
    expect(useSession.getState().can('users.manage')).toBe(false);
  });

  it('follows the engine when it grants less than the role table', () => {
    useSession.getState().setUser({ username: 's', role: 'security', permissions: ['live.view'] });
    expect(useSession.getState().can('live.view')).toBe(true);
    expect(useSession.getState().can('members.view')).toBe(false);
  });

  it('signs out locally even when the engine cannot be reached', async () => {
    // No window here: there is no transport, so auth.logout fails; the user must still be cleared.
    useSession.getState().setUser({ username: 'a', role: 'admin', permissions: [...PERMISSIONS] });
    await useSession.getState().logout();
    expect(useSession.getState().user).toBeNull();
    expect(useSession.getState().can('users.manage')).toBe(false);
  });
});
