import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { packageRoot } from '../paths.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { readServeInfo } from './session-file.js';

const CLI = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');
const vigil = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

function upgradeStatus(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/ws',
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
}

describeWithAssets('vigil serve', () => {
  let dir: string;
  let server: ChildProcess;
  let port = 0;
  let stderr = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-serve-'));
    const gallery = asset('faces', 'face_recognition_knn', 'gallery_hamilton', 'lin-manuel-miranda.png');
    expect(vigil(['enroll', '--data-dir', dir, '--name', 'Lin-Manuel Miranda', gallery]).status).toBe(0);
    expect(
      vigil([
        'cameras',
        'add',
        '--data-dir',
        dir,
        '--id',
        'stage',
        '--name',
        'Stage',
        '--url',
        asset('videos', 'short_hamilton_clip.mp4'),
        '--loop',
      ]).status,
    ).toBe(0);
    server = spawn(process.execPath, [CLI, 'serve', '--data-dir', dir, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      server.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      server.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
  }, 60_000);
  afterAll(() => server?.kill('SIGKILL'));

  it('answers a WebSocket upgrade without a valid token with 401, never 101', async () => {
    expect(await upgradeStatus(port, {})).toBe(401);
    expect(await upgradeStatus(port, { authorization: 'Bearer wrong' })).toBe(401);
    const info = readServeInfo(dir)!;
    expect(await upgradeStatus(port, { authorization: `Bearer ${info.token}` })).toBe(101);
  });

  it('streams camera status and recognition events to an authenticated client', async () => {
    const info = readServeInfo(dir)!;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, {
      headers: { authorization: `Bearer ${info.token}` },
    });
    const seen: { type: string; kind?: string; name?: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`no member event and previews; got ${JSON.stringify(seen.map((s) => s.type))}`)),
        30_000,
      );
      ws.on('message', (d) => {
        const msg = JSON.parse(String(d)) as {
          kind: string;
          event: { type: string; kind?: string; name?: string };
        };
        expect(msg.kind).toBe('event');
        const m = msg.event;
        seen.push(m);
        const previews = seen.filter((x) => x.type === 'preview').length;
        if (seen.some((x) => x.kind === 'known_member') && previews >= 2) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    ws.close();
    expect(seen.find((m) => m.kind === 'known_member')!.name).toBe('Lin-Manuel Miranda');
    // Watching the camera live is audited once for this connection, not once per frame.
    expect(seen.filter((m) => m.type === 'preview').length).toBeGreaterThan(1);
    const audit = await fetch(`http://127.0.0.1:${port}/api/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${info.token}` },
      body: JSON.stringify({ method: 'audit.list', params: { limit: 1000 } }),
    });
    const rows = ((await audit.json()) as { result: { action: string; subject: string }[] }).result;
    expect(rows.filter((r) => r.action === 'camera_accessed' && r.subject === 'stage')).toHaveLength(1);
    const status = JSON.parse(vigil(['cameras', 'status', '--data-dir', dir, '--json']).stdout);
    expect(status[0]).toMatchObject({ camera_id: 'stage', status: { state: 'online' } });
  }, 40_000);

  it('vigil events --follow prints events as JSON lines', async () => {
    const follower = spawn(process.execPath, [CLI, 'events', '--follow', '--data-dir', dir, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const line = await new Promise<string>((resolve) => {
      let out = '';
      follower.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
    });
    follower.kill('SIGINT');
    // Whatever comes first once the camera has run a while (an unknown may already have raised an alert).
    expect(['recognition', 'camera_status', 'stats', 'alert']).toContain(JSON.parse(line).type);
  }, 30_000);

  it('stops cleanly on SIGTERM, flushing open tracks', async () => {
    const code = await new Promise<number | null>((resolve) => {
      server.once('exit', (c) => resolve(c));
      server.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(stderr).toMatch(/vigil: stopped/);
    expect(existsSync(join(dir, 'serve.json'))).toBe(false);
    const appearances = JSON.parse(vigil(['appearances', '--data-dir', dir, '--json']).stdout);
    expect(appearances.some((a: { person_kind: string }) => a.person_kind === 'member')).toBe(true);
  }, 20_000);
});

interface RpcReply {
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
}

async function rpcHttp(port: number, method: string, params: unknown, session?: string) {
  const res = await fetch(`http://127.0.0.1:${port}/api/rpc`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(session ? { authorization: `Bearer ${session}` } : {}),
    },
    body: JSON.stringify({ method, params }),
  });
  return { status: res.status, body: (await res.json()) as RpcReply };
}

/** One request over the console's WebSocket with a session, as the browser console sends it. */
async function rpcWs(port: number, session: string, method: string, params: unknown): Promise<RpcReply> {
  // As the browser console does: the token as a subprotocol, never in the URL.
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['vigil', `vigil.auth.${session}`]);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const reply = await new Promise<RpcReply>((resolve) => {
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as RpcReply & { kind: string; id: number };
      if (m.kind === 'response' && m.id === 7) resolve(m);
    });
    ws.send(JSON.stringify({ kind: 'request', id: 7, method, params }));
  });
  ws.close();
  return reply;
}

describeWithAssets('vigil serve: accounts at the boundary', () => {
  let dir: string;
  let server: ChildProcess;
  let port: number;
  let code = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-serve-auth-'));
    server = spawn(process.execPath, [CLI, 'serve', '--data-dir', dir, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      server.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        const c = /first-run code: ([0-9A-Z]{4}-[0-9A-Z]{4})\n/.exec(out);
        if (m && c) {
          code = c[1]!;
          resolve(Number(m[1]));
        }
      });
      server.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
    });
  }, 60_000);
  afterAll(() => server?.kill('SIGKILL'));

  it('serves the console and refuses every engine call without a session', async () => {
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const traversal = await fetch(`http://127.0.0.1:${port}/..%2f..%2fpackage.json`);
    expect(await traversal.text()).not.toContain('"dependencies"');
    const anon = await rpcHttp(port, 'members.list', {});
    expect(anon.status).toBe(401);
    expect(anon.body.error?.code).toBe('UNAUTHENTICATED');
    expect((await rpcHttp(port, 'auth.status', {})).body.result).toMatchObject({ needs_setup: true });
    // The methods open before sign-in are the contract's permission-free ones; each that needs a
    // caller refuses by itself, with a sentence.
    const change = await rpcHttp(port, 'auth.changePassword', { current: 'x', next: 'y' });
    expect(change.body.error).toMatchObject({ code: 'UNAUTHENTICATED', message: 'Please sign in first.' });
    const unlock = await rpcHttp(port, 'kiosk.unlock', { username: 'chief', pin: 'guess' });
    expect(unlock.body.error).toMatchObject({
      code: 'FORBIDDEN',
      message: 'There is no kiosk to leave here.',
    });
    expect((await rpcHttp(port, 'auth.logout', {})).body.ok).toBe(true);
    expect(await upgradeStatus(port, {})).toBe(401);
  });

  it('a viewer is refused a delete at the WebSocket boundary, and the refusal is audited', async () => {
    // Without the code vigil serve printed, even a client on loopback cannot create the administrator.
    const noCode = await rpcHttp(port, 'auth.setup', { username: 'chief', password: 'correct horse 1' });
    expect(noCode.body.error?.code).toBe('FORBIDDEN');
    const wrongCode = await rpcHttp(port, 'auth.setup', {
      username: 'chief',
      password: 'correct horse 1',
      code: code === 'AAAA-AAAA' ? 'BBBB-BBBB' : 'AAAA-AAAA',
    });
    expect(wrongCode.body.error?.message).toMatch(/first-run code is not correct/);
    expect((await rpcHttp(port, 'auth.status', {})).body.result).toMatchObject({ needs_setup: true });
    const setup = await rpcHttp(port, 'auth.setup', {
      username: 'chief',
      password: 'correct horse 1',
      code: code.toLowerCase(),
    });
    expect(setup.body.ok).toBe(true);
    // The code is spent once an administrator exists.
    const again = await rpcHttp(port, 'auth.setup', { username: 'other', password: 'correct horse 2', code });
    expect(again.body.ok).toBe(false);
    const admin = (setup.body.result as { session: string }).session;
    expect(await upgradeStatus(port, { authorization: `Bearer ${admin}` })).toBe(101);
    const added = await rpcWs(port, admin, 'users.add', {
      username: 'val',
      password: 'viewer pass 1',
      role: 'viewer',
    });
    expect(added.ok).toBe(true);
    const login = await rpcHttp(port, 'auth.login', { username: 'val', password: 'viewer pass 1' });
    const viewer = (login.body.result as { session: string }).session;
    const refused = await rpcWs(port, viewer, 'members.delete', { id: 'MEMBER_0123456789' });
    expect(refused.ok).toBe(false);
    expect(refused.error?.code).toBe('FORBIDDEN');
    const listed = await rpcWs(port, viewer, 'members.list', {});
    expect(listed.error).toBeUndefined();
    expect(listed.ok).toBe(true);
    const audit = await rpcWs(port, admin, 'audit.list', { limit: 20 });
    const rows = audit.result as { action: string; actor: string; subject: string }[];
    expect(rows.find((r) => r.action === 'permission_denied')).toMatchObject({
      actor: 'user:val',
      subject: 'members.delete',
    });
    const malformed = await rpcWs(port, admin, 'members.delete', { id: 42 });
    expect(malformed.error?.code).toBe('BAD_REQUEST');
    expect((await rpcHttp(port, 'auth.logout', {}, viewer)).body.ok).toBe(true);
    expect(await upgradeStatus(port, { authorization: `Bearer ${viewer}` })).toBe(401);
  });
});
