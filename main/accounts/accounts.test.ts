import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../store/store.js';
import { CURRENT_PARAMS, hashPassword, needsRehash, passwordProblem, verifyPassword } from './passwords.js';
import {
  createSession,
  purgeExpiredSessions,
  resolveSession,
  revokeSession,
  SESSION_TTL_MS,
} from './sessions.js';
import {
  addUser,
  authenticate,
  authenticateAdminPin,
  BAD_PIN,
  BAD_CREDENTIALS,
  BASE_LOCK_MS,
  LOCK_AFTER,
  listUsers,
  lockDuration,
  needsSetup,
  removeUser,
  setPassword,
} from './users.js';

const PW = 'correct horse battery';

function freshDb(): Store {
  return Store.open(mkdtempSync(join(tmpdir(), 'vigil-accounts-')), { recognizerId: 'r', embeddingDim: 8 });
}

function failures(db: Store, username: string): { failed_logins: number; locked_until: string | null } {
  return db.sql.prepare('SELECT failed_logins, locked_until FROM users WHERE username = ?').get(username) as {
    failed_logins: number;
    locked_until: string | null;
  };
}

describe('password hashing', () => {
  it('encodes parameters and a per-hash salt, verifies only the right password', async () => {
    const a = await hashPassword(PW);
    const b = await hashPassword(PW);
    expect(a).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword(PW, a)).toBe(true);
    expect(await verifyPassword(PW, b)).toBe(true);
    expect(await verifyPassword('correct horse battery ', a)).toBe(false);
    expect(await verifyPassword(PW, a.slice(0, -4) + 'AAA=')).toBe(false);
    expect(await verifyPassword(PW, 'plain-text')).toBe(false);
    expect(needsRehash(a)).toBe(false);
  });

  it('still verifies a hash made with older, weaker parameters and flags it for rehashing', async () => {
    const old = await hashPassword(PW, { ln: 12, r: 8, p: 1 });
    expect(old.startsWith('$scrypt$ln=12,r=8,p=1$')).toBe(true);
    expect(await verifyPassword(PW, old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(CURRENT_PARAMS.ln).toBeGreaterThanOrEqual(15);
  });

  it('refuses passwords shorter than 8 characters with a sentence', () => {
    expect(passwordProblem('1234567')).toBe('A password needs at least 8 characters (this one has 7).');
    expect(passwordProblem('12345678')).toBeNull();
    // Characters, not UTF-16 units: 4 emoji are 4 characters.
    expect(passwordProblem('😀😀😀😀')).toMatch(/has 4/);
    expect(passwordProblem('        ')).toMatch(/only spaces/);
  });
});

describe('accounts', () => {
  let db: Store;
  beforeEach(() => {
    db = freshDb();
  });
  afterEach(() => db.close());

  it('needs setup until an admin exists; usernames are case-insensitive and unique', async () => {
    expect(needsSetup(db)).toBe(true);
    await addUser(db, { username: 'viewer1', role: 'viewer', password: PW });
    expect(needsSetup(db)).toBe(true);
    const admin = await addUser(db, { username: ' Alice ', role: 'admin', password: PW });
    expect(admin).toMatchObject({ username: 'alice', role: 'admin', last_login: null, locked_until: null });
    expect(needsSetup(db)).toBe(false);
    await expect(addUser(db, { username: 'ALICE', role: 'viewer', password: PW })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(addUser(db, { username: 'bob', role: 'root', password: PW })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(addUser(db, { username: 'bob', role: 'viewer', password: 'short' })).rejects.toThrow(
      /at least 8 characters/,
    );
    await expect(
      addUser(db, { username: 'alice2', role: 'admin', password: PW }, { onlyIfNoAdmin: true }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(listUsers(db).map((u) => u.username)).toEqual(['alice', 'viewer1']);
    const stored = db.sql.prepare("SELECT password_hash FROM users WHERE username = 'alice'").pluck().get();
    expect(String(stored)).not.toContain(PW);
  });

  it('refuses to remove the last administrator', async () => {
    await addUser(db, { username: 'a1', role: 'admin', password: PW });
    await addUser(db, { username: 'v1', role: 'viewer', password: PW });
    expect(() => removeUser(db, 'a1')).toThrow(/last administrator/);
    await addUser(db, { username: 'a2', role: 'admin', password: PW });
    removeUser(db, 'a1');
    expect(() => removeUser(db, 'a2')).toThrow(/last administrator/);
    removeUser(db, 'v1');
    expect(listUsers(db).map((u) => u.username)).toEqual(['a2']);
    expect(() => removeUser(db, 'ghost')).toThrow(/No user named ghost/);
  });

  it('locks after 5 failures for 30 s, doubling per further failure up to 15 min', async () => {
    expect([4, 5, 6, 7, 9, 10, 30].map(lockDuration)).toEqual([
      0, 30_000, 60_000, 120_000, 480_000, 900_000, 900_000,
    ]);
    await addUser(db, { username: 'ann', role: 'operator', password: PW });
    let t = Date.parse('2025-03-01T10:00:00Z');
    const clock = () => t;

    for (let i = 1; i <= 4; i++) {
      const r = await authenticate(db, 'ann', `wrong-${i}`, clock);
      expect(r).toMatchObject({ ok: false, reason: 'bad_password', message: BAD_CREDENTIALS });
      expect(failures(db, 'ann')).toEqual({ failed_logins: i, locked_until: null });
    }
    await authenticate(db, 'ann', 'wrong-5', clock);
    expect(failures(db, 'ann')).toEqual({ failed_logins: 5, locked_until: '2025-03-01T10:00:30.000Z' });

    // While locked even the right password is refused, and nothing is counted: it was not checked.
    t += 10_000;
    const locked = await authenticate(db, 'ann', PW, clock);
    expect(locked).toMatchObject({ ok: false, reason: 'locked' });
    expect(locked.ok ? '' : locked.message).toMatch(/try again in 20 seconds/);
    await authenticate(db, 'ann', 'wrong-again', clock);
    expect(failures(db, 'ann').failed_logins).toBe(5);
    expect(listUsers(db, t)[0]!.locked_until).toBe('2025-03-01T10:00:30.000Z');

    // Each further failure after a lock ends doubles the next lock.
    const expected = [60_000, 120_000, 240_000, 480_000, 900_000, 900_000];
    for (const [i, ms] of expected.entries()) {
      t = Date.parse(failures(db, 'ann').locked_until!);
      await authenticate(db, 'ann', 'still-wrong', clock);
      expect(failures(db, 'ann')).toEqual({
        failed_logins: 6 + i,
        locked_until: new Date(t + ms).toISOString(),
      });
    }
    const r = await authenticate(db, 'ann', PW, clock);
    expect(r.ok ? '' : r.message).toMatch(/try again in 15 minutes/);

    t = Date.parse(failures(db, 'ann').locked_until!);
    expect(await authenticate(db, 'ann', PW, clock)).toEqual({ ok: true, username: 'ann', role: 'operator' });
    expect(failures(db, 'ann')).toEqual({ failed_logins: 0, locked_until: null });
    expect(listUsers(db)[0]!.last_login).toBe(new Date(t).toISOString());
  });

  it('answers an unknown username like a wrong password, in comparable time', async () => {
    await addUser(db, { username: 'ann', role: 'viewer', password: PW });
    const unknown = await authenticate(db, 'nobody', PW);
    const wrong = await authenticate(db, 'ann', 'not-the-password');
    expect(unknown).toMatchObject({ ok: false, message: BAD_CREDENTIALS });
    expect(wrong).toMatchObject({ ok: false, message: BAD_CREDENTIALS });

    const time = async (name: string) => {
      const t0 = performance.now();
      await authenticate(db, name, 'not-the-password');
      return performance.now() - t0;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const u: number[] = [];
    const w: number[] = [];
    for (let i = 0; i < 3; i++) {
      u.push(await time('nobody'));
      w.push(await time('ann'));
    }
    // Both are dominated by one scrypt hash (~100 ms); without the dummy hash `nobody` takes < 1 ms.
    const ratio = median(u) / median(w);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it('a kiosk PIN is one named administrator’s password, charged to that account’s lockout', async () => {
    let now = Date.parse('2026-11-28T10:00:00Z');
    const clock = () => now;
    await addUser(db, { username: 'a1', role: 'admin', password: 'admin-one-pin' });
    await addUser(db, { username: 'a2', role: 'admin', password: 'admin-two-pin' });
    await addUser(db, { username: 'op', role: 'operator', password: 'operator-pin' });
    // Another administrator's password, or an operator's, is not this administrator's PIN.
    expect(await authenticateAdminPin(db, 'a1', 'admin-two-pin', clock)).toMatchObject({ ok: false });
    expect(await authenticateAdminPin(db, 'op', 'operator-pin', clock)).toMatchObject({
      ok: false,
      message: BAD_PIN,
    });
    for (let i = 1; i < LOCK_AFTER; i++)
      expect(await authenticateAdminPin(db, 'a1', `guess-${i}-pin`, clock)).toMatchObject({
        reason: 'bad_password',
        message: BAD_PIN,
      });
    // Five wrong PINs lock a1 (sign-in included); even the right PIN waits, unchecked.
    expect(failures(db, 'a1').failed_logins).toBe(LOCK_AFTER);
    expect(await authenticateAdminPin(db, 'a1', 'admin-one-pin', clock)).toMatchObject({ reason: 'locked' });
    expect(await authenticate(db, 'a1', 'admin-one-pin', clock)).toMatchObject({ reason: 'locked' });
    expect(failures(db, 'a2').failed_logins).toBe(0);
    now += BASE_LOCK_MS + 1;
    expect(await authenticateAdminPin(db, 'a1', 'admin-one-pin', clock)).toEqual({
      ok: true,
      username: 'a1',
      role: 'admin',
    });
    expect(failures(db, 'a1')).toEqual({ failed_logins: 0, locked_until: null });
    // A PIN unlock is not a sign-in.
    expect(listUsers(db).find((u) => u.username === 'a1')!.last_login).toBeNull();
  });

  it('parallel guesses are each charged before hashing, so the lock holds however many arrive', async () => {
    await addUser(db, { username: 'boss', role: 'admin', password: PW });
    const t = Date.parse('2026-11-28T10:00:00Z');
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => authenticateAdminPin(db, 'boss', `parallel-${i}`, () => t)),
    );
    const checked = outcomes.filter((o) => !o.ok && o.reason === 'bad_password').length;
    expect(checked).toBe(LOCK_AFTER);
    expect(outcomes.filter((o) => !o.ok && o.reason === 'locked')).toHaveLength(12 - LOCK_AFTER);
    expect(outcomes.some((o) => o.ok)).toBe(false);
    // Then even the right password is refused until the lock ends.
    expect(await authenticate(db, 'boss', PW, () => t + 1000)).toMatchObject({ reason: 'locked' });
  });

  it('locks an unknown name the same way and with the same sentence as a real one', async () => {
    await addUser(db, { username: 'real', role: 'viewer', password: PW });
    const t = Date.parse('2026-11-28T10:00:00Z');
    const answers = async (name: string) => {
      const out: string[] = [];
      for (let i = 0; i <= LOCK_AFTER; i++) {
        const r = await authenticate(db, name, `wrong-${i}`, () => t);
        out.push(r.ok ? 'ok' : r.message);
      }
      return out;
    };
    const real = await answers('real');
    const ghost = await answers('ghost');
    expect(ghost).toEqual(real);
    expect(real.at(-1)).toMatch(/Too many failed sign-ins/);
  });
});

describe('sessions', () => {
  let db: Store;
  beforeEach(async () => {
    db = freshDb();
    await addUser(db, { username: 'sec', role: 'security', password: PW });
  });
  afterEach(() => db.close());

  it('stores only the token hash and resolves to the user with their role permissions', () => {
    const s = createSession(db, 'sec');
    expect(s.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = db.sql.prepare('SELECT token_hash FROM sessions').pluck().all() as string[];
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(stored[0]).not.toContain(s.token);
    const user = resolveSession(db, s.token);
    expect(user?.username).toBe('sec');
    expect(user?.role).toBe('security');
    expect(user?.permissions).toContain('audit.view');
    expect(user?.permissions).not.toContain('users.manage');
    expect(resolveSession(db, s.token.slice(0, -1) + (s.token.endsWith('A') ? 'B' : 'A'))).toBeNull();
    expect(resolveSession(db, '')).toBeNull();
    expect(resolveSession(db, null)).toBeNull();
  });

  it('expires after 12 hours and deletes the expired row', () => {
    const t0 = Date.parse('2025-03-01T08:00:00Z');
    const s = createSession(db, 'sec', t0);
    expect(s.expires_at).toBe('2025-03-01T20:00:00.000Z');
    expect(resolveSession(db, s.token, t0 + SESSION_TTL_MS - 1)?.username).toBe('sec');
    expect(resolveSession(db, s.token, t0 + SESSION_TTL_MS)).toBeNull();
    expect(db.sql.prepare('SELECT COUNT(*) FROM sessions').pluck().get()).toBe(0);
  });

  it('purges expired sessions only', () => {
    const t0 = Date.parse('2025-03-01T08:00:00Z');
    createSession(db, 'sec', t0);
    createSession(db, 'sec', t0);
    const live = createSession(db, 'sec', t0 + SESSION_TTL_MS);
    expect(purgeExpiredSessions(db, t0 + SESSION_TTL_MS + 1)).toBe(2);
    expect(resolveSession(db, live.token, t0 + SESSION_TTL_MS + 1)?.username).toBe('sec');
  });

  it('logout revokes one session; a password change or removal revokes them all (but the caller’s own)', async () => {
    const a = createSession(db, 'sec');
    const b = createSession(db, 'sec');
    const c = createSession(db, 'sec');
    expect(revokeSession(db, a.token)).toBe(true);
    expect(revokeSession(db, a.token)).toBe(false);
    expect(resolveSession(db, a.token)).toBeNull();
    expect(resolveSession(db, b.token)).not.toBeNull();

    await setPassword(db, 'sec', 'a brand new password', { keepSession: c.token });
    expect(resolveSession(db, b.token)).toBeNull();
    expect(resolveSession(db, c.token)?.username).toBe('sec');
    expect((await authenticate(db, 'sec', PW)).ok).toBe(false);
    expect((await authenticate(db, 'sec', 'a brand new password')).ok).toBe(true);

    await setPassword(db, 'sec', 'another new password');
    expect(resolveSession(db, c.token)).toBeNull();

    const d = createSession(db, 'sec');
    removeUser(db, 'sec');
    expect(resolveSession(db, d.token)).toBeNull();
    expect(db.sql.prepare('SELECT COUNT(*) FROM sessions').pluck().get()).toBe(0);
  });
});
