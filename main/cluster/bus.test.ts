import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import { parsePostgresUrl } from '../store/locator.js';
import { startPostgres, type TestPostgres } from '../testing/postgres.js';
import { describeWithPostgres } from '../testing/postgres-suite.js';
import { ClusterBus } from './bus.js';

const PEER = join(packageRoot(), 'dist', 'main', 'testing', 'bus-peer.js');

type Peer = ChildProcessByStdio<Writable, Readable, Readable> & { lines: Record<string, unknown>[] };

function startPeer(url: string): Peer {
  const child = spawn(process.execPath, [PEER, url], { stdio: ['pipe', 'pipe', 'pipe'] }) as Peer;
  child.lines = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      child.lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
    }
  });
  child.stderr.resume();
  return child;
}

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeWithPostgres('the cluster bus (LISTEN/NOTIFY on the shared store)', () => {
  let server: TestPostgres;
  const buses: ClusterBus[] = [];
  const peers: Peer[] = [];
  const open = (): ClusterBus => {
    const b = new ClusterBus(parsePostgresUrl(server.url), { backoff: { initialMs: 100, maxMs: 1_000 } });
    buses.push(b);
    return b;
  };

  beforeAll(async () => {
    if (!existsSync(PEER)) throw new Error('Build first (npm run build): the bus peer runs from dist/.');
    server = await startPostgres();
  }, 120_000);
  afterEach(async () => {
    for (const p of peers.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });
  afterAll(() => server?.stop());

  it('delivers a notification published on one bus to another, in this process and in a child process', async () => {
    const a = open();
    const b = open();
    await Promise.all([a.start(), b.start()]);
    const gotB: string[] = [];
    b.on('events', (p) => gotB.push(p));
    await a.publish('events', '{"hello":"b"}');
    await until('b to receive', () => gotB.includes('{"hello":"b"}'));

    const peer = startPeer(server.url);
    peers.push(peer);
    await until('the peer to connect', () => peer.lines.some((l) => l.connected === 1));
    await a.publish('events', '{"hello":"peer"}');
    await until('the peer to receive', () => peer.lines.some((l) => l.event === '{"hello":"peer"}'));
    peer.stdin.write('{"from":"peer"}\n');
    await until('b to receive from the peer', () => gotB.includes('{"from":"peer"}'));
  }, 60_000);

  it('refuses a payload over 7,500 bytes with a sentence, and sends nothing', async () => {
    const a = open();
    const b = open();
    await Promise.all([a.start(), b.start()]);
    const got: string[] = [];
    b.on('events', (p) => got.push(p));
    const big = JSON.stringify({ blob: 'x'.repeat(10_000) });
    await expect(a.publish('events', big)).rejects.toThrow(
      /holds at most 7500 bytes; this one has 10\d{3}, so it was not sent\./,
    );
    // Multi-byte characters count as bytes, not as characters.
    await expect(a.publish('events', 'é'.repeat(4_000))).rejects.toThrow(/this one has 8000/);
    const peer = startPeer(server.url);
    peers.push(peer);
    await until('the peer to connect', () => peer.lines.some((l) => l.connected === 1));
    peer.stdin.write(big + '\n');
    await until('the peer to be refused', () => peer.lines.some((l) => typeof l.refused === 'string'));
    expect(peer.lines.find((l) => l.refused)!.refused).toMatch(/at most 7500 bytes/);
    await a.publish('events', 'after');
    await until('the small one to arrive', () => got.includes('after'));
    expect(got).toEqual(['after']);
  }, 60_000);

  it('coalesces a burst of index notifications into a few catch-ups, the last after the burst', async () => {
    const a = open();
    const b = open();
    await Promise.all([a.start(), b.start()]);
    let runs = 0;
    let busy = false;
    let overlapped = false;
    b.on('index', async () => {
      if (busy) overlapped = true;
      busy = true;
      runs++;
      await new Promise((r) => setTimeout(r, 30));
      busy = false;
    });
    // Subscribing late: the run owed by the connection has not been made, so wait for quiet.
    await new Promise((r) => setTimeout(r, 300));
    const before = runs;
    await Promise.all(Array.from({ length: 200 }, () => a.publish('index', '')));
    // One more, after the burst: it must be answered by a run that starts after it. The burst is
    // answered first (LISTEN delivery is late on a loaded machine), then a moment for its last run.
    await until('a run for the burst', () => runs > before && !busy, 30_000);
    await new Promise((r) => setTimeout(r, 200));
    const beforeLast = runs;
    await a.publish('index', '');
    await until('a run after the last notification', () => runs > beforeLast);
    await new Promise((r) => setTimeout(r, 300));
    const forBurst = beforeLast - before;
    expect(forBurst).toBeGreaterThanOrEqual(1);
    expect(forBurst).toBeLessThan(200);
    expect(overlapped).toBe(false);
  }, 60_000);

  it('reconnects after the server restarts, resynchronises, and delivers again', async () => {
    const a = open();
    const b = open();
    await Promise.all([a.start(), b.start()]);
    let resyncs = 0;
    let indexRuns = 0;
    b.onResync(() => void resyncs++);
    b.on('index', () => void indexRuns++);
    const got: string[] = [];
    b.on('events', (p) => got.push(p));
    const peer = startPeer(server.url);
    peers.push(peer);
    await until('the peer to connect', () => peer.lines.some((l) => l.connected === 1));
    const indexBefore = indexRuns;

    server.stopServer();
    await until('the buses to see the server gone', () => !a.connected && !b.connected);
    await expect(a.publish('events', 'while away')).rejects.toThrow(/cannot be reached|refused/);
    // Long enough for several failed attempts, so the backoff path runs.
    await new Promise((r) => setTimeout(r, 1_500));
    server.startServer();

    await until('b to reconnect and resync', () => b.connected && resyncs >= 1, 30_000);
    await until('a to reconnect', () => a.connected, 30_000);
    await until('the peer to reconnect', () => peer.lines.some((l) => l.connected === 2), 30_000);
    expect(b.connections).toBe(2);
    // The index catches up on reconnection even though no notification said so.
    await until('the index to catch up', () => indexRuns > indexBefore);
    await a.publish('events', 'after restart');
    await until('delivery to resume', () => got.includes('after restart'));
    await until('the peer to receive', () => peer.lines.some((l) => l.event === 'after restart'));
    peer.stdin.write('peer after restart\n');
    await until('b to receive from the peer', () => got.includes('peer after restart'));
  }, 90_000);

  it('keeps delivering when a subscriber throws', async () => {
    const a = open();
    const b = open();
    await Promise.all([a.start(), b.start()]);
    const got: string[] = [];
    b.on('events', () => {
      throw new Error('a broken subscriber');
    });
    b.on('events', (p) => got.push(p));
    await a.publish('events', 'one');
    await a.publish('events', 'two');
    await until('both to arrive', () => got.length === 2);
    expect(got).toEqual(['one', 'two']);
  }, 30_000);
});
