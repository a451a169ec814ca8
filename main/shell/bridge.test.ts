import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../accounts/users.js';
import type { CallOutcome } from '../api/dispatch.js';
import { handlers } from '../api/handlers/index.js';
import type { ConsoleEvent, LoginResult, SessionUser, SystemInfo } from '../contract/contract.js';
import { Engine } from '../engine/engine.js';
import { ConsoleBridge } from './bridge.js';
import { KIOSK_STATION } from './sessions.js';

/**
 * The desktop's request path without Electron: a real engine, the real handlers and the real
 * Api.call; only the window ids and frames stand in for Electron's webContents.
 */

const PAGE = { url: 'vigil://app/index.html', isMainFrame: true };
const ADMIN = { username: 'alice', password: 'correct horse battery' };

let engine: Engine;
let bridge: ConsoleBridge;
const sent: { window: number; event: ConsoleEvent }[] = [];
const unlocked: number[] = [];

const call = (window: number, method: string, params: unknown = {}, frame = PAGE) =>
  bridge.invoke(window, frame, { method, params });
const result = <T>(o: CallOutcome): T => {
  if (!o.ok) throw new Error(`${o.error.code}: ${o.error.message}`);
  return o.result as T;
};

beforeAll(async () => {
  engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-bridge-')), actor: 'engine' });
  bridge = new ConsoleBridge({
    engine,
    handlers,
    pipeline: () => null,
    pack: 'default',
    version: '0.0.0-test',
    send: (window, event) => sent.push({ window, event }),
    onKioskUnlocked: (window) => unlocked.push(window),
  });
  await addUser(engine.store, { username: 'victor', role: 'viewer', password: 'viewer password 1' });
});

afterAll(() => engine?.close());

describe('desktop console bridge', () => {
  it('refuses a request from any frame but the console page, before the engine sees it', async () => {
    bridge.sessions.open(1, false);
    for (const frame of [
      null,
      { url: 'vigil://app/index.html', isMainFrame: false },
      { url: 'https://evil.example/', isMainFrame: true },
      { url: 'file:///tmp/x.html', isMainFrame: true },
    ]) {
      const o = await bridge.invoke(1, frame, { method: 'auth.status', params: {} });
      expect(o).toEqual({
        ok: false,
        error: { code: 'FORBIDDEN', message: 'This page may not use the Vigil engine.' },
      });
    }
    // A window the shell never opened is refused too.
    expect((await call(99, 'auth.status')).ok).toBe(false);
  });

  it('binds the session of a sign-in to the window that signed in, and only to it', async () => {
    bridge.sessions.open(2, false);
    expect(result<{ needs_setup: boolean }>(await call(1, 'auth.status')).needs_setup).toBe(true);
    const login = result<LoginResult>(await call(1, 'auth.setup', ADMIN));
    expect(login.user.role).toBe('admin');

    expect(result<{ user: SessionUser | null }>(await call(1, 'auth.status')).user?.username).toBe('alice');
    expect(result<{ user: SessionUser | null }>(await call(2, 'auth.status')).user).toBeNull();
    const members = await call(1, 'members.list', {});
    expect(members.ok).toBe(true);
    const anon = await call(2, 'members.list', {});
    expect(anon).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
  });

  it("checks each call against the window user's role", async () => {
    result<LoginResult>(await call(2, 'auth.login', { username: 'victor', password: 'viewer password 1' }));
    expect(result<{ user: SessionUser }>(await call(2, 'auth.status')).user.role).toBe('viewer');
    expect(await call(2, 'users.list')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect((await call(1, 'users.list')).ok).toBe(true);
  });

  it('sends events only to windows whose user may see them', async () => {
    bridge.sessions.open(3, true); // a kiosk window
    sent.length = 0;
    bridge.broadcast({ type: 'stats', cameras: 1, frames_analysed: 5, frames_dropped: 0 });
    bridge.broadcast({
      type: 'alert',
      alert_id: 1,
      alert_type: 'new_unknown',
      priority: 'high',
      message: 'New unknown person.',
      created_at: new Date().toISOString(),
    });
    const to = (type: string) =>
      sent
        .filter((s) => s.event.type === type)
        .map((s) => s.window)
        .sort();
    expect(to('stats')).toEqual([1, 2]);
    expect(to('alert')).toEqual([1, 2]);
    expect(bridge.sessions.anyoneMay('alerts.view')).toBe(true);
  });

  it('ends a window session at logout, at once', async () => {
    result(await call(2, 'auth.logout'));
    expect(result<{ user: SessionUser | null }>(await call(2, 'auth.status')).user).toBeNull();
    sent.length = 0;
    bridge.broadcast({ type: 'stats', cameras: 1, frames_analysed: 5, frames_dropped: 0 });
    expect(sent.map((s) => s.window)).toEqual([1]);
  });

  it('runs the kiosk as the kiosk role, which may enroll and nothing else', async () => {
    const status = result<{ user: SessionUser }>(await call(3, 'auth.status'));
    expect(status.user).toMatchObject({
      username: KIOSK_STATION,
      role: 'kiosk',
      permissions: ['members.enroll'],
    });
    expect(result<SystemInfo>(await call(3, 'system.info')).kiosk).toBe(true);
    expect(result<SystemInfo>(await call(1, 'system.info')).kiosk).toBe(false);
    expect(await call(3, 'members.list', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await call(3, 'unknowns.list', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('leaves kiosk mode only with an administrator PIN', async () => {
    const wrong = await call(3, 'kiosk.unlock', { username: ADMIN.username, pin: 'not the password' });
    expect(wrong.ok).toBe(false);
    expect(unlocked).toEqual([]);
    expect(result<SystemInfo>(await call(3, 'system.info')).kiosk).toBe(true);

    expect((await call(3, 'kiosk.unlock', { username: ADMIN.username, pin: ADMIN.password })).ok).toBe(true);
    expect(unlocked).toEqual([3]);
    expect(result<SystemInfo>(await call(3, 'system.info')).kiosk).toBe(false);
    // The kiosk identity ends with kiosk mode: the next person signs in.
    expect(result<{ user: SessionUser | null }>(await call(3, 'auth.status')).user).toBeNull();
  });

  it('forgets a closed window', async () => {
    bridge.sessions.close(1);
    expect((await call(1, 'auth.status')).ok).toBe(false);
  });
});
