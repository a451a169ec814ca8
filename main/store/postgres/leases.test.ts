import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { packageRoot } from '../../paths.js';
import { startPostgres, type TestPostgres } from '../../testing/postgres.js';
import { describeWithPostgres } from '../../testing/postgres-suite.js';
import { parsePostgresUrl } from '../locator.js';
import { openPool } from './connect.js';
import { heartbeat, leaveCluster, listNodes, registerNode, takeLeases } from './leases.js';
import { migrateStore } from './migrate.js';

const CLI = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');
const HOLDER = join(packageRoot(), 'dist', 'main', 'testing', 'lease-holder.js');

type Holder = ChildProcessByStdio<null, Readable, Readable> & { held: string[]; log: string };

/** A lease holder in its own process; `held` follows the JSON lines it prints. */
function startHolder(url: string, node: string, capacity: number, expiryMs: number): Holder {
  const child = spawn(process.execPath, [HOLDER, url, node, String(capacity), String(expiryMs), '200'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as Holder;
  child.held = [];
  child.log = '';
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      child.held = (JSON.parse(line) as { held: string[] }).held;
    }
  });
  child.stderr.on('data', (d: Buffer) => (child.log += d.toString()));
  return child;
}

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function addCameras(pool: pg.Pool, ids: string[]): Promise<void> {
  const now = new Date().toISOString();
  for (const id of ids)
    await pool.query(
      'INSERT INTO cameras (camera_id, name, url, created_at, updated_at) VALUES ($1, $1, $2, $3, $3)',
      [id, `rtsp://10.0.0.1/${id}`, now],
    );
}

describeWithPostgres('camera leases on the shared store', () => {
  let server: TestPostgres;
  const children: Holder[] = [];

  beforeAll(async () => {
    if (!existsSync(HOLDER))
      throw new Error('Build first (npm run build): the lease holder runs from dist/.');
    server = await startPostgres();
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  afterAll(() => server?.stop());

  it('balances cameras by declared capacity and hands them back when a node joins', async () => {
    const pool = openPool(parsePostgresUrl(server.createDatabase('balance')));
    try {
      await migrateStore(pool);
      await addCameras(pool, ['c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
      // A node publishes its certificate's fingerprint with its registration; peers pin it.
      const fp = 'AB:CD:'.repeat(15) + 'EF:01';
      await registerNode(pool, { node: 'big', address: 'https://big:8765', fingerprint: fp, capacity: 4 });
      expect((await listNodes(pool)).find((n) => n.node === 'big')).toMatchObject({ fingerprint: fp });
      await registerNode(pool, { node: 'big', capacity: 4 });
      expect((await listNodes(pool)).find((n) => n.node === 'big')).toMatchObject({ fingerprint: null });
      // Alone, a node takes no more than its capacity.
      expect((await takeLeases(pool, 'big')).held).toEqual(['c1', 'c2', 'c3', 'c4']);
      await registerNode(pool, { node: 'small', capacity: 2 });
      expect((await takeLeases(pool, 'small')).held).toEqual(['c5', 'c6']);
      await registerNode(pool, { node: 'third', capacity: 6 });
      // Live capacity 12 for 6 cameras: shares 2, 1 and 3; the first two give back what is beyond theirs.
      expect(await takeLeases(pool, 'big')).toMatchObject({ held: ['c1', 'c2'], released: ['c3', 'c4'] });
      expect(await takeLeases(pool, 'small')).toMatchObject({ held: ['c5'], released: ['c6'] });
      expect((await takeLeases(pool, 'third')).held).toEqual(['c3', 'c4', 'c6']);
      // Concurrent balancing never gives one camera to two nodes (SKIP LOCKED, one row per camera).
      await leaveCluster(pool, 'third');
      const rounds = await Promise.all(['big', 'small', 'big', 'small'].map((n) => takeLeases(pool, n)));
      const all = (await listNodes(pool)).flatMap((n) => n.cameras);
      expect(new Set(all).size).toBe(all.length);
      expect(rounds.every((r) => r.held.length <= 4)).toBe(true);
      expect(await heartbeat(pool, 'third')).toBe(false);
      await expect(takeLeases(pool, 'third')).rejects.toThrow(/not registered or has expired/);
      await expect(registerNode(pool, { node: 'bad name; drop', capacity: 1 })).rejects.toThrow(
        /is not usable/,
      );
    } finally {
      await pool.end();
    }
  });

  it('a node killed with SIGKILL loses its cameras to the other node once its heartbeat expires', async () => {
    const url = server.createDatabase('takeover');
    const pool = openPool(parsePostgresUrl(url));
    try {
      await migrateStore(pool);
      await addCameras(pool, ['cam-a', 'cam-b', 'cam-c', 'cam-d']);
      const expiryMs = 2000;
      const a = startHolder(url, 'node-a', 4, expiryMs);
      const b = startHolder(url, 'node-b', 4, expiryMs);
      children.push(a, b);
      await until(
        'both nodes to hold two cameras each',
        () => a.held.length === 2 && b.held.length === 2,
        30_000,
      );
      expect([...a.held, ...b.held].sort()).toEqual(['cam-a', 'cam-b', 'cam-c', 'cam-d']);
      const lost = [...b.held];

      b.kill('SIGKILL');
      await until("node-a to take node-b's cameras", () => a.held.length === 4, 30_000);
      expect(a.held).toEqual(['cam-a', 'cam-b', 'cam-c', 'cam-d']);
      expect(lost.every((c) => a.held.includes(c))).toBe(true);

      const r = spawnSync(process.execPath, [CLI, 'nodes', 'list', '--store', url, '--json'], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const nodes = JSON.parse(r.stdout) as {
        node: string;
        address: string;
        cameras: string[];
        last_heartbeat: string;
        state: string;
      }[];
      expect(nodes.map((n) => Object.keys(n).sort())).toEqual([
        ['address', 'cameras', 'fingerprint', 'last_heartbeat', 'node', 'state'],
        ['address', 'cameras', 'fingerprint', 'last_heartbeat', 'node', 'state'],
      ]);
      expect(nodes).toMatchObject([
        { node: 'node-a', state: 'alive', cameras: ['cam-a', 'cam-b', 'cam-c', 'cam-d'] },
        { node: 'node-b', state: 'expired', cameras: [] },
      ]);
      expect(Date.parse(nodes[0]!.last_heartbeat)).toBeGreaterThan(Date.parse(nodes[1]!.last_heartbeat));
      expect(r.stdout).not.toContain(server.password);
      const cams = spawnSync(process.execPath, [CLI, 'cameras', 'status', '--json'], {
        encoding: 'utf8',
        env: { ...process.env, VIGIL_STORE: url },
      });
      expect(cams.status, cams.stderr).toBe(0);
      expect(JSON.parse(cams.stdout)).toEqual(
        ['cam-a', 'cam-b', 'cam-c', 'cam-d'].map((c) => ({
          camera_id: c,
          name: c,
          node: 'node-a',
          node_state: 'alive',
        })),
      );

      // A clean stop frees the cameras at once and says so.
      a.kill('SIGTERM');
      await until('node-a to leave', () => a.exitCode !== null, 15_000);
      expect(a.exitCode, a.log).toBe(0);
      const after = await listNodes(pool);
      expect(after.find((n) => n.node === 'node-a')).toMatchObject({ state: 'left', cameras: [] });
    } finally {
      await pool.end();
    }
  });
});
