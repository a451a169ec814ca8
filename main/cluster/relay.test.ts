import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Api } from '../api/dispatch.js';
import { handlers } from '../api/handlers/index.js';
import type { CameraView, ConsoleEvent, PreviewFrame } from '../contract/contract.js';
import { Engine } from '../engine/engine.js';
import type { AlertEvent, CameraStatusEvent } from '../engine/events.js';
import { Pipeline } from '../engine/pipeline.js';
import { packageRoot } from '../paths.js';
import { VigilServer } from '../serve/server.js';
import { selfSignedTls, type TlsMaterial } from '../serve/tls.js';
import type pg from 'pg';
import { parsePostgresUrl } from '../store/locator.js';
import { openPool } from '../store/postgres/connect.js';
import { leaveCluster, registerNode } from '../store/postgres/leases.js';
import { migrateStore } from '../store/postgres/migrate.js';
import { startPostgres, type TestPostgres } from '../testing/postgres.js';
import { describeWithPostgres } from '../testing/postgres-suite.js';
import { ClusterBus } from './bus.js';
import { clusterLinkKey, signNodeToken } from './node-token.js';
import { startClusterNode, type ClusterNode } from './node.js';
import { NODE_LINK_PATH, NODE_TOKEN_HEADER } from './previews.js';
import { startClusterRelay } from './relay.js';

const TOKEN = 'relay-test-machine-token';
/** Every node of the cluster holds the same master key (from the shared passphrase). */
const LINK_KEY = clusterLinkKey(randomBytes(32));

interface Node extends ClusterNode {
  name: string;
  /** How many times the node's index caught up (what `vectors.catchUp()` is wired to). */
  catchUps: number;
  engine: Engine;
  server: VigilServer;
  port: number;
}

/** A console connected to a node: every event it receives, and requests by id. */
interface Console {
  events: ConsoleEvent[];
  call<T>(method: string, params: unknown): Promise<T>;
  close(): void;
}

async function openConsole(port: number): Promise<Console> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['vigil'], {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const events: ConsoleEvent[] = [];
  const waiting = new Map<number, (m: { ok: boolean; result?: unknown; error?: unknown }) => void>();
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as { kind: string; id: number; event: ConsoleEvent; ok: boolean };
    if (m.kind === 'event') events.push(m.event);
    else waiting.get(m.id)?.(m);
  });
  let next = 1;
  return {
    events,
    call: <T>(method: string, params: unknown) =>
      new Promise<T>((resolve, reject) => {
        const id = next++;
        waiting.set(id, (m) => (m.ok ? resolve(m.result as T) : reject(new Error(JSON.stringify(m.error)))));
        ws.send(JSON.stringify({ kind: 'request', id, method, params }));
      }),
    close: () => ws.close(),
  };
}

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alerts = (c: Console, message: string) =>
  c.events.filter((e) => e.type === 'alert' && e.message === message);

describeWithPostgres('one console for all nodes (events relayed through the shared store)', () => {
  let pg: TestPostgres;
  const nodes: Node[] = [];
  const consoles: Console[] = [];
  let outsider: ClusterBus;
  let pool: pg.Pool;

  async function startNode(name: string, tls?: TlsMaterial): Promise<Node> {
    const engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), `vigil-relay-${name}-`)) });
    const sink: { server?: VigilServer } = {};
    const counter = { catchUps: 0 };
    // As `vigil serve --store URL --node NAME` wires it.
    const cluster = startClusterNode({
      store: parsePostgresUrl(pg.url),
      node: name,
      linkKey: LINK_KEY,
      deliver: (e) => sink.server?.deliverRemote(e),
      peersEveryMs: 200,
      watched: () => (sink.server?.consoles ?? 0) > 0,
      onIndex: () => void counter.catchUps++,
    });
    const server = new VigilServer(engine, new Pipeline(engine, { ffmpegPath: 'ffmpeg' }), {
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      api: new Api(handlers),
      rendererDir: join(packageRoot(), 'dist', 'renderer'),
      pack: 'default',
      version: 'test',
      cluster: cluster.relay,
      ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
    });
    sink.server = server;
    await cluster.ready;
    const node = Object.assign(counter, { ...cluster, name, engine, server, port: await server.listen() });
    await registerNode(pool, {
      node: name,
      address: `${tls ? 'https://' : ''}127.0.0.1:${node.port}`,
      fingerprint: tls?.fingerprint ?? null,
      capacity: 1,
    });
    nodes.push(node);
    return node;
  }

  beforeAll(async () => {
    pg = await startPostgres();
    pool = openPool(parsePostgresUrl(pg.url));
    await migrateStore(pool);
    outsider = new ClusterBus(parsePostgresUrl(pg.url));
    await outsider.start();
  }, 120_000);
  afterAll(async () => {
    consoles.forEach((c) => c.close());
    for (const n of nodes) {
      await n.stop();
      await n.server.close();
      n.engine.close();
    }
    await pool?.end();
    await outsider?.close();
    pg?.stop();
  });

  it('an alert raised on node A reaches a console on node B once, and A’s console once', async () => {
    const a = await startNode('node-a');
    const b = await startNode('node-b');
    const onA = await openConsole(a.port);
    const onB = await openConsole(b.port);
    consoles.push(onA, onB);
    const alert: AlertEvent = {
      type: 'alert',
      alert_type: 'watchlist',
      alert_id: 41,
      priority: 'high',
      message: 'Watch-list member at the gate',
      camera_id: 'gate',
      person_id: 'MEMBER_0123456789',
      created_at: new Date().toISOString(),
    };
    // The engine's path: Pipeline → runtime onEvent → server.broadcast.
    a.server.broadcast(alert);
    await until('the alert on B', () => alerts(onB, alert.message).length > 0);
    expect(alerts(onB, alert.message)[0]).toMatchObject({
      type: 'alert',
      alert_id: 41,
      priority: 'high',
      camera_id: 'gate',
    });
    // A marker from a third publisher: once it has reached both consoles, anything the alert could
    // still bring (A's own echo, a second copy) has arrived too, since each listener gets
    // notifications in the order they were sent.
    const marker = { type: 'alert_status', alert_ids: [41], status: 'acknowledged' } as const;
    await outsider.publish('events', JSON.stringify({ v: 1, node: 'node-c', event: marker }));
    const hasMarker = (c: Console) => c.events.some((e) => e.type === 'alert_status');
    await until('the marker on both', () => hasMarker(onA) && hasMarker(onB));
    expect(alerts(onA, alert.message)).toHaveLength(1);
    expect(alerts(onB, alert.message)).toHaveLength(1);
    // An event B relayed is not published again by B: C's marker came to A once, not twice.
    expect(onA.events.filter((e) => e.type === 'alert_status')).toHaveLength(1);
  }, 60_000);

  it("lists another node's camera with its node and relayed status; stale status shows offline", async () => {
    const [a, b] = nodes as [Node, Node];
    const onB = consoles[1]!;
    // Cameras are shared rows in a cluster; here each node's embedded store gets the same row.
    for (const n of [a, b])
      n.engine.store.cameras.add({ id: 'gate', name: 'Gate', url: 'rtsp://10.0.0.9/gate' });
    const status: CameraStatusEvent = {
      type: 'camera_status',
      camera_id: 'gate',
      state: 'online',
      reason: null,
      fps: 12.5,
      last_frame_at: new Date().toISOString(),
      frames_decoded: 100,
      frames_dropped: 0,
      reconnects: 0,
      last_error: null,
      last_error_at: null,
    };
    a.server.broadcast(status);
    await until('the status on B', () => onB.events.some((e) => e.type === 'camera_status'));
    const listed = await onB.call<CameraView[]>('cameras.list', {});
    expect(listed.find((c) => c.camera_id === 'gate')).toMatchObject({
      state: 'online',
      fps: 12.5,
      node: 'node-a',
    });
    // A relay whose clock has moved past the staleness time shows the camera offline, naming the node.
    let clock = Date.now();
    const stale = startClusterRelay({
      bus: outsider,
      node: 'node-d',
      deliver: () => undefined,
      staleMs: 30_000,
      now: () => clock,
    });
    try {
      await outsider.publish('events', JSON.stringify({ v: 1, node: 'node-a', event: status }));
      await until('the relay to cache it', () => stale.remoteCamera('gate') !== null);
      // B receives the same notification; it must be in before the next test counts B's events.
      await until('the copy on B', () => onB.events.filter((e) => e.type === 'camera_status').length === 2);
      expect(stale.remoteCamera('gate')).toMatchObject({ node: 'node-a', state: 'online', stale: false });
      clock += 31_000;
      expect(stale.remoteCamera('gate')).toMatchObject({
        node: 'node-a',
        state: 'offline',
        fps: 0,
        stale: true,
        reason: 'node node-a has not reported this camera for 31 s',
      });
    } finally {
      stale.stop();
    }
  }, 60_000);

  it('logs and drops malformed or hostile notifications, and keeps relaying', async () => {
    const [, b] = nodes as [Node, Node];
    const onB = consoles[1]!;
    const before = onB.events.length;
    const hostile = [
      'not json',
      '[]',
      'null',
      JSON.stringify({ v: 2, node: 'node-a', event: {} }),
      JSON.stringify({
        v: 1,
        node: '../../etc',
        event: { type: 'alert_status', alert_ids: [1], status: 'resolved' },
      }),
      JSON.stringify({ v: 1, node: 'node-a', event: { type: 'alert' } }),
      JSON.stringify({ v: 1, node: 'node-a', event: { type: 'preview', camera_id: 'gate', jpeg: 'AAAA' } }),
      JSON.stringify({ v: 1, node: 'node-a', event: { type: 'stats', cameras: 1 } }),
      '{"v":1,"node":"node-a","event":{"type":"camera_status","camera_id":"gate","state":"online","reason":null,"fps":1e400}}',
      JSON.stringify({
        v: 1,
        node: 'node-a',
        event: { type: 'camera_status', camera_id: 'gate', state: 'hacked', reason: null, fps: 1 },
      }),
      JSON.stringify({ v: 1, node: 'node-a', event: { __proto__: { type: 'alert' }, toString: 1 } }),
    ];
    for (const p of hostile) await outsider.publish('events', p);
    // Unknown fields of a valid event are dropped before a console sees it.
    const valid = {
      type: 'alert',
      alert_type: 'test',
      priority: 'low',
      message: 'after the noise',
      created_at: new Date().toISOString(),
      script: '<img onerror=alert(1)>',
    };
    await outsider.publish('events', JSON.stringify({ v: 1, node: 'node-c', event: valid }));
    await until('the valid event on B', () => alerts(onB, 'after the noise').length === 1);
    const got = onB.events.slice(before);
    expect(got.map((e) => e.type)).toEqual(['alert']);
    expect(got[0]).not.toHaveProperty('script');
    expect((await fetch(`http://127.0.0.1:${b.port}/healthz`)).status).toBe(200);
  }, 60_000);
  it("streams node A's previews to a console on node B over a direct link, never through the store", async () => {
    const [a, b] = nodes as [Node, Node];
    const [onA, onB] = consoles as [Console, Console];
    const onStore: string[] = [];
    outsider.on('events', (p) => onStore.push(p));
    // B finds A's address in the nodes table, and never links to itself.
    await until('B to follow A', () => b.previews.following().includes('node-a'));
    expect(b.previews.following()).toEqual(['node-a']);
    expect(a.previews.following()).toEqual(['node-b']);
    const frame: PreviewFrame = {
      type: 'preview',
      camera_id: 'gate',
      at: Date.now(),
      width: 320,
      height: 180,
      jpeg: Buffer.from('not really a jpeg').toString('base64'),
      faces: [{ bbox: [10, 10, 50, 60], label: 'UNKNOWN_0001', kind: 'unknown' }],
    };
    for (let i = 0; i < 3; i++) a.server.broadcast({ ...frame, at: frame.at + i });
    const previewsOn = (c: Console) => c.events.filter((e) => e.type === 'preview');
    await until('the frames on B', () => previewsOn(onB).length === 3);
    expect(previewsOn(onB)[0]).toEqual(frame);
    expect(previewsOn(onA)).toHaveLength(3);
    // A marker through the store: everything published before it has arrived by then.
    await outsider.publish(
      'events',
      JSON.stringify({
        v: 1,
        node: 'node-c',
        event: { type: 'alert_status', alert_ids: [1], status: 'resolved' },
      }),
    );
    await until('the marker', () => onStore.some((p) => p.includes('alert_status')));
    expect(onStore.filter((p) => p.includes('"preview"'))).toEqual([]);
    // Nor does B send A's frames back, or to anyone: A's console still has exactly its own three.
    await new Promise((r) => setTimeout(r, 200));
    expect(previewsOn(onA)).toHaveLength(3);
    // Watching a remote camera live is audited on the node the console is on.
    expect(
      b.engine.store.audit
        .list({ limit: 50 })
        .some((r) => r.action === 'camera_accessed' && r.subject === 'gate'),
    ).toBe(true);
    // A node that leaves the cluster is no longer followed; one that comes back is again.
    await leaveCluster(pool, 'node-a');
    await until('B to drop A', () => b.previews.following().length === 0);
    await registerNode(pool, { node: 'node-a', address: `127.0.0.1:${a.port}`, capacity: 1 });
    await until('B to follow A again', () => b.previews.following().includes('node-a'));
  }, 60_000);

  it('follows other nodes for previews only while a console is connected to this one', async () => {
    const [a] = nodes as [Node, Node];
    const c = await startNode('node-c');
    // A and B have consoles, so they follow C; C has none and follows nobody.
    await until('A to follow C', () => a.previews.following().includes('node-c'));
    await new Promise((r) => setTimeout(r, 1000));
    expect(c.previews.following()).toEqual([]);
    const onC = await openConsole(c.port);
    await until('C to follow A and B', () => c.previews.following().join() === 'node-a,node-b');
    onC.close();
    await until('C to stop following', () => c.previews.following().length === 0);
    await leaveCluster(pool, 'node-c');
  }, 60_000);

  it('links over TLS only to the certificate a node registered, as read from the nodes table', async () => {
    const [a] = nodes as [Node, Node];
    const tls = selfSignedTls(mkdtempSync(join(tmpdir(), 'vigil-relay-tls-')), '127.0.0.1');
    const d = await startNode('node-d', tls);
    await until('A to follow D over TLS', () => a.previews.following().includes('node-d'));
    // The row now names another certificate (as if someone else answered on D's address).
    const other = selfSignedTls(mkdtempSync(join(tmpdir(), 'vigil-relay-tls-x-')), '127.0.0.1');
    await registerNode(pool, {
      node: 'node-d',
      address: `https://127.0.0.1:${d.port}`,
      fingerprint: other.fingerprint,
      capacity: 1,
    });
    await until('A to drop D', () => !a.previews.following().includes('node-d'));
    await new Promise((r) => setTimeout(r, 1000));
    expect(a.previews.following()).not.toContain('node-d');
    await leaveCluster(pool, 'node-d');
  }, 60_000);

  it('refuses a preview link without a valid one-time node token: session, replay, old, foreign', async () => {
    const [a] = nodes as [Node, Node];
    const upgrade = (headers: Record<string, string>): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request({
          host: '127.0.0.1',
          port: a.port,
          path: NODE_LINK_PATH,
          headers: {
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-version': '13',
            'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
            ...headers,
          },
        });
        req.on('upgrade', (res, socket) => {
          socket.destroy();
          resolve(res.statusCode ?? 0);
        });
        req.on('response', (res) => resolve(res.statusCode ?? 0));
        req.on('error', reject);
        req.end();
      });
    expect(await upgrade({})).toBe(401);
    // The machine token or a console session opens the console's socket, not a node link.
    expect(await upgrade({ authorization: `Bearer ${TOKEN}` })).toBe(401);
    expect(await upgrade({ [NODE_TOKEN_HEADER]: TOKEN })).toBe(401);
    const fresh = signNodeToken(LINK_KEY, 'node-b', 'node-a');
    expect(await upgrade({ [NODE_TOKEN_HEADER]: fresh })).toBe(101);
    expect(await upgrade({ [NODE_TOKEN_HEADER]: fresh })).toBe(401);
    expect(
      await upgrade({
        [NODE_TOKEN_HEADER]: signNodeToken(LINK_KEY, 'node-b', 'node-a', Date.now() - 61_000),
      }),
    ).toBe(401);
    expect(await upgrade({ [NODE_TOKEN_HEADER]: signNodeToken(LINK_KEY, 'node-b', 'node-x') })).toBe(401);
    const foreign = clusterLinkKey(randomBytes(32));
    expect(await upgrade({ [NODE_TOKEN_HEADER]: signNodeToken(foreign, 'node-b', 'node-a') })).toBe(401);
    expect((await fetch(`http://127.0.0.1:${a.port}/healthz`)).status).toBe(200);
  }, 30_000);
  it('runs the index catch-up when any node says vectors changed', async () => {
    const [a, b] = nodes as [Node, Node];
    await until('the catch-ups of the first connection', () => a.catchUps >= 1 && b.catchUps >= 1);
    const before = b.catchUps;
    await a.bus.publish('index', '');
    await until('B to catch up', () => b.catchUps > before);
  }, 30_000);

  // Last: it stops the store's server.
  it('an alert raised while the store is away reaches the other node once the store is back', async () => {
    const [a] = nodes as [Node, Node];
    const onB = consoles[1]!;
    const during: AlertEvent = {
      type: 'alert',
      alert_type: 'unknown_person',
      alert_id: 77,
      priority: 'medium',
      message: 'Stranger at the loading bay during the outage',
      camera_id: 'bay',
      person_id: 'UNKNOWN_0123456789',
      created_at: new Date().toISOString(),
    };
    pg.stopServer();
    try {
      await until('A to notice the store is away', () => !a.bus.connected);
      a.server.broadcast(during);
      a.server.broadcast({ ...during, alert_id: 78, message: 'A second stranger during the outage' });
      // Nothing can reach B while the store is down.
      await new Promise((r) => setTimeout(r, 500));
      expect(alerts(onB, during.message)).toHaveLength(0);
    } finally {
      pg.startServer();
    }
    await until(
      'both alerts on B',
      () => alerts(onB, 'A second stranger during the outage').length > 0,
      60_000,
    );
    const got = onB.events.filter((e) => e.type === 'alert' && (e.alert_id === 77 || e.alert_id === 78));
    // In the order they were raised, each once.
    expect(got.map((e) => (e as AlertEvent).alert_id)).toEqual([77, 78]);
  }, 120_000);
});
