import { afterAll, expect, it, vi } from 'vitest';
import { l2normalize } from '../../embed/arcface.js';
import type { Engine } from '../../engine/engine.js';
import { planUnknownSighting, recordUnknownSighting, type UnknownSighting } from '../../engine/sightings.js';
import { VigilError } from '../../errors.js';
import { describeWithPostgres } from '../../testing/postgres-suite.js';
import { freshSharedLocation, stopTestCluster, testCluster } from '../../testing/store-kinds.js';
import { parsePostgresUrl } from '../locator.js';
import { Store } from '../store.js';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../../paths.js';
import pg from 'pg';
import { connectionConfig } from './connect.js';

/**
 * Several nodes on one shared store, each a Store with its own bridge (its own connection and
 * in-memory index), as separate machines would be; and the bridge when the server goes away.
 */
const DIM = 8;
const rand = (seed: number): Float32Array => {
  let s = seed;
  const v = new Float32Array(DIM);
  for (let i = 0; i < DIM; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    v[i] = s / 2 ** 31 - 0.5;
  }
  return l2normalize(v);
};
const nudge = (v: Float32Array, by: number): Float32Array =>
  l2normalize(v.map((x, i) => x + (i % 2 ? by : -by)));

const open = (loc: ReturnType<typeof parsePostgresUrl>): Store =>
  Store.openShared(loc, { recognizerId: 'r', embeddingDim: DIM });

describeWithPostgres('several nodes on one shared store', () => {
  afterAll(stopTestCluster);

  it('refuses a database without the schema, and another recognizer, in a sentence', async () => {
    const pg = await testCluster();
    const bare = parsePostgresUrl(pg.createDatabase('bare'));
    expect(() => open(bare)).toThrow(
      /has no Vigil schema yet: run "vigil store init --store postgres:\/\/\*\*\*@/,
    );
    const loc = await freshSharedLocation();
    open(loc).close();
    expect(() => Store.openShared(loc, { recognizerId: 'other', embeddingDim: DIM })).toThrow(
      /holds faces enrolled with recognizer r, but other is selected/,
    );
    // A wrong password or a port nobody listens on: one sentence each, without the password.
    const wrong = parsePostgresUrl(
      loc.url.replace(`:${encodeURIComponent(pg.password)}@`, ':not-the-password@'),
    );
    expect(() => open(wrong)).toThrow(
      /^The shared store postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/\w+ cannot be reached: .*password/,
    );
    expect(() => open(parsePostgresUrl(loc.url.replace(/:(\d+)\//, ':1/')))).toThrow(
      expect.objectContaining({
        code: 'STORE_UNREACHABLE',
        message: expect.not.stringContaining(pg.password),
      }),
    );
  });

  it('matches a member enrolled on one node on another once it caught up, and forgets an erased one', async () => {
    const loc = await freshSharedLocation();
    const a = open(loc);
    const b = open(loc);
    try {
      expect(a.dialect).toBe('postgres');
      const face = rand(1);
      a.transaction(() => {
        a.members.insert('M1', { name: 'Ann' }, 'r', 0.9);
        a.vectors.add('member', 'M1', face, { quality: 0.9 });
      });
      expect(a.vectors.searchPeople('member', face, 1)[0]).toMatchObject({ personId: 'M1' });
      expect(b.vectors.searchPeople('member', face, 1)).toEqual([]);
      expect(b.vectors.catchUp()).toBe(1);
      expect(b.vectors.searchPeople('member', nudge(face, 0.01), 1)[0]?.personId).toBe('M1');
      expect(b.vectors.searchPeople('member', face, 1)[0]!.similarity).toBeCloseTo(1, 5);
      expect(b.vectors.catchUp()).toBe(0);

      // A node that starts later loads everything at once.
      const c = open(loc);
      expect(c.vectors.searchPeople('member', face, 1)[0]?.personId).toBe('M1');
      c.close();

      // Suspension keeps matching, restriction does not, on every node.
      a.members.setStatus('M1', 'restricted');
      a.vectors.setActive('member', 'M1', false);
      expect(b.vectors.catchUp()).toBe(1);
      expect(b.vectors.searchPeople('member', face, 1)).toEqual([]);
      a.members.setStatus('M1', 'active');
      a.vectors.setActive('member', 'M1', true);
      b.vectors.catchUp();
      expect(b.vectors.searchPeople('member', face, 1)[0]?.personId).toBe('M1');

      // Erasure on A: B no longer matches the person after catching up.
      a.transaction(() => {
        a.vectors.removePerson('member', 'M1');
        a.members.delete('M1');
      });
      expect(b.vectors.catchUp()).toBe(1);
      expect(b.vectors.searchPeople('member', face, 1)).toEqual([]);
      expect(b.vectors.count('member')).toBe(0);
    } finally {
      a.close();
      b.close();
    }
  });

  it('records one unknown identity when two nodes see the same stranger one after the other', async () => {
    const loc = await freshSharedLocation();
    const nodes = [open(loc), open(loc)];
    const engines = nodes.map((store) => ({ store, recognizer: { id: 'r' } }) as unknown as Engine);
    const stranger = rand(7);
    const seen = (
      engine: Engine,
      v: Float32Array,
      at: number,
    ): { plan: ReturnType<typeof planUnknownSighting>; appearance: number } => {
      const s: UnknownSighting = {
        cameraId: 'gate',
        firstSeen: at,
        lastSeen: at + 1000,
        bbox: [0, 0, 10, 10],
        shots: [{ embedding: v, quality: 0.8 }],
        // Searched on this node's index before the write, as the pipeline does.
        nearest: engine.store.vectors.searchPeople('unknown', v, 1)[0],
        unknownThreshold: 0.6,
      };
      const plan = planUnknownSighting(s);
      return { plan, appearance: recordUnknownSighting(engine, s, plan) };
    };
    try {
      const first = seen(engines[0]!, stranger, Date.UTC(2026, 11, 1, 10));
      expect(first.plan.kind).toBe('new_unknown');
      // Node B has not caught up: its own search finds no one, its plan says "new".
      expect(nodes[1]!.vectors.searchPeople('unknown', stranger, 1)).toEqual([]);
      const second = seen(engines[1]!, nudge(stranger, 0.02), Date.UTC(2026, 11, 1, 10, 0, 5));
      expect(second.plan).toMatchObject({ kind: 'recurring_unknown', unknownId: first.plan.unknownId });
      expect(nodes[0]!.unknowns.list().map((u) => u.unknown_id)).toEqual([first.plan.unknownId]);
      expect(nodes[0]!.unknowns.get(first.plan.unknownId)).toMatchObject({ appearance_count: 2 });
      expect(
        nodes[0]!.appearances
          .ofUnknown(first.plan.unknownId)
          .map((r) => r.appearance_id)
          .sort(),
      ).toEqual([first.appearance, second.appearance].sort());
      // Someone else entirely is still a new identity.
      const other = seen(engines[1]!, rand(99), Date.UTC(2026, 11, 1, 11));
      expect(other.plan.kind).toBe('new_unknown');
      expect(nodes[0]!.unknowns.list()).toHaveLength(2);
    } finally {
      for (const n of nodes) n.close();
    }
  });

  it('records one unknown identity when two nodes on two threads see the same stranger at the same moment', async () => {
    const loc = await freshSharedLocation();
    open(loc).close();
    const dist = join(packageRoot(), 'dist', 'main');
    // [0]: the start signal; [1]: how many threads have opened their store and wait for it.
    const go = new Int32Array(new SharedArrayBuffer(8));
    const stranger = rand(11);
    // Each thread is a node: its own Store, bridge and index, released at the same instant.
    const node = (i: number) =>
      new Promise<{ kind: string; unknownId: string }>((resolve, reject) => {
        const w = new Worker(
          `const { workerData, parentPort } = require('node:worker_threads');
           (async () => {
             const { Store } = await import(workerData.dist + '/store/store.js');
             const { parsePostgresUrl } = await import(workerData.dist + '/store/locator.js');
             const s = await import(workerData.dist + '/engine/sightings.js');
             const store = Store.openShared(parsePostgresUrl(workerData.url), { recognizerId: 'r', embeddingDim: ${DIM} });
             const engine = { store, recognizer: { id: 'r' } };
             const v = Float32Array.from(workerData.vector);
             Atomics.add(workerData.go, 1, 1);
             Atomics.wait(workerData.go, 0, 0);
             const sighting = {
               cameraId: 'cam' + workerData.i, firstSeen: Date.now(), lastSeen: Date.now() + 1000, bbox: [0, 0, 9, 9],
               shots: [{ embedding: v, quality: 0.8 }], nearest: store.vectors.searchPeople('unknown', v, 1)[0],
               unknownThreshold: 0.6,
             };
             const plan = s.planUnknownSighting(sighting);
             s.recordUnknownSighting(engine, sighting, plan);
             store.close();
             parentPort.postMessage(plan);
           })().catch((e) => { throw e; });`,
          { eval: true, workerData: { dist, url: loc.url, i, go, vector: [...nudge(stranger, i * 0.01)] } },
        );
        w.once('message', resolve);
        w.once('error', reject);
      });
    const plans = [node(0), node(1)];
    // Both have opened their store, however long that takes here; then both go at once.
    await Promise.race([
      vi.waitFor(() => expect(Atomics.load(go, 1)).toBe(2), { timeout: 60_000, interval: 20 }),
      // A thread that fails while opening says why, rather than leaving the wait to time out.
      Promise.all(plans),
    ]);
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    const [p0, p1] = await Promise.all(plans);
    expect([p0!.kind, p1!.kind].sort()).toEqual(['new_unknown', 'recurring_unknown']);
    expect(p0!.unknownId).toBe(p1!.unknownId);
    const check = open(loc);
    try {
      expect(check.unknowns.list()).toMatchObject([{ unknown_id: p0!.unknownId, appearance_count: 2 }]);
      expect(JSON.parse(check.unknowns.list()[0]!.cameras).sort()).toEqual(['cam0', 'cam1']);
    } finally {
      check.close();
    }
  });

  it('tells listening nodes on vigil_index when a change commits, not before', async () => {
    const loc = await freshSharedLocation();
    const a = open(loc);
    const listener = new pg.Client(connectionConfig(loc));
    await listener.connect();
    try {
      const heard: string[] = [];
      listener.on('notification', (n) => heard.push(n.channel));
      await listener.query('LISTEN vigil_index');
      a.transaction(() => {
        a.members.insert('M1', { name: 'Ann' }, 'r', 0.9);
        a.vectors.add('member', 'M1', rand(3), {});
        a.vectors.add('member', 'M1', rand(4), {});
      });
      const until = Date.now() + 10_000;
      while (heard.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      // One notification per transaction (PostgreSQL folds identical ones), after its commit.
      expect(heard).toEqual(['vigil_index']);
      expect(
        (await listener.query('SELECT person_id FROM index_changes ORDER BY seq')).rows.map(
          (r: { person_id: string }) => r.person_id,
        ),
      ).toEqual(['M1', 'M1']);
    } finally {
      await listener.end();
      a.close();
    }
  });

  it('keeps one audit chain for all nodes, its head anchored in the store, and notices rows cut off the end', async () => {
    const loc = await freshSharedLocation();
    const a = open(loc);
    const b = open(loc);
    try {
      const key = Buffer.alloc(32, 7);
      for (const n of [a, b]) n.audit.useKey(key, 0);
      for (let i = 0; i < 4; i++) {
        a.audit.append({ actor: 'node-a', action: 'member_viewed', subject: `M${i}` });
        b.audit.append({ actor: 'node-b', action: 'member_viewed', subject: `M${i}` });
      }
      // A rolled-back append leaves neither a row nor an anchor pointing at one.
      expect(() =>
        b.transaction(() => {
          b.audit.append({ actor: 'node-b', action: 'member_viewed', subject: 'gone' });
          throw new Error('rolled back');
        }),
      ).toThrow('rolled back');
      expect(a.audit.verify()).toEqual({ ok: true, rows: 8, firstBad: null, anchor: 'ok' });
      expect(b.audit.verify()).toMatchObject({ ok: true, rows: 8, anchor: 'ok' });
      const anchor = a.sql.prepare('SELECT last_id, count FROM audit_anchor').get();
      expect(anchor).toEqual({ last_id: a.audit.lastId(), count: 8 });
      // Someone with the database but not the key removes the last two rows.
      a.sql.prepare('DELETE FROM audit_log WHERE audit_id > ?').run(a.audit.lastId() - 2);
      expect(b.audit.verify()).toMatchObject({ ok: false, anchor: 'mismatch' });
      // ... and then rewrites the anchor to match: its MAC gives it away.
      a.sql.prepare('UPDATE audit_anchor SET count = 6, last_id = ?').run(a.audit.lastId());
      expect(b.audit.verify()).toMatchObject({ ok: false, anchor: 'forged' });
      a.sql.prepare('DELETE FROM audit_anchor').run();
      expect(b.audit.verify()).toMatchObject({
        ok: false,
        anchor: 'missing',
        problem: "the shared store's audit anchor is missing",
      });
    } finally {
      a.close();
      b.close();
    }
  });

  it('says in a sentence within seconds that the server is gone, without the password, and reconnects', async () => {
    const pg = await testCluster();
    const loc = await freshSharedLocation();
    const store = open(loc);
    try {
      store.members.insert('M1', { name: 'Ann' }, 'r', 0.9);
      pg.stopServer();
      const started = Date.now();
      let error: unknown;
      try {
        store.members.get('M1');
      } catch (e) {
        error = e;
      }
      const waited = Date.now() - started;
      expect(error).toBeInstanceOf(VigilError);
      expect((error as VigilError).code).toBe('STORE_UNREACHABLE');
      expect((error as Error).message).toMatch(
        /^The shared store postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/\w+ cannot be reached: /,
      );
      expect((error as Error).message).not.toContain(pg.password);
      // No hang: the bridge gives up on its own (3 s to connect); generous for a loaded machine.
      expect(waited).toBeLessThan(20_000);
      // A transaction fails the same way and leaves nothing half-open.
      expect(() => store.transaction(() => store.members.get('M1'), 'immediate')).toThrow(
        /cannot be reached/,
      );
      pg.startServer();
      expect(store.members.get('M1')).toMatchObject({ name: 'Ann' });
      expect(store.transaction(() => store.members.list().length, 'immediate')).toBe(1);
    } finally {
      store.close();
    }
    expect(store.isOpen).toBe(false);
  });
});
