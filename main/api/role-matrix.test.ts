import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionUser } from '../accounts/sessions.js';
import { methods, type MethodName } from '../contract/contract.js';
import { PERMISSION_MAP, PERMISSIONS, ROLES, can, type Permission, type Role } from '../contract/roles.js';
import { Engine } from '../engine/engine.js';
import { schemaExample } from '../testing/schema-example.js';
import { testContext } from '../testing/api-context.js';
import type { Handlers } from './context.js';
import { Api } from './dispatch.js';

/**
 * Every contract method × every role through the real dispatcher: a role reaches a method's
 * handler exactly when the table allows it, and is refused FORBIDDEN (and audited) otherwise.
 * The handlers are stand-ins that only record that they were reached: this is about the gate.
 */

/** The seed's matrix, written out independently of roles.ts, for the permissions it names. */
const SEED: Record<Exclude<Role, 'kiosk'>, Partial<Record<Permission, boolean>>> = {
  admin: Object.fromEntries(PERMISSIONS.map((p) => [p, true])),
  security: {
    'members.view': true,
    'members.enroll': true,
    'members.edit': true,
    'members.delete': false,
    'unknowns.view': true,
    'unknowns.resolve': true,
    'cameras.manage': true,
    'audit.view': true,
    'settings.manage': false,
    'users.manage': false,
  },
  operator: {
    'members.view': true,
    'members.enroll': false,
    'members.edit': false,
    'members.delete': false,
    'unknowns.view': true,
    'unknowns.resolve': true,
    'cameras.manage': false,
    'audit.view': false,
    'settings.manage': false,
  },
  viewer: {
    'members.view': true,
    'members.enroll': false,
    'members.edit': false,
    'unknowns.view': true,
    'unknowns.resolve': false,
    'cameras.manage': false,
    'audit.view': false,
    'settings.manage': false,
  },
};

describe('the role table', () => {
  let engine: Engine;
  const reached: string[] = [];
  const stubs = new Proxy({} as Handlers, {
    get: (_t, method: string) => () => {
      reached.push(method);
      return { ok: true };
    },
  });
  const api = new Api(stubs);

  beforeAll(() => {
    engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-roles-')) });
  });
  afterAll(() => engine?.close());

  it('matches the seed matrix wherever the matrix says something', () => {
    for (const [role, row] of Object.entries(SEED) as [Role, Partial<Record<Permission, boolean>>][])
      for (const [permission, allowed] of Object.entries(row) as [Permission, boolean][])
        expect(can(role, permission), `${role} ${permission}`).toBe(allowed);
  });

  it('gives a reason beside every permission', () => {
    for (const p of PERMISSIONS) expect(PERMISSION_MAP[p].reason.length, p).toBeGreaterThan(10);
  });

  it('lets each role reach exactly the methods its permissions allow, for every method', async () => {
    let checked = 0;
    for (const role of ROLES) {
      const user = sessionUser(`${role}-1`, role);
      for (const [name, def] of Object.entries(methods)) {
        const method = name as MethodName;
        const params = schemaExample(def.input);
        expect(def.input.safeParse(params).success, `${method} example`).toBe(true);
        reached.length = 0;
        const out = await api.call(testContext(engine, user), { method, params });
        const allowed = def.permission === null || can(role, def.permission);
        const what = `${role} → ${method} (${def.permission ?? 'open'})`;
        if (allowed) {
          expect(out, what).toEqual({ ok: true, result: { ok: true } });
          expect(reached, what).toEqual([method]);
        } else {
          expect(out, what).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
          expect(reached, what).toEqual([]);
          const row = engine.store.sql
            .prepare(
              "SELECT actor, subject FROM audit_log WHERE action = 'permission_denied' ORDER BY audit_id DESC LIMIT 1",
            )
            .get();
          expect(row, what).toEqual({ actor: `user:${role}-1`, subject: method });
        }
        checked++;
      }
    }
    expect(checked).toBe(ROLES.length * Object.keys(methods).length);
  });
});
