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
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${info.token}`);
    const seen: { type: string; kind?: string; name?: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no member event; got ${JSON.stringify(seen.map((s) => s.type))}`)),
        30_000,
      );
      ws.on('message', (d) => {
        const m = JSON.parse(String(d)) as { type: string; kind?: string; name?: string };
        seen.push(m);
        if (m.type === 'recognition' && m.kind === 'known_member') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    ws.close();
    expect(seen[0]!.type).toBe('hello');
    expect(seen.find((m) => m.kind === 'known_member')!.name).toBe('Lin-Manuel Miranda');
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
    expect(['recognition', 'camera_status', 'stats']).toContain(JSON.parse(line).type);
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
