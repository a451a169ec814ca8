import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../accounts/users.js';
import { Api } from '../api/dispatch.js';
import { handlers } from '../api/handlers/index.js';
import type { MethodName, SessionUser } from '../contract/contract.js';
import { ROLE_PERMISSIONS } from '../contract/roles.js';
import { Engine } from '../engine/engine.js';
import { packageRoot } from '../paths.js';
import { recordConsent, restrictSubject } from './subjects.js';
import { readConfig } from '../store/config.js';
import { getMember, insertMember, newMemberId } from '../store/members.js';
import { testContext } from '../testing/api-context.js';

const CLI = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');
const ADMIN: SessionUser = { username: 'ann', role: 'admin', permissions: [...ROLE_PERMISSIONS.admin] };

/**
 * Each write the console refuses is refused by the CLI too, with the same sentence: both doors
 * call the same domain service (main/services) or the same rule below it.
 */
describe('the CLI refuses what the console refuses', () => {
  let dataDir: string;
  let engine: Engine;
  let restricted: string;
  const api = new Api(handlers);

  const consoleRefusal = async (method: MethodName, params: unknown): Promise<string> => {
    const out = await api.call(testContext(engine, ADMIN), { method, params });
    if (out.ok) throw new Error(`the console accepted ${method}`);
    return out.error.message;
  };
  const cliRefusal = (args: string[]): string => {
    // The console's engine is closed meanwhile: the CLI opens the folder as it would on its own.
    engine.close();
    try {
      const r = spawnSync(process.execPath, [CLI, ...args, '--data-dir', dataDir], { encoding: 'utf8' });
      expect(r.status, r.stdout).toBe(1);
      return r.stderr.trim().replace(/^vigil: /, '');
    } finally {
      engine = Engine.open({ dataDir });
    }
  };

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error('Build first (npm run build): the CLI runs from dist/.');
    dataDir = mkdtempSync(join(tmpdir(), 'vigil-one-rule-'));
    engine = Engine.open({ dataDir });
    restricted = newMemberId();
    insertMember(engine.store.sql, restricted, { name: 'Rita Restricted' }, engine.recognizer.id, 0.9);
    restrictSubject(engine, restricted, true, 'test');
    await addUser(engine.store, { username: 'ann', role: 'admin', password: 'a long enough passphrase' });
  });
  afterAll(() => engine?.close());

  it('activating a member whose processing is restricted', async () => {
    const fromConsole = await consoleRefusal('members.setStatus', { id: restricted, status: 'active' });
    expect(fromConsole).toMatch(/restricted .*lift the restriction first/);
    expect(cliRefusal(['members', 'activate', restricted])).toBe(fromConsole);
    expect(cliRefusal(['members', 'suspend', restricted])).toBe(fromConsole);
    expect(getMember(engine.store.sql, restricted)!.status).toBe('restricted');
  });

  it('removing the last administrator', async () => {
    const fromConsole = await consoleRefusal('users.remove', { username: 'ann' });
    expect(fromConsole).toMatch(/last administrator/);
    expect(cliRefusal(['users', 'remove', 'ann'])).toBe(fromConsole);
  });

  it('a setting outside its range, or one that does not exist', async () => {
    const range = await consoleRefusal('settings.set', { key: 'retention_days', value: 0 });
    expect(range).toMatch(/^Invalid retention_days/);
    expect(cliRefusal(['config', 'set', 'retention_days', '0'])).toBe(range);
    const channel = await consoleRefusal('settings.set', {
      key: 'alert_channels',
      value: { webhook: { url: 'not a url' } },
    });
    expect(cliRefusal(['config', 'set', 'alert_channels', '{"webhook":{"url":"not a url"}}'])).toBe(channel);
    expect(readConfig(engine.store.sql, 'retention_days')).toBe(30);
    expect(await consoleRefusal('settings.set', { key: 'enroll_min_photos', value: 3 })).toBe(
      'enroll_min_photos cannot be changed here.',
    );
    expect(cliRefusal(['config', 'set', 'enroll_min_photos', '3'])).toBe(
      'enroll_min_photos cannot be changed here.',
    );
  });

  it('a camera with a URL it cannot use, or an id already taken; and both audit an added camera alike', async () => {
    const bad = { id: 'gate', name: 'Gate', url: 'ftp://127.0.0.1/stream' };
    const badUrl = await consoleRefusal('cameras.add', bad);
    expect(cliRefusal(['cameras', 'add', '--id', bad.id, '--name', bad.name, '--url', bad.url])).toBe(badUrl);
    const ok = await api.call(testContext(engine, ADMIN), {
      method: 'cameras.add',
      params: { id: 'gate', name: 'Gate', url: 'rtsp://127.0.0.1:9/gate' },
    });
    expect(ok.ok).toBe(true);
    const taken = await consoleRefusal('cameras.add', {
      id: 'gate',
      name: 'Gate 2',
      url: 'rtsp://127.0.0.1:9/b',
    });
    expect(
      cliRefusal(['cameras', 'add', '--id', 'gate', '--name', 'Gate 2', '--url', 'rtsp://127.0.0.1:9/b']),
    ).toBe(taken);
    engine.close();
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        'cameras',
        'add',
        '--id',
        'back',
        '--name',
        'Back',
        '--url',
        'rtsp://127.0.0.1:9/back',
        '--data-dir',
        dataDir,
      ],
      { encoding: 'utf8' },
    );
    engine = Engine.open({ dataDir });
    expect(r.status, r.stderr).toBe(0);
    const audits = engine.store.sql
      .prepare("SELECT actor, action, subject FROM audit_log WHERE action LIKE 'camera_%' ORDER BY audit_id")
      .all();
    expect(audits).toEqual([
      { actor: 'user:ann', action: 'camera_added', subject: 'gate' },
      { actor: 'cli', action: 'camera_added', subject: 'back' },
    ]);
  });

  it('deleting a member that does not exist', async () => {
    const fromConsole = await consoleRefusal('members.delete', { id: 'MEMBER_00000' });
    expect(fromConsole).toBe('No member with id MEMBER_00000.');
    expect(cliRefusal(['members', 'delete', 'MEMBER_00000'])).toBe(fromConsole);
  });

  it("the console's Delete is the full erasure its dialog promises", async () => {
    const id = newMemberId();
    insertMember(engine.store.sql, id, { name: 'Del Eted' }, engine.recognizer.id, 0.9);
    recordConsent(engine, id, 'I agree to be recognised at the gate.', 'paper', 'test');
    const out = await api.call(testContext(engine, ADMIN), { method: 'members.delete', params: { id } });
    expect(out.ok).toBe(true);
    const count = (sql: string) => engine.store.sql.prepare(sql).pluck().get(id) as number;
    expect(getMember(engine.store.sql, id)).toBeUndefined();
    expect(count('SELECT COUNT(*) FROM consents WHERE subject_id = ?')).toBe(0);
    // The audit log records an erasure (not a plain delete), and never the name.
    const audit = engine.store.sql
      .prepare('SELECT action, details FROM audit_log WHERE subject = ? ORDER BY audit_id DESC LIMIT 1')
      .get(id) as { action: string; details: string | null };
    expect(audit.action).toBe('subject_erased');
    expect(JSON.stringify(audit)).not.toContain('Del Eted');
  });
});
