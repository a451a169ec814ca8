import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import {
  LIMITS,
  methods,
  OPEN_METHOD_NAMES,
  OPEN_METHODS,
  parseRequest,
  type MethodName,
} from './contract.js';

describe('the contract owns the wire', () => {
  it('opens before sign-in exactly the methods that need no permission', () => {
    const open = (Object.keys(methods) as MethodName[]).filter((m) => methods[m].permission === null);
    expect([...OPEN_METHODS].sort()).toEqual(open.sort());
    expect(Object.keys(OPEN_METHOD_NAMES).sort()).toEqual(open.sort());
    expect(OPEN_METHODS.has('auth.login')).toBe(true);
    expect(OPEN_METHODS.has('members.list')).toBe(false);
  });

  it('holds the schema to the limits the console shows', () => {
    const add = (name: string) =>
      parseRequest({ method: 'members.update', params: { id: 'M1', fields: { name } } }).ok;
    expect(add('x'.repeat(LIMITS.name))).toBe(true);
    expect(add('x'.repeat(LIMITS.name + 1))).toBe(false);
    const login = (username: string, password: string) =>
      parseRequest({ method: 'auth.login', params: { username, password } }).ok;
    expect(login('u'.repeat(LIMITS.username), 'p'.repeat(LIMITS.password))).toBe(true);
    expect(login('u'.repeat(LIMITS.username + 1), 'p')).toBe(false);
    expect(login('u', 'p'.repeat(LIMITS.password + 1))).toBe(false);
    const camera = (id: string) =>
      parseRequest({ method: 'cameras.add', params: { id, name: 'Gate', url: 'rtsp://gate/1' } }).ok;
    expect(camera('c'.repeat(LIMITS.camera_id))).toBe(true);
    expect(camera('c'.repeat(LIMITS.camera_id + 1))).toBe(false);
  });

  it('is the only place that spells the wire constants', () => {
    // Each of these once lived in two or three places (shell, preload, server, console).
    const spelled = [
      /'vigil:(invoke|event)'/,
      /'vigil\.auth\.'/,
      /'\/api\/rpc'/,
      /\b4401\b/,
      /maxLength: \d/,
    ];
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !path.endsWith('contract/wire.ts')) {
          const text = readFileSync(path, 'utf8');
          for (const re of spelled)
            if (re.test(text)) offenders.push(`${relative(packageRoot(), path)} ${re.source}`);
        }
      }
    };
    for (const dir of ['main', 'preload', 'renderer/src']) walk(join(packageRoot(), dir));
    expect(offenders).toEqual([]);
  });
});
