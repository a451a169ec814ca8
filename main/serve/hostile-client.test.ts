import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSession } from '../accounts/sessions.js';
import { SetupCode } from '../accounts/setup-code.js';
import { addUser } from '../accounts/users.js';
import { Api } from '../api/dispatch.js';
import { handlers } from '../api/handlers/index.js';
import { Engine } from '../engine/engine.js';
import { Pipeline } from '../engine/pipeline.js';
import { packageRoot } from '../paths.js';
import { SOCKETS_PER_SESSION, VigilServer, type ServerOptions } from './server.js';

/**
 * `vigil serve` against a hostile client on the network, with real sockets: malformed request
 * lines and upgrades, non-object and oversized WebSocket messages, bodies before sign-in, slow and
 * half-open connections, hundreds of idle connections, cross-site and rebinding requests, and
 * parallel PIN guesses. The server must stay up, refuse every attempt and keep its lockout.
 */

const ADMIN = { username: 'chief', password: 'chief password 1' };
const TOKEN = 'hostile-client-machine-token';

/** Sends raw bytes and resolves with what came back before the server closed (or 5 s passed). */
function raw(port: number, bytes: string, waitMs = 5_000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      s.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, waitMs);
    s.on('data', (d) => {
      got += d.toString('latin1');
      // One answer is enough once its headers are in.
      if (got.includes('\r\n\r\n')) {
        clearTimeout(timer);
        setTimeout(done, 50);
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.write(bytes, 'latin1');
  });
}

/** The real API, noting the method of each call the server makes. */
function recording(api: Api, into: string[]): Api {
  const call = api.call.bind(api);
  api.call = (ctx, req) => {
    into.push(String((req as { method?: unknown }).method));
    return call(ctx, req);
  };
  return api;
}

const statusOf = (answer: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);

/** A server on a free loopback port serving the built console, as `vigil serve` wires one. */
function testServer(
  engine: Engine,
  opts: Omit<ServerOptions, 'host' | 'port' | 'token' | 'rendererDir' | 'pack' | 'version'>,
): VigilServer {
  return new VigilServer(engine, new Pipeline(engine, { ffmpegPath: 'ffmpeg' }), {
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    rendererDir: join(packageRoot(), 'dist', 'renderer'),
    pack: 'default',
    version: 'test',
    ...opts,
  });
}

describe('vigil serve against a hostile client', () => {
  let engine: Engine;
  let server: VigilServer;
  let port = 0;
  let viewer = '';
  let kiosk = '';
  const setupCode = { code: '' };
  /** The methods the server handed to the API, in order. */
  const handled: string[] = [];

  const healthy = async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
  const rpc = (
    body: string,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ): Promise<{ status: number; body: { ok?: boolean; error?: { code: string; message: string } } }> =>
    fetch(`http://127.0.0.1:${port}/api/rpc`, { method: 'POST', headers, body }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as { ok?: boolean; error?: { code: string; message: string } },
    }));
  const openWs = (headers: Record<string, string>, protocols: string[] = ['vigil']) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, protocols, { headers });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  const upgradeStatus = (headers: Record<string, string>, path = '/ws'): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        path,
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

  beforeAll(async () => {
    engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-hostile-client-')) });
    const code = new SetupCode(() => engine.store);
    setupCode.code = code.current()!;
    server = testServer(engine, {
      api: recording(new Api(handlers), handled),
      setupCode: code,
      allowedHosts: ['vigil.example.org'],
      timeouts: { headersMs: 1_500, requestMs: 3_000, idleMs: 2_000 },
      // Enough for the PIN guesses below to reach the lockout whatever ran before them.
      attempts: { burst: 20, refillMs: 6_000 },
    });
    port = await server.listen();
  });
  afterAll(async () => {
    await server?.close();
    engine?.close();
  });

  it('refuses first-run setup without the one-time code, then accepts it', async () => {
    const setup = (extra: Record<string, string>) =>
      rpc(JSON.stringify({ method: 'auth.setup', params: { ...ADMIN, ...extra } }));
    expect((await setup({})).body.error?.code).toBe('FORBIDDEN');
    expect((await setup({ code: 'ZZZZ-ZZZZ' })).body.error?.code).toBe('FORBIDDEN');
    expect((await setup({ code: setupCode.code })).body.ok).toBe(true);
    // Rows written while serving a request carry where it came from.
    const added = engine.store.sql
      .prepare("SELECT details FROM audit_log WHERE action = 'user_added'")
      .pluck()
      .get();
    expect(JSON.parse(added as string)).toMatchObject({ address: '127.0.0.1', success: true });
    await addUser(engine.store, { username: 'val', role: 'viewer', password: 'viewer password 1' });
    await addUser(engine.store, { username: 'desk', role: 'kiosk', password: 'kiosk password 1' });
    viewer = createSession(engine.store, 'val').token;
    kiosk = createSession(engine.store, 'desk').token;
  });

  it('answers malformed request lines, as requests and as upgrades, and stays up', async () => {
    const upgrade =
      'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
    for (const target of [
      '//',
      '//@',
      '/\\',
      '//x:99999',
      '//[::1',
      '*',
      'http://x:99999/',
      '/%',
      '/ws?%%',
    ]) {
      for (const extra of ['', upgrade]) {
        const answer = await raw(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`);
        const status = statusOf(answer);
        expect(
          status,
          `${target} ${extra ? 'upgrade' : 'request'}: ${answer.slice(0, 80)}`,
        ).toBeGreaterThanOrEqual(200);
        // Never a WebSocket without a session, never a server error.
        expect(status, target).not.toBe(101);
        expect(status, target).toBeLessThan(500);
      }
    }
    // Not a proxy: a tunnel request is refused with a status, not dropped.
    expect(statusOf(await raw(port, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n'))).toBe(
      405,
    );
    for (const junk of [
      '\x00\x01\x02\r\n\r\n',
      'GET\r\n\r\n',
      `GET /${'a'.repeat(20_000)} HTTP/1.1\r\n\r\n`,
    ]) {
      const status = statusOf(await raw(port, junk));
      expect([0, 400, 414, 431]).toContain(status);
    }
    expect(await healthy()).toBe(true);
  });

  it('answers WebSocket messages that are not objects, and closes oversized ones', async () => {
    const ws = await openWs({ authorization: `Bearer ${viewer}` });
    const replies: { ok: boolean; error?: { code: string } }[] = [];
    ws.on('message', (d) => replies.push(JSON.parse(String(d)) as (typeof replies)[number]));
    const info = (id: string) => `{"id":${id},"method":"system.info","params":{}}`;
    for (const m of [
      'null',
      '0',
      '[]',
      '"x"',
      'false',
      '[null]',
      '{"method":null}',
      info('"7"'),
      info('1.5'),
      info('-1'),
    ])
      await new Promise<void>((resolve) => {
        const before = replies.length;
        ws.send(m);
        const poll = setInterval(() => {
          if (replies.length > before) {
            clearInterval(poll);
            resolve();
          }
        }, 5);
      });
    expect(replies).toHaveLength(10);
    for (const r of replies) expect(r).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(JSON.stringify(replies.slice(7))).toMatch(/message id must be a whole number/);
    // A viewer cannot upload: 2 MiB is over its limit and the socket is closed with 1009.
    const closed = new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    ws.on('error', () => undefined);
    ws.send('x'.repeat(2 * 1024 * 1024));
    expect(await closed).toBe(1009);
    expect(await healthy()).toBe(true);
  });

  it('refuses a large body before reading it when nobody has signed in', async () => {
    // Only the headers are sent: the answer comes without the server waiting for 10 MB.
    const declared = await raw(
      port,
      'POST /api/rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{',
    );
    expect(statusOf(declared)).toBe(413);
    // Chunked, so no length is declared: cut off once it passes 64 KiB.
    const chunk = 'a'.repeat(16 * 1024);
    let chunked =
      'POST /api/rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    for (let i = 0; i < 8; i++) chunked += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    expect(statusOf(await raw(port, chunked))).toBe(413);
    // A signed-in viewer's ordinary call may not be 2 MiB either.
    const big = await rpc(
      JSON.stringify({ method: 'members.list', params: { query: 'x'.repeat(2 << 20) } }),
      {
        'content-type': 'application/json',
        authorization: `Bearer ${viewer}`,
      },
    ).catch(() => ({ status: 413, body: {} }));
    expect(big.status).toBe(413);
    expect(await healthy()).toBe(true);
  });

  it('closes slow (slowloris) and half-open connections', async () => {
    const slow = connect(port, '127.0.0.1');
    slow.on('error', () => undefined);
    slow.resume();
    const slowClosed = new Promise<void>((resolve) => slow.once('close', () => resolve()));
    slow.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const drip = setInterval(() => slow.writable && slow.write('X-a: b\r\n'), 200);
    const silent = connect(port, '127.0.0.1');
    silent.on('error', () => undefined);
    silent.resume();
    const silentClosed = new Promise<void>((resolve) => silent.once('close', () => resolve()));
    await Promise.all([slowClosed, silentClosed]);
    clearInterval(drip);
    expect(await healthy()).toBe(true);
  }, 30_000);

  it('terminates a signed-in WebSocket that stops answering pings (half-open)', async () => {
    const ws = await new Promise<WebSocket>((resolve, reject) => {
      const w = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['vigil'], {
        headers: { authorization: `Bearer ${viewer}` },
        // A client that vanished answers nothing.
        autoPong: false,
      });
      w.once('open', () => resolve(w));
      w.once('error', reject);
    });
    const code = await new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    expect(code).toBe(1006);
  }, 30_000);

  it('stays up and bounded with 500 concurrent unauthenticated connections', async () => {
    const before = process.memoryUsage().rss;
    const sockets: Socket[] = [];
    await Promise.all(
      Array.from(
        { length: 500 },
        (_, i) =>
          new Promise<void>((resolve) => {
            const s = connect(port, '127.0.0.1', () => {
              // Half of them start a request and never finish it, half an upgrade without a session.
              s.write(
                i % 2
                  ? 'POST /api/rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{'
                  : 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n',
              );
              resolve();
            });
            s.on('error', () => resolve());
            // Read whatever the server answers (a 408), so its hang-up is seen here.
            s.resume();
            sockets.push(s);
          }),
      ),
    );
    expect(await healthy()).toBe(true);
    const status = await rpc(JSON.stringify({ method: 'auth.status', params: {} }));
    expect(status.status).toBe(200);
    // Each holds at most its unread headers or a 64 KiB body: far below 100 MB for all of them.
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    // The server cuts every one of them by its header and request timeouts.
    await expect
      .poll(() => sockets.filter((s) => !s.destroyed).length, { timeout: 30_000, interval: 250 })
      .toBe(0);
    for (const s of sockets) s.destroy();
  }, 60_000);

  it('refuses cross-site and DNS-rebinding requests with 403, and text/plain bodies', async () => {
    const body = JSON.stringify({ method: 'auth.status', params: {} });
    const json = { 'content-type': 'application/json' };
    expect((await rpc(body, { ...json, origin: 'https://evil.example' })).status).toBe(403);
    expect((await rpc(body, { ...json, origin: 'null' })).status).toBe(403);
    expect((await rpc(body, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await rpc(body, { ...json, origin: `http://127.0.0.1:${port}` })).status).toBe(200);
    // A rebinding page reaches us under its own name: the Host says so.
    expect(
      statusOf(
        await raw(
          port,
          `POST /api/rpc HTTP/1.1\r\nHost: evil.example:${port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        ),
      ),
    ).toBe(403);
    expect(statusOf(await raw(port, `GET / HTTP/1.1\r\nHost: attacker.example\r\n\r\n`))).toBe(403);
    // A configured name is served.
    expect(statusOf(await raw(port, `GET /healthz HTTP/1.1\r\nHost: vigil.example.org\r\n\r\n`))).toBe(200);
    const auth = { authorization: `Bearer ${viewer}` };
    expect(await upgradeStatus({ ...auth, origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus({ ...auth, host: 'evil.example' })).toBe(403);
    expect(await upgradeStatus({ ...auth, origin: `http://127.0.0.1:${port}` })).toBe(101);
    // The token rides as a subprotocol, as the browser console sends it.
    const ws = await openWs({ origin: `http://127.0.0.1:${port}` }, ['vigil', `vigil.auth.${viewer}`]);
    expect(ws.protocol).toBe('vigil');
    ws.close();
    expect(await upgradeStatus({}, `/ws?session=${viewer}`)).toBe(401);
  });

  it('holds the lockout against parallel kiosk PIN guesses, and refuses PINs from a non-kiosk', async () => {
    const call = (token: string, params: unknown) =>
      rpc(JSON.stringify({ method: 'kiosk.unlock', params }), {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
      });
    expect((await call(viewer, { username: ADMIN.username, pin: ADMIN.password })).body.error?.code).toBe(
      'FORBIDDEN',
    );
    const guesses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call(kiosk, { username: ADMIN.username, pin: `guess ${i}` })),
    );
    expect(guesses.every((g) => g.body.ok === false)).toBe(true);
    const failed = engine.store.sql
      .prepare('SELECT failed_logins FROM users WHERE username = ?')
      .pluck()
      .get(ADMIN.username) as number;
    // Charged before hashing: at most the lock threshold was ever checked.
    expect(failed).toBe(5);
    // Locked now: the right PIN waits too.
    const right = await call(kiosk, { username: ADMIN.username, pin: ADMIN.password });
    expect(right.body.ok).toBe(false);
    expect(right.body.error?.message).toMatch(/Too many/);
    // One row for the refusals of this client this minute, not thirty.
    const rows = engine.store.sql
      .prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'kiosk_unlock_failed'")
      .pluck()
      .get() as number;
    expect(rows).toBe(1);
    expect(await healthy()).toBe(true);
  }, 60_000);

  it('answers other consoles between the requests of one that floods it', async () => {
    const auth = { authorization: `Bearer ${viewer}` };
    const flood = await openWs(auth);
    const other = await openWs(auth);
    const N = 1_000;
    let answered = 0;
    flood.on('message', () => answered++);
    // The burst goes out as one write of ready-made frames (masked with a zero key), as a hostile
    // client would send it, so it is all at the server before the other console's one request.
    const frames = Array.from({ length: N }, (_, i) => {
      const payload = Buffer.from(JSON.stringify({ id: i + 1, method: 'auth.status' }));
      return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
    });
    handled.length = 0;
    (flood as unknown as { _socket: Socket })._socket.write(Buffer.concat(frames));
    const reply = new Promise<void>((resolve) => other.once('message', () => resolve()));
    other.send(JSON.stringify({ id: 1, method: 'system.info' }));
    await reply;
    // One message per turn of the event loop: the other console's request is handled among the
    // first of the burst, not after all of it (as it was when a burst was handled in one go).
    expect(handled.indexOf('system.info')).toBeGreaterThanOrEqual(0);
    expect(handled.indexOf('system.info')).toBeLessThan(N / 2);
    await expect.poll(() => answered, { timeout: 20_000, interval: 50 }).toBe(N);
    flood.close();
    other.close();
  }, 30_000);

  it('caps the WebSockets one session may hold open', async () => {
    const session = createSession(engine.store, 'val').token;
    const auth = { authorization: `Bearer ${session}` };
    const sockets = await Promise.all(Array.from({ length: SOCKETS_PER_SESSION }, () => openWs(auth)));
    expect(await upgradeStatus(auth)).toBe(429);
    // Another session of the same person is counted on its own.
    const other = await openWs({ authorization: `Bearer ${viewer}` });
    const closed = new Promise<void>((resolve) => sockets[0]!.once('close', () => resolve()));
    sockets[0]!.close();
    await closed;
    await expect.poll(() => upgradeStatus(auth), { timeout: 5_000, interval: 100 }).toBe(101);
    for (const ws of [...sockets, other]) ws.close();
    expect(await healthy()).toBe(true);
  }, 30_000);

  it('tells an anonymous caller no data path', async () => {
    const anon = await fetch(`http://127.0.0.1:${port}/api/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'system.info', params: {} }),
    });
    const info = ((await anon.json()) as { result: Record<string, unknown> }).result;
    expect(info.version).toBe('test');
    expect(info).not.toHaveProperty('data_dir');
    expect(JSON.stringify(info)).not.toContain(engine.dataDir);
  });

  it('limits sign-in attempts per client address', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        rpc(
          JSON.stringify({
            method: 'auth.login',
            params: { username: `nobody${i}`, password: 'wrong guess' },
          }),
        ),
      ),
    );
    // The address spent its budget on the PIN guesses above: these are refused before any hashing.
    expect(attempts.filter((a) => a.status === 429).length).toBeGreaterThan(0);
    for (const a of attempts) expect(a.body.ok).toBe(false);
  }, 60_000);
});

describe('vigil serve with an answer slower than its idle timeout', () => {
  let engine: Engine;
  let server: VigilServer;
  let port = 0;
  const IDLE_MS = 300;
  beforeAll(async () => {
    engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-hostile-slow-')) });
    // A handler that takes several idle periods, as a PIN's scrypt does on a loaded machine.
    const slow: typeof handlers = {
      ...handlers,
      'system.info': async (ctx, p) => {
        await new Promise((r) => setTimeout(r, IDLE_MS * 5));
        return handlers['system.info'](ctx, p);
      },
    };
    server = testServer(engine, {
      api: new Api(slow),
      timeouts: { headersMs: 1_500, requestMs: 3_000, idleMs: IDLE_MS },
    });
    port = await server.listen();
  });
  afterAll(async () => {
    await server?.close();
    engine?.close();
  });

  it('answers a caller that waits, and still closes one that goes quiet', async () => {
    const r = await fetch(`http://127.0.0.1:${port}/api/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'system.info', params: {} }),
    });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { result: { version: string } }).result.version).toBe('test');
    // A connection that never finishes its request is still cut.
    const quiet = connect(port, '127.0.0.1');
    quiet.on('error', () => undefined);
    quiet.resume();
    const closed = new Promise<void>((resolve) => quiet.once('close', () => resolve()));
    quiet.write(
      'POST /api/rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
    );
    await closed;
  }, 60_000);
});

describe('vigil serve started without a first-run code', () => {
  it('refuses setup from the network instead of letting the first caller in', async () => {
    const engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-hostile-nocode-')) });
    const server = testServer(engine, { api: new Api(handlers) });
    try {
      const port = await server.listen();
      const answer = await fetch(`http://127.0.0.1:${port}/api/rpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ method: 'auth.setup', params: { ...ADMIN, code: 'ANY-CODE' } }),
      });
      const body = (await answer.json()) as { ok: boolean; error?: { code: string } };
      expect(body).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(engine.store.users.list()).toHaveLength(0);
    } finally {
      await server.close();
      engine.close();
    }
  });
});
