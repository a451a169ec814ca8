import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../accounts/users.js';
import { resolveSession } from '../accounts/sessions.js';
import type { LoginResult, SessionUser } from '../contract/contract.js';
import type { Role } from '../contract/roles.js';
import { Engine } from '../engine/engine.js';
import { verifyAudit } from '../store/audit.js';
import type { ApiContext } from './context.js';
import { Api, type CallOutcome } from './dispatch.js';
import { handlers } from './handlers/index.js';
import { testContext } from '../testing/api-context.js';

/**
 * The engine's boundary as a console sees it: the real dispatcher and handlers over a real data
 * folder, with users signed in through auth.login and their sessions resolved from the token.
 */

const PASSWORDS: Record<Role, string> = {
  admin: 'admin password 1',
  security: 'security password 1',
  operator: 'operator password 1',
  viewer: 'viewer password 1',
  kiosk: 'kiosk password 1',
};

describe('API permissions at the boundary', () => {
  let engine: Engine;
  const api = new Api(handlers);
  const sessions = new Map<Role, { token: string; user: SessionUser }>();

  const ctx = (user: SessionUser | null, session: string | null = null): ApiContext =>
    testContext(engine, user, { session, kiosk: user?.role === 'kiosk' });
  const as = (role: Role, method: string, params: unknown = {}): Promise<CallOutcome> => {
    const s = sessions.get(role)!;
    return api.call(ctx(s.user, s.token), { method, params });
  };
  const code = (o: CallOutcome) => (o.ok ? 'OK' : o.error.code);
  const auditRows = (action: string) =>
    engine.store.sql
      .prepare('SELECT actor, subject, details FROM audit_log WHERE action = ? ORDER BY audit_id')
      .all(action) as { actor: string; subject: string | null; details: string }[];

  beforeAll(async () => {
    engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-permissions-')) });
    const status = await api.call(ctx(null), { method: 'auth.status', params: {} });
    expect(status).toEqual({ ok: true, result: { needs_setup: true, user: null } });
    const setup = await api.call(ctx(null), {
      method: 'auth.setup',
      params: { username: 'admin', password: PASSWORDS.admin },
    });
    expect(setup.ok).toBe(true);
    for (const role of ['security', 'operator', 'viewer', 'kiosk'] as const)
      await addUser(engine.store, { username: `${role}1`, role, password: PASSWORDS[role] });
    for (const role of Object.keys(PASSWORDS) as Role[]) {
      const username = role === 'admin' ? 'admin' : `${role}1`;
      const r = await api.call(ctx(null), {
        method: 'auth.login',
        params: { username, password: PASSWORDS[role] },
      });
      if (!r.ok) throw new Error(`login of ${username} failed: ${r.error.message}`);
      const login = r.result as LoginResult;
      const user = resolveSession(engine.store, login.session);
      expect(user).toEqual(login.user);
      sessions.set(role, { token: login.session, user: user! });
    }
  });
  afterAll(() => engine?.close());

  it('setup runs once, and logins are audited without passwords', async () => {
    const again = await api.call(ctx(null), {
      method: 'auth.setup',
      params: { username: 'mallory', password: 'another password' },
    });
    expect(again).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    const bad = await api.call(ctx(null), {
      method: 'auth.login',
      params: { username: 'viewer1', password: 'wrong password' },
    });
    expect(bad).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHENTICATED', message: 'The username or password is not correct.' },
    });
    const ok = auditRows('login_succeeded');
    expect(ok.map((r) => r.actor)).toEqual([
      'user:admin',
      'user:admin',
      'user:security1',
      'user:operator1',
      'user:viewer1',
      'user:kiosk1',
    ]);
    expect(auditRows('login_failed').at(-1)).toMatchObject({ actor: 'anonymous', subject: 'viewer1' });
    expect(JSON.parse(auditRows('login_failed').at(-1)!.details)).toMatchObject({ success: false });
    const all = engine.store.sql.prepare('SELECT details FROM audit_log').pluck().all().join('\n');
    for (const pw of [...Object.values(PASSWORDS), 'wrong password', 'another password'])
      expect(all).not.toContain(pw);
  });

  it('refuses a viewer deleting a member and audits the refusal', async () => {
    const before = auditRows('permission_denied').length;
    const r = await as('viewer', 'members.delete', { id: 'MEMBER_x' });
    expect(code(r)).toBe('FORBIDDEN');
    const denied = auditRows('permission_denied');
    expect(denied).toHaveLength(before + 1);
    expect(denied.at(-1)).toMatchObject({ actor: 'user:viewer1', subject: 'members.delete' });
    expect(JSON.parse(denied.at(-1)!.details)).toEqual({ role: 'viewer', permission: 'members.delete' });
  });

  it('refuses an unauthenticated caller before any handler runs', async () => {
    const r = await api.call(ctx(null), { method: 'members.list', params: {} });
    expect(code(r)).toBe('UNAUTHENTICATED');
    // A session token that was never issued resolves to nobody.
    expect(resolveSession(engine.store, 'A'.repeat(43))).toBeNull();
  });

  it('lets the kiosk check a photo but not see the unknown-person queue', async () => {
    const check = await as('kiosk', 'members.checkPhoto', { photo: { name: 'x.jpg', data: 'AAAA' } });
    expect(['FORBIDDEN', 'UNAUTHENTICATED']).not.toContain(code(check));
    expect(code(await as('kiosk', 'unknowns.list'))).toBe('FORBIDDEN');
    expect(code(await as('kiosk', 'members.list'))).toBe('FORBIDDEN');
  });

  it('passes an admin through the permission check', async () => {
    for (const [method, params] of [
      ['members.delete', { id: 'MEMBER_does_not_exist' }],
      ['unknowns.list', {}],
      ['audit.verify', {}],
    ] as const) {
      const r = await as('admin', method, params);
      expect(['FORBIDDEN', 'UNAUTHENTICATED'], `${method}: ${JSON.stringify(r)}`).not.toContain(code(r));
    }
    const users = await as('admin', 'users.list');
    expect(users.ok && (users.result as { username: string }[]).map((u) => u.username)).toEqual([
      'admin',
      'kiosk1',
      'operator1',
      'security1',
      'viewer1',
    ]);
    expect(code(await as('security', 'users.list'))).toBe('FORBIDDEN');
  });

  it('manages accounts through the API: add, reset, remove, with the last admin protected', async () => {
    const added = await as('admin', 'users.add', {
      username: 'temp',
      password: 'temporary pw',
      role: 'viewer',
    });
    expect(added).toMatchObject({ ok: true, result: { username: 'temp', role: 'viewer' } });
    const short = await as('admin', 'users.add', { username: 'temp2', password: 'short', role: 'viewer' });
    expect(short).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(short.ok ? '' : short.error.message).toMatch(/at least 8 characters/);

    const login = await api.call(ctx(null), {
      method: 'auth.login',
      params: { username: 'temp', password: 'temporary pw' },
    });
    const token = (login as { result: LoginResult }).result.session;
    expect(
      code(await as('admin', 'users.setPassword', { username: 'temp', password: 'reset by admin' })),
    ).toBe('OK');
    expect(resolveSession(engine.store, token)).toBeNull();
    expect(code(await as('admin', 'users.remove', { username: 'temp' }))).toBe('OK');
    const last = await as('admin', 'users.remove', { username: 'admin' });
    expect(last).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(auditRows('user_added').map((r) => r.subject)).toContain('temp');
    expect(auditRows('password_changed').at(-1)).toMatchObject({ actor: 'user:admin', subject: 'temp' });
    expect(auditRows('user_removed').at(-1)).toMatchObject({ actor: 'user:admin', subject: 'temp' });
  });

  it('changes one’s own password with the current one, keeping the calling session', async () => {
    const s = sessions.get('operator')!;
    const wrong = await as('operator', 'auth.changePassword', {
      current: 'nope nope',
      next: 'operator password 2',
    });
    expect(wrong).toMatchObject({ ok: false, error: { message: 'The current password is not correct.' } });
    const noUser = await api.call(ctx(null), {
      method: 'auth.changePassword',
      params: { current: PASSWORDS.operator, next: 'operator password 2' },
    });
    expect(code(noUser)).toBe('UNAUTHENTICATED');
    const ok = await as('operator', 'auth.changePassword', {
      current: PASSWORDS.operator,
      next: 'operator password 2',
    });
    expect(code(ok)).toBe('OK');
    expect(resolveSession(engine.store, s.token)?.username).toBe('operator1');
    expect(auditRows('password_changed').at(-1)).toMatchObject({
      actor: 'user:operator1',
      subject: 'operator1',
    });
  });

  it('unlocks the kiosk only from a kiosk, with a named administrator’s password, and logs out', async () => {
    // Any other caller gets no answer about passwords at all.
    const notKiosk = await as('viewer', 'kiosk.unlock', { username: 'admin', pin: PASSWORDS.admin });
    expect(notKiosk).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const wrong = await as('kiosk', 'kiosk.unlock', { username: 'admin', pin: PASSWORDS.security });
    expect(code(wrong)).toBe('UNAUTHENTICATED');
    // Charged to the named administrator's lockout, like a sign-in.
    const failed = () =>
      engine.store.sql.prepare("SELECT failed_logins FROM users WHERE username = 'admin'").pluck().get();
    expect(failed()).toBe(1);
    // A non-administrator's password is no PIN, and answers like a wrong one.
    const notAdmin = await as('kiosk', 'kiosk.unlock', { username: 'security1', pin: PASSWORDS.security });
    expect(notAdmin).toMatchObject({
      ok: false,
      error: { message: (wrong as { error: { message: string } }).error.message },
    });
    expect(code(await as('kiosk', 'kiosk.unlock', { username: 'admin', pin: PASSWORDS.admin }))).toBe('OK');
    expect(failed()).toBe(0);
    expect(auditRows('kiosk_unlocked').at(-1)).toMatchObject({ actor: 'user:kiosk1', subject: 'admin' });
    // Two refusals from one client within a minute: one row now, the second counted for the summary.
    expect(auditRows('kiosk_unlock_failed')).toHaveLength(1);

    const k = sessions.get('kiosk')!;
    expect(code(await as('kiosk', 'auth.logout'))).toBe('OK');
    expect(resolveSession(engine.store, k.token)).toBeNull();
    expect(auditRows('logout').at(-1)).toMatchObject({ actor: 'user:kiosk1' });
    expect(verifyAudit(engine.store.sql).ok).toBe(true);
  });
});
