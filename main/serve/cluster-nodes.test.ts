import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findFfmpeg } from '../source/ffmpeg.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import WebSocket from 'ws';
import { WS_PATH, WS_PROTOCOL } from '../contract/contract.js';
import { CLI, startNode, vigil, waitFor, type NodeProcess } from '../testing/cluster.js';
import { pinnedTlsSocket } from '../util/pinned-tls.js';
import { readServeInfo } from './session-file.js';
import { selfSignedTls } from './tls.js';
import { HAVE_POSTGRES, POSTGRES_MISSING, startPostgres, type TestPostgres } from '../testing/postgres.js';

/**
 * Three engine nodes as separate `vigil serve --store --node` processes on one throwaway
 * PostgreSQL: cameras shared out by capacity, taken over after a SIGKILL, and a gallery change
 * made on one node reaching every node's own search index.
 */
const PASSPHRASE = 'cluster test passphrase';
const CAMERAS = 6;

describeWithAssets('a cluster of three nodes on one shared store', () => {
  let pg: TestPostgres;
  let env: NodeJS.ProcessEnv;
  const nodes: NodeProcess[] = [];

  beforeAll(async () => {
    if (!HAVE_POSTGRES) throw new Error(POSTGRES_MISSING);
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) throw new Error('ffmpeg is required (bash .ci/setup installs it)');
    pg = await startPostgres();
    env = {
      VIGIL_STORE: pg.url,
      VIGIL_PASSPHRASE: PASSPHRASE,
      VIGIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'vigil-cluster-cli-')),
    };
    vigil(['store', 'init'], env);
    // A tiny looping clip: the leases are under test here, not recognition, so decoding stays cheap.
    const clip = join(mkdtempSync(join(tmpdir(), 'vigil-cluster-clip-')), 'clip.mp4');
    const made = spawnSync(ffmpeg.path, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=160x120:rate=5',
      '-t',
      '4',
      '-pix_fmt',
      'yuv420p',
      clip,
    ]);
    expect(made.status).toBe(0);
    for (let i = 1; i <= CAMERAS; i++)
      vigil(['cameras', 'add', '--id', `cam${i}`, '--name', `Camera ${i}`, '--url', clip, '--loop'], env);
    for (const name of ['n1', 'n2', 'n3'])
      nodes.push(await startNode({ store: pg.url, name, passphrase: PASSPHRASE, maxCameras: 3 }));
  }, 300_000);

  afterAll(async () => {
    for (const n of nodes) await n.kill('SIGTERM');
    pg?.stop();
  });

  const leases = (): { camera_id: string; node: string | null; node_state: string | null }[] =>
    JSON.parse(vigil(['cameras', 'status', '--json'], env)) as {
      camera_id: string;
      node: string | null;
      node_state: string | null;
    }[];

  it('shares the cameras out by capacity, each watched by exactly one live node', async () => {
    // Nodes join one after another, so the first ones take more at first and hand the excess back
    // on their next heartbeat: wait for the balance, then check it.
    const spread = await waitFor(
      'every camera leased, two per node',
      () => {
        const l = leases();
        const per = new Map<string, number>();
        for (const c of l)
          if (c.node && c.node_state === 'alive') per.set(c.node, (per.get(c.node) ?? 0) + 1);
        return l.length === CAMERAS && [...per.values()].sort().join() === '2,2,2' ? l : undefined;
      },
      60_000,
      500,
    );
    const per = new Map<string, number>();
    for (const c of spread) per.set(c.node!, (per.get(c.node!) ?? 0) + 1);
    expect([...per.values()].sort()).toEqual([2, 2, 2]);
    // Each node runs exactly the cameras its leases name.
    for (const n of nodes) {
      const mine = spread.filter((c) => c.node === n.name).map((c) => c.camera_id);
      const running = await waitFor(
        `${n.name} running its cameras`,
        async () => {
          const m = await n.metrics();
          const cams = [...m.keys()]
            .filter((k) => k.startsWith('vigil_camera_fps{'))
            .map((k) => /camera="([^"]+)"/.exec(k)![1]!);
          return cams.length === mine.length ? cams.sort() : undefined;
        },
        60_000,
        500,
      );
      expect(running).toEqual(mine.sort());
    }
  }, 180_000);

  it('gives the cameras of a node killed with SIGKILL to the others within 30 s of its last heartbeat', async () => {
    const victim = nodes[0]!;
    const before = leases()
      .filter((c) => c.node === victim.name)
      .map((c) => c.camera_id);
    expect(before.length).toBe(2);
    await victim.kill('SIGKILL');
    const killedAt = Date.now();
    const after = await waitFor(
      'cameras taken over',
      () => {
        const l = leases();
        const moved = l.filter((c) => before.includes(c.camera_id));
        return moved.every((c) => c.node && c.node !== victim.name && c.node_state === 'alive')
          ? l
          : undefined;
      },
      60_000,
      500,
    );
    expect(Date.now() - killedAt).toBeLessThan(45_000);
    // The survivors now hold all six between them, three each, and show the dead node as expired.
    const per = new Map<string, number>();
    for (const c of after) per.set(c.node!, (per.get(c.node!) ?? 0) + 1);
    expect([...per.values()].sort()).toEqual([3, 3]);
    const listed = JSON.parse(vigil(['nodes', 'list', '--json'], env)) as { node: string; state: string }[];
    expect(listed.find((n) => n.node === victim.name)?.state).toBe('expired');
  }, 120_000);

  it('matches a member enrolled on one node on the others, and forgets them everywhere on erasure', async () => {
    const [, a, b] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const members = async (n: NodeProcess): Promise<number> =>
      (await n.metrics()).get('vigil_index_vectors{kind="member"}') ?? -1;
    const before = await members(b);
    const dir = asset('faces', 'celeba', readdirSync(asset('faces', 'celeba')).sort()[0]!);
    const photos = readdirSync(dir)
      .sort()
      .slice(0, 3)
      .map((f) => ({ name: f, data: readFileSync(join(dir, f)).toString('base64') }));
    const enrolled = await a.call('members.enroll', { member: { name: 'Cluster Test' }, photos });
    expect(enrolled.embeddings_count).toBeGreaterThan(0);
    const seen = await waitFor(
      'member in the other node index',
      async () => {
        const n = await members(b);
        return n > before ? n : undefined;
      },
      10_000,
      50,
    );
    expect(seen).toBeGreaterThan(before);
    await a.call('subjects.erase', { id: enrolled.member_id });
    await waitFor(
      'member gone from the other node index',
      async () => ((await members(b)) === before ? true : undefined),
      10_000,
      50,
    );
  }, 180_000);

  it('takes a session made on one node on every other node, and signs it out everywhere', async () => {
    const [, a, b] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    vigil(['users', 'add', 'guard', '--role', 'security'], {
      ...env,
      VIGIL_USER_PASSWORD: 'guard password 1',
    });
    const rpc = async (base: string, method: string, params: unknown, session?: string) => {
      const res = await fetch(`${base}/api/rpc`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(session ? { authorization: `Bearer ${session}` } : {}),
        },
        body: JSON.stringify({ method, params }),
      });
      return {
        status: res.status,
        body: (await res.json()) as { ok: boolean; result?: { session?: string } },
      };
    };
    const login = await rpc(a.base, 'auth.login', { username: 'guard', password: 'guard password 1' });
    expect(login.body.ok).toBe(true);
    const session = login.body.result!.session!;
    const onB = await rpc(b.base, 'alerts.list', {}, session);
    expect(onB.status).toBe(200);
    expect(onB.body.ok).toBe(true);
    expect((await rpc(a.base, 'auth.logout', {}, session)).body.ok).toBe(true);
    expect((await rpc(b.base, 'alerts.list', {}, session)).status).toBe(401);
  }, 60_000);

  it('refuses a node without a name, a name without a shared store and a bad capacity, in one sentence', () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp, number?][] = [
      [['serve'], env, /a server on the shared store is one node of a cluster: name it with --node NAME/],
      [['serve', '--node', 'n9'], { ...env, VIGIL_STORE: '' }, /give --store postgres:\/\/… too/],
      [
        ['serve', '--node', 'n9', '--max-cameras', '-3'],
        env,
        /--max-cameras takes a whole number from 0 to 1000/,
      ],
      [['serve', '--node', 'n9', '--max-cameras', 'lots'], env, /--max-cameras takes a whole number/],
      [
        ['serve', '--node', 'n9', '--store', 'mysql://u:hunter2@h/db'],
        env,
        /"mysql" is not a supported store/,
        1,
      ],
    ];
    for (const [args, e, why, code = 2] of cases) {
      const r = spawnSync(process.execPath, [CLI, ...args, '--port', '0'], {
        encoding: 'utf8',
        env: { ...process.env, ...e },
        timeout: 60_000,
      });
      expect(r.status, args.join(' ')).toBe(code);
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(why);
      expect(r.stderr).not.toContain('hunter2');
    }
  }, 120_000);

  it('registers each TLS node with its certificate fingerprint, and links them only by it', async () => {
    // Two more nodes serving HTTPS with certificates of their own; capacity 0 leaves the cameras be.
    const tls: NodeProcess[] = [];
    try {
      for (const name of ['t1', 't2']) {
        const dataDir = mkdtempSync(join(tmpdir(), `vigil-cluster-${name}-`));
        selfSignedTls(dataDir, '127.0.0.1');
        const [cert, key] = ['cert.pem', 'key.pem'].map((f) => join(dataDir, 'tls', f));
        tls.push(
          await startNode({
            store: pg.url,
            name,
            passphrase: PASSPHRASE,
            maxCameras: 0,
            dataDir,
            env: { VIGIL_LOG_LEVEL: 'info' },
            args: ['--tls-cert', cert!, '--tls-key', key!],
          }),
        );
      }
      const listed = JSON.parse(vigil(['nodes', 'list', '--json'], env)) as {
        node: string;
        address: string;
        fingerprint: string | null;
      }[];
      for (const n of tls) {
        const info = readServeInfo(n.dataDir)!;
        expect(info.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
        expect(listed.find((l) => l.node === n.name)).toMatchObject({
          address: `https://127.0.0.1:${info.port}`,
          fingerprint: info.fingerprint,
        });
      }
      // Plain nodes on loopback have no certificate to pin.
      expect(listed.find((l) => l.node === 'n1')?.fingerprint).toBeNull();
      // A console on t2 makes it follow the others' previews: t1 over a link pinned to t1's certificate.
      const info = readServeInfo(tls[1]!.dataDir)!;
      const socket = await pinnedTlsSocket('127.0.0.1', info.port, info.fingerprint!);
      const console2 = new WebSocket(`wss://127.0.0.1:${info.port}${WS_PATH}`, [WS_PROTOCOL], {
        headers: { authorization: `Bearer ${info.token}` },
        createConnection: () => socket,
      });
      await new Promise((resolve, reject) => console2.once('open', resolve).once('error', reject));
      try {
        await waitFor(
          't2 to link to t1',
          () => /"event":"node_link_open","to":"t1"/.test(tls[1]!.output()) || undefined,
          30_000,
        );
        expect(tls[0]!.output()).toMatch(/"event":"node_link_accepted","from":"t2"/);
        expect(tls[1]!.output()).not.toMatch(/node_link_untrusted/);
      } finally {
        console2.close();
      }
    } finally {
      for (const n of tls) await n.kill('SIGTERM');
    }
  }, 300_000);
});
