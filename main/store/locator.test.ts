import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors.js';
import {
  locateStore,
  parsePostgresUrl,
  passwordFromFile,
  requirePostgres,
  storePassword,
} from './locator.js';

const sentence = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VigilError);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
};

describe('store locator', () => {
  it('uses the data folder without --store or VIGIL_STORE, and the shared store with either', () => {
    expect(locateStore(undefined, '/data', {})).toEqual({ kind: 'embedded', dataDir: '/data' });
    expect(locateStore(undefined, '/data', { VIGIL_STORE: '' })).toEqual({
      kind: 'embedded',
      dataDir: '/data',
    });
    const env = locateStore(undefined, '/data', { VIGIL_STORE: 'postgresql://vigil@db.example:6543/site' });
    expect(env).toMatchObject({
      kind: 'postgres',
      host: 'db.example',
      port: 6543,
      database: 'site',
      user: 'vigil',
    });
    // --store wins over the environment.
    expect(locateStore('postgres://a@h/x', '/data', { VIGIL_STORE: 'postgres://b@h/y' })).toMatchObject({
      user: 'a',
      database: 'x',
      port: 5432,
    });
  });

  it('never shows the password, even in its display form', () => {
    const loc = parsePostgresUrl('postgres://vigil:s3cr%40t@127.0.0.1:5433/vigil');
    expect(loc.display).not.toContain('s3cr');
    expect(loc.display).toBe('postgres://***@127.0.0.1:5433/vigil');
    expect(storePassword(loc, {})).toBe('s3cr@t');
  });

  it('refuses anything that is not a complete postgres URL with one sentence', () => {
    const cases: [string, RegExp][] = [
      ['', /is empty/],
      ['/var/lib/vigil', /not a URL/],
      ['mysql://u:pw@h/db', /"mysql" is not a supported store/],
      ['sqlite:///tmp/x.db', /"sqlite" is not a supported store/],
      ['postgres://u:hunter2@h', /names no database/],
      ['postgres://h:5432/db', /names no user/],
      ['postgres://u:hunter2@h:99999/db', /not a URL/],
    ];
    for (const [url, why] of cases) {
      const msg = sentence(() => locateStore(url, '/data', {}));
      expect(msg).toMatch(why);
      expect(msg).not.toContain('hunter2');
      expect(msg).not.toContain('\n');
    }
    expect(sentence(() => requirePostgres(undefined, {}))).toMatch(/needs the shared store/);
  });

  it('takes the password from the URL, then PGPASSWORD, then the password file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-pgpass-'));
    const file = join(dir, 'pgpass');
    writeFileSync(
      file,
      [
        '# comment',
        'other:5432:*:vigil:nope',
        'db.example:6543:site:vigil:from\\:file',
        '*:*:*:*:fallback',
      ].join('\n'),
    );
    chmodSync(file, 0o600);
    const loc = parsePostgresUrl('postgres://vigil@db.example:6543/site');
    expect(storePassword(loc, { PGPASSWORD: 'from-env', PGPASSFILE: file })).toBe('from-env');
    expect(storePassword(loc, { PGPASSFILE: file })).toBe('from:file');
    expect(passwordFromFile(file, parsePostgresUrl('postgres://x@y/z'))).toBe('fallback');
    expect(
      storePassword(parsePostgresUrl('postgres://vigil:inline@db.example:6543/site'), { PGPASSWORD: 'e' }),
    ).toBe('inline');
    // A password file others can read is ignored, as libpq does.
    chmodSync(file, 0o644);
    expect(storePassword(loc, { PGPASSFILE: file })).toBeUndefined();
    rmSync(dir, { recursive: true, force: true });
  });
});
