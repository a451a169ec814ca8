import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Engine } from '../../engine/engine.js';
import { packageRoot } from '../../paths.js';
import { asset, describeWithAssets } from '../../testing/assets.js';
import { startPostgres, type TestPostgres } from '../../testing/postgres.js';
import { describeWithPostgres } from '../../testing/postgres-suite.js';
import { parsePostgresUrl } from '../locator.js';
import { openPool } from './connect.js';
import { verifyCopy } from './copy-folder.js';
import { migrateStore, storeSchemaVersion } from './migrate.js';
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION } from './schema.js';

/**
 * The shared store against a real PostgreSQL 15 cluster started for this file, and the CLI as a
 * user runs it (dist/, a separate process).
 */
const CLI = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');

function vigil(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, VIGIL_STORE: '', ...env },
    timeout: 180_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describeWithPostgres('shared PostgreSQL store', () => {
  let pg: TestPostgres;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error('Build first (npm run build): the CLI runs from dist/.');
    pg = await startPostgres();
  });
  afterAll(() => pg?.stop());

  it('creates the schema once, even when two nodes initialise it at the same moment', async () => {
    const url = pg.createDatabase('init_race');
    const loc = parsePostgresUrl(url);
    const pools = [openPool(loc), openPool(loc), openPool(loc)];
    try {
      const states = await Promise.all(pools.map((p) => migrateStore(p)));
      // Exactly one of them applied the migrations; the others waited on the lock and found them done.
      const appliers = states.filter((s) => s.applied.length > 0);
      expect(appliers).toHaveLength(1);
      expect(appliers[0]!.applied).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
      expect(states.every((s) => s.version === POSTGRES_SCHEMA_VERSION)).toBe(true);
      const rows = await pools[0]!.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      expect(rows.rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }

    // The command: created, then up to date; the password never printed.
    const first = vigil(['store', 'init', '--store', pg.createDatabase('init_cli'), '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      store: `postgres://***@127.0.0.1:${pg.port}/init_cli`,
      schema_version: POSTGRES_SCHEMA_VERSION,
      previous_version: 0,
      applied: POSTGRES_MIGRATIONS.map((m) => m.version),
    });
    const again = vigil(['store', 'init', '--json'], {
      VIGIL_STORE: `${pg.url.replace(/\/vigil$/, '/init_cli')}`,
    });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      previous_version: POSTGRES_SCHEMA_VERSION,
      applied: [],
    });
    const human = vigil(['store', 'init', '--store', pg.url.replace(/\/vigil$/, '/init_cli')]);
    expect(human.stdout.trim()).toBe(
      `shared store postgres://***@127.0.0.1:${pg.port}/init_cli is up to date: schema version ${POSTGRES_SCHEMA_VERSION}`,
    );
    expect(first.stdout + again.stdout + human.stdout).not.toContain(pg.password);
  });

  it('a migration that fails leaves the previous version, and a newer schema is refused', async () => {
    const loc = parsePostgresUrl(pg.createDatabase('migration_fail'));
    const pool = openPool(loc);
    try {
      await expect(
        migrateStore(pool, [
          { version: 1, description: 'ok', sql: 'CREATE TABLE a (x int)' },
          { version: 2, description: 'broken', sql: 'CREATE TABLE b (x int); SELECT * FROM missing_table' },
        ]),
      ).rejects.toThrow(/Migration 2 of the shared store \(broken\) failed and was rolled back/);
      expect(await storeSchemaVersion(pool)).toBe(1);
      const b = await pool.query<{ t: string | null }>("SELECT to_regclass('b')::text AS t");
      expect(b.rows[0]!.t).toBeNull();
      await pool.query("INSERT INTO schema_migrations (version, description) VALUES (99, 'future')");
      await expect(migrateStore(pool)).rejects.toThrow(/version 99, newer than this Vigil knows/);
    } finally {
      await pool.end();
    }
  });

  it('says in one sentence what is wrong with a store it cannot use, never showing the password', () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['store', 'init', '--store', 'mysql://u:hunter2@h/db'], {}, /"mysql" is not a supported store/],
      [['store', 'init'], {}, /needs the shared store/],
      [['nodes', 'list', '--store', 'postgres://u:hunter2@127.0.0.1/'], {}, /names no database/],
      [
        ['store', 'init', '--store', `postgres://vigil:hunter2@127.0.0.1:${pg.port}/vigil`],
        {},
        /cannot be reached: password authentication failed for user "vigil"/,
      ],
      // Nothing listens on port 1.
      [
        ['store', 'init', '--store', 'postgres://vigil:hunter2@127.0.0.1:1/vigil'],
        {},
        /cannot be reached: .*ECONNREFUSED/,
      ],
      [
        ['nodes', 'list', '--store', pg.createDatabase('not_initialised')],
        {},
        /has no Vigil schema yet: run "vigil store init/,
      ],
      // Commands about the data folder itself refuse the shared store rather than ignore it.
      [['doctor'], { VIGIL_STORE: pg.url }, /checks this machine's data folder; leave out --store/],
      [
        ['backup', '--out', tmpdir()],
        { VIGIL_STORE: pg.url },
        /backed up and restored with PostgreSQL's own tools/,
      ],
      [
        ['store', 'migrate-from', '--data-dir', join(tmpdir(), 'vigil-no-such-folder'), '--store', pg.url],
        {},
        /No Vigil data in .*vigil-no-such-folder: migrate-from copies an existing data folder/,
      ],
    ];
    for (const [args, env, why] of cases) {
      const r = vigil(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stdout}`).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(why);
      expect(r.stderr + r.stdout).not.toContain('hunter2');
      expect(r.stderr + r.stdout).not.toContain(pg.password);
    }
    // The mistyped folder was not created by opening it.
    expect(existsSync(join(tmpdir(), 'vigil-no-such-folder'))).toBe(false);
  });

  it('reads the password from PGPASSWORD when the URL has none', () => {
    const url = `postgres://vigil@127.0.0.1:${pg.port}/vigil`;
    const r = vigil(['store', 'init', '--store', url, '--json'], { PGPASSWORD: pg.password });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ schema_version: POSTGRES_SCHEMA_VERSION });
  });

  describeWithAssets('vigil store migrate-from', () => {
    const PASSPHRASE = 'correct horse battery staple';
    const env = { VIGIL_PASSPHRASE: PASSPHRASE, VIGIL_USER_PASSWORD: 'a long enough password 1' };
    const face = (person: string, f: string) => asset('faces', 'celeba', person, f);
    let dir: string;
    let target: string;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'vigil-pg-folder-'));
      const run = (...args: string[]) => {
        const r = vigil([...args, '--data-dir', dir, '--json'], env);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
        return JSON.parse(r.stdout) as Record<string, unknown>;
      };
      // A folder made by the real engine: two members, a camera, a stranger with a sealed crop,
      // an account, a consent; each of those writes its audit rows.
      const a = run('enroll', '--name', 'Member A', face('07201', '001085.jpg'), face('07201', '007710.jpg'));
      run('enroll', '--name', 'Member B', face('07203', '007200.jpg'), face('07203', '007444.jpg'));
      run('cameras', 'add', '--id', 'door', '--name', 'Front door', '--url', 'rtsp://cam:pw@10.0.0.9/stream');
      const seen = run('identify', '--camera', 'door', face('07205', '018774.jpg'));
      expect(JSON.stringify(seen)).toContain('new_unknown');
      run('users', 'add', 'admin', '--role', 'admin');
      run('consent', 'record', String(a.member_id), '--text', 'I agree.');
      target = pg.createDatabase('migrated');
      expect(vigil(['store', 'init', '--store', target]).code).toBe(0);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('copies every table of an encrypted folder and verifies counts, contents and the audit chain', () => {
      const r = vigil(['store', 'migrate-from', '--data-dir', dir, '--store', target, '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as {
        tables: { table: string; source_rows: number; target_rows: number; identical: boolean }[];
        audit: { ok: boolean; rows: number; anchor: string };
        replaced: boolean;
        master_key: string;
      };
      const rows = Object.fromEntries(out.tables.map((t) => [t.table, t.target_rows]));
      expect(rows).toMatchObject({
        members: 2,
        cameras: 1,
        unknown_persons: 1,
        unknown_crops: 1,
        users: 1,
        consents: 1,
      });
      // Two shots and a centroid per member, one vector for the stranger; each with its float vector.
      expect(rows.embeddings).toBe(7);
      expect(rows.face_vectors).toBe(7);
      expect(rows.audit_log).toBeGreaterThanOrEqual(6);
      for (const t of out.tables) {
        expect(t.target_rows, t.table).toBe(t.source_rows);
        expect(t.identical, t.table).toBe(true);
      }
      expect(out.audit).toEqual({ ok: true, rows: rows.audit_log, anchor: 'ok' });
      expect(out).toMatchObject({ replaced: false, master_key: 'passphrase' });
      expect(r.stdout).not.toContain(pg.password);
    });

    it('opens on every node with the folder passphrase: same members, readable crops, one audit chain', () => {
      const nodeDir = mkdtempSync(join(tmpdir(), 'vigil-pg-node-'));
      const onStore = (...args: string[]) =>
        vigil([...args, '--store', target, '--data-dir', nodeDir, '--json'], env);
      const members = onStore('members', 'list');
      expect(members.code, members.stderr).toBe(0);
      expect((JSON.parse(members.stdout) as { name: string }[]).map((m) => m.name).sort()).toEqual([
        'Member A',
        'Member B',
      ]);
      const unknowns = JSON.parse(onStore('unknowns', 'list').stdout) as { unknown_id: string }[];
      const crop = join(nodeDir, 'crop.jpg');
      const got = onStore('unknowns', 'crop', unknowns[0]!.unknown_id, '--out', crop);
      expect(got.code, got.stderr).toBe(0);
      // The crop sealed on the folder decrypts on the shared store: a JPEG.
      expect(readFileSync(crop).subarray(0, 2).toString('hex')).toBe('ffd8');
      const audit = onStore('audit', 'verify');
      expect(audit.code, audit.stderr).toBe(0);
      expect(JSON.parse(audit.stdout)).toMatchObject({ ok: true, anchor: 'ok' });
      const wrong = vigil(['members', 'list', '--store', target, '--data-dir', nodeDir], {
        VIGIL_PASSPHRASE: 'not the folder passphrase',
      });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(
        /Wrong passphrase: it does not unlock the shared store postgres:\/\/\*\*\*@/,
      );
    });

    it('refuses a store that already holds data unless --force, then replaces it', () => {
      const refused = vigil(['store', 'migrate-from', '--data-dir', dir, '--store', target], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toMatch(
        /already holds data \(.*2 members.*\): migrate-from copies into an empty store only; give --force to replace its contents\.$/,
      );
      const forced = vigil(['store', 'migrate-from', '--data-dir', dir, '--store', target, '--force'], env);
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stdout).toMatch(/its previous contents replaced/);
      expect(forced.stdout).toMatch(/members\s+2 rows\s+identical/);
      expect(forced.stdout).toMatch(/audit chain intact on the shared store: \d+ rows, anchor matches/);
    });

    it('a changed audit row, or a removed one at the end, in the shared store fails verification', async () => {
      const engine = Engine.open({ dataDir: dir, passphrase: PASSPHRASE });
      const pool = openPool(parsePostgresUrl(target));
      try {
        const client = await pool.connect();
        try {
          expect((await verifyCopy(engine.store, client)).ok).toBe(true);
          await client.query('BEGIN');
          await client.query(`UPDATE audit_log SET details = '{"camera":"elsewhere"}' WHERE audit_id = 3`);
          const changed = await verifyCopy(engine.store, client);
          expect(changed.ok).toBe(false);
          expect(changed.audit).toMatchObject({ ok: false, firstBad: 3, problem: 'it was changed' });
          expect(changed.problem).toMatch(/does not verify at row 3/);
          await client.query('ROLLBACK');

          await client.query('BEGIN');
          await client.query('DELETE FROM audit_log WHERE audit_id = (SELECT max(audit_id) FROM audit_log)');
          const cut = await verifyCopy(engine.store, client);
          expect(cut.audit).toMatchObject({ ok: false, anchor: 'mismatch' });
          expect(cut.tables.find((t) => t.table === 'audit_log')).toMatchObject({ identical: false });
          await client.query('ROLLBACK');
        } finally {
          client.release();
        }
      } finally {
        await pool.end();
        engine.close();
      }
    });
  });
});
