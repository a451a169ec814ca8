import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../accounts/users.js';
import { Engine } from '../engine/engine.js';
import { verifyAudit } from '../store/audit.js';
import { packageRoot } from '../paths.js';

const CLI = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');

function vigil(args: string[], options: { env?: Record<string, string>; input?: string } = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (!options.env?.VIGIL_USER_PASSWORD) delete env.VIGIL_USER_PASSWORD;
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env,
    input: options.input ?? '',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vigil users', () => {
  let dir: string;
  let pwFile: string;
  const d = () => ['--data-dir', dir];
  const withDb = <T>(fn: (e: Engine) => T | Promise<T>): Promise<T> => {
    const e = Engine.open({ dataDir: dir });
    return Promise.resolve(fn(e)).finally(() => e.close());
  };

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error('Build first (npx tsc -p tsconfig.json): the CLI runs from dist/.');
    dir = mkdtempSync(join(tmpdir(), 'vigil-users-cli-'));
    pwFile = join(dir, 'pw.txt');
    writeFileSync(pwFile, 'file password 1\nsecond line ignored\n');
  });

  it('adds users with the password from a file, the environment or stdin', async () => {
    const a = vigil(['users', 'add', 'Boss', '--role', 'admin', '--password-file', pwFile, '--json', ...d()]);
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout)).toMatchObject({ username: 'boss', role: 'admin', last_login: null });

    const b = vigil(['users', 'add', 'guard', '--role', 'security', ...d()], {
      env: { VIGIL_USER_PASSWORD: 'env password 1' },
    });
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toBe('Added security guard.\n');

    const c = vigil(['users', 'add', 'desk', '--role', 'kiosk', ...d()], {
      input: 'stdin password 1\nmore\n',
    });
    expect(c.code, c.stderr).toBe(0);

    await withDb(async (e) => {
      expect(await authenticate(e.store, 'boss', 'file password 1')).toMatchObject({
        ok: true,
        role: 'admin',
      });
      expect(await authenticate(e.store, 'guard', 'env password 1')).toMatchObject({
        ok: true,
        role: 'security',
      });
      expect(await authenticate(e.store, 'desk', 'stdin password 1')).toMatchObject({
        ok: true,
        role: 'kiosk',
      });
    });

    const list = vigil(['users', 'list', '--json', ...d()]);
    expect(list.code, list.stderr).toBe(0);
    const users = JSON.parse(list.stdout) as Record<string, unknown>[];
    expect(users.map((u) => [u.username, u.role])).toEqual([
      ['boss', 'admin'],
      ['desk', 'kiosk'],
      ['guard', 'security'],
    ]);
    expect(Object.keys(users[0]!).sort()).toEqual([
      'created_at',
      'last_login',
      'locked_until',
      'role',
      'username',
    ]);
  });

  it('refuses bad input with the documented exit codes and sentences', () => {
    const noRole = vigil(['users', 'add', 'x', ...d()], { env: { VIGIL_USER_PASSWORD: 'whatever 123' } });
    expect(noRole.code).toBe(2);
    expect(noRole.stderr).toMatch(/needs --role/);
    const badRole = vigil(['users', 'add', 'x', '--role', 'root', ...d()]);
    expect(badRole.code).toBe(2);
    const short = vigil(['users', 'add', 'x', '--role', 'viewer', ...d()], { input: 'short\n' });
    expect(short.code).toBe(1);
    expect(short.stderr).toBe('vigil: A password needs at least 8 characters (this one has 5).\n');
    const none = vigil(['users', 'add', 'x', '--role', 'viewer', ...d()], { input: '' });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/No password was given/);
    const dup = vigil(['users', 'add', 'GUARD', '--role', 'viewer', ...d()], { input: 'long enough pw\n' });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already exists/);
    const last = vigil(['users', 'remove', 'boss', ...d()]);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/last administrator/);
    expect(vigil(['users', 'frobnicate', ...d()]).code).toBe(2);
  });

  it('changes a password and removes a user, audited as the OS user', async () => {
    const p = vigil(['users', 'passwd', 'guard', '--json', ...d()], { input: 'new guard password\n' });
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout)).toEqual({ username: 'guard', password_changed: true });
    await withDb(async (e) => {
      expect((await authenticate(e.store, 'guard', 'env password 1')).ok).toBe(false);
      expect((await authenticate(e.store, 'guard', 'new guard password')).ok).toBe(true);
    });
    const r = vigil(['users', 'remove', 'desk', ...d()]);
    expect(r.code, r.stderr).toBe(0);
    expect(vigil(['users', 'remove', 'desk', ...d()]).code).toBe(1);

    await withDb((e) => {
      const rows = e.store.sql
        .prepare(
          "SELECT actor, action, subject FROM audit_log WHERE action LIKE 'user_%' OR action = 'password_changed'",
        )
        .all();
      const actor = `cli:${userInfo().username}`;
      expect(rows).toEqual([
        { actor, action: 'user_added', subject: 'boss' },
        { actor, action: 'user_added', subject: 'guard' },
        { actor, action: 'user_added', subject: 'desk' },
        { actor, action: 'password_changed', subject: 'guard' },
        { actor, action: 'user_removed', subject: 'desk' },
      ]);
      const text = e.store.sql.prepare('SELECT details FROM audit_log').pluck().all().join('\n');
      expect(text).not.toMatch(/password 1|new guard password/);
      expect(verifyAudit(e.store.sql).ok).toBe(true);
    });
  });
});
