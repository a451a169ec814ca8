import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeImage } from '../photo/image.js';
import { packageRoot } from '../paths.js';
import { findFfmpeg } from '../source/ffmpeg.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { Engine } from './engine.js';
import type { EngineEvent } from './events.js';
import { InferencePool, type PoolFault } from './inference-pool.js';
import { startRuntime, type Runtime } from '../services/live-runtime.js';

const CLI = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * A running server (the runtime, as `vigil serve` starts it) changed from outside: settings written
 * by the CLI in another process reach it without a restart, and a killed inference worker is
 * replaced and reported as a stored system_error.
 */
describeWithAssets('a running engine takes settings live and heals its inference workers', () => {
  let dataDir: string;
  let engine: Engine;
  let rt: Runtime;
  let hook: Server;
  let hookUrl = '';
  const received: { text: string; alert: { type: string; camera_id: string | null } }[] = [];
  const events: EngineEvent[] = [];
  const vigil = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args, '--data-dir', dataDir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error('Build first (npm run build): the CLI and worker run from dist/.');
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) throw new Error('ffmpeg is required (bash .ci/setup installs it)');
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    dataDir = mkdtempSync(join(tmpdir(), 'vigil-live-'));
    engine = Engine.open({ dataDir });
    // One worker is enough to show a replacement, and kind to a shared 2-core machine.
    const workers = process.env.VIGIL_WORKERS;
    process.env.VIGIL_WORKERS = '1';
    try {
      rt = await startRuntime(engine, { pack: 'default', dataDir, ffmpeg, onEvent: (e) => events.push(e) });
    } finally {
      if (workers === undefined) delete process.env.VIGIL_WORKERS;
      else process.env.VIGIL_WORKERS = workers;
    }
  }, 120_000);
  afterAll(async () => {
    await rt?.stop();
    engine?.close();
    hook?.close();
  });

  it('applies alert channels and rules set by the CLI without a restart: the next alert arrives at the new receiver', async () => {
    let appliedAt = 0;
    engine.settings.subscribe((next) => {
      if (next.alert_channels.webhook?.url === hookUrl) appliedAt ||= Date.now();
    });
    vigil('config', 'set', 'alert_channels', JSON.stringify({ webhook: { url: hookUrl } }));
    // Measured from the moment the CLI's write was committed (its process has exited).
    const writtenAt = Date.now();
    await until('the server to notice the new channel', () => appliedAt > 0);
    console.log(
      `a channel written by the CLI was applied by the running engine ${appliedAt - writtenAt} ms later`,
    );
    vigil('config', 'set', 'alert_rules', JSON.stringify({ offlineGraceMs: 0 }));
    await until(
      'the server to notice the new rules',
      () => engine.settings.current.alert_rules.offlineGraceMs === 0,
    );
    // A camera that cannot be reached: camera_offline, now without a grace period, to the new channel.
    vigil('cameras', 'add', '--id', 'gate', '--name', 'Gate', '--url', 'rtsp://127.0.0.1:9/none');
    await until('camera_offline at the new receiver', () =>
      received.some((r) => r.alert.type === 'camera_offline' && r.alert.camera_id === 'gate'),
    );
    const stored = engine.store.sql
      .prepare("SELECT COUNT(*) FROM alerts WHERE type = 'camera_offline' AND camera_id = 'gate'")
      .pluck()
      .get();
    expect(stored).toBe(1);
  }, 90_000);

  it('replaces a killed inference worker, goes on analysing, and raises a stored system_error', async () => {
    const pool = rt.inference!;
    const face = async () =>
      (
        await decodeImage(
          asset('faces', 'face_recognition_knn', 'gallery_hamilton', 'lin-manuel-miranda.png'),
        )
      ).image;
    // Alerts go to the local receiver (as the test above leaves it; set here when run alone).
    if (engine.settings.current.alert_channels.webhook?.url !== hookUrl) {
      vigil('config', 'set', 'alert_channels', JSON.stringify({ webhook: { url: hookUrl } }));
      await until('the new channel', () => engine.settings.current.alert_channels.webhook?.url === hookUrl);
    }
    // The worker has loaded its models and answers.
    expect((await pool.locate(await face())).length).toBe(1);
    const [before] = pool.threadIds();
    await pool.workerAt(0)!.terminate();
    await until('the system_error alert', () =>
      events.some((e) => e.type === 'alert' && e.alert_type === 'system_error'),
    );
    const row = engine.store.sql
      .prepare("SELECT priority, status, message FROM alerts WHERE type = 'system_error'")
      .get() as { priority: string; status: string; message: string };
    expect(row).toMatchObject({ priority: 'high', status: 'open' });
    expect(row.message).toMatch(/^An inference worker stopped unexpectedly .*; it was restarted\.$/);
    const [after] = pool.threadIds();
    expect(after).not.toBe(before);
    expect((await pool.locate(await face())).length).toBe(1);
    await until('the system_error at the alert channel', () =>
      received.some((r) => r.alert.type === 'system_error'),
    );
    expect(received.find((r) => r.alert.type === 'system_error')!.text).toMatch(
      /^\[HIGH\] An inference worker/,
    );
    // `vigil doctor` shows it, and fails that check while the alert is open.
    const doctor = spawnSync(process.execPath, [CLI, 'doctor', '--json', '--data-dir', dataDir], {
      encoding: 'utf8',
    });
    expect(doctor.status, doctor.stderr).toBe(1);
    const report = JSON.parse(doctor.stdout) as {
      database: { last_system_error: { message: string; status: string } };
      checks: { name: string; ok: boolean }[];
    };
    expect(report.database.last_system_error).toMatchObject({ message: row.message, status: 'open' });
    expect(report.checks.find((c) => c.name === 'last engine error')).toMatchObject({ ok: false });
    expect(report.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['last engine error']);
  }, 120_000);

  it('gives up on a request past its timeout, replaces that worker and lets the old one finish its run', async () => {
    // A timeout far shorter than any detection: every request "hangs" for the pool.
    const pool = new InferencePool({ pack: 'default', dataDir }, 1, 1, { requestTimeoutMs: 5 });
    const faults: PoolFault[] = [];
    pool.on('fault', (f) => faults.push(f));
    try {
      const image = (
        await decodeImage(
          asset('faces', 'face_recognition_knn', 'gallery_hamilton', 'lin-manuel-miranda.png'),
        )
      ).image;
      const [before] = pool.threadIds();
      // The clock starts once the worker has loaded its models, so loading is never mistaken for a hang.
      await expect(pool.locate(image)).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
      expect(faults).toEqual([
        {
          kind: 'worker_hung',
          worker: 0,
          message: 'An inference worker did not answer within 5 ms; it was restarted.',
        },
      ]);
      expect(pool.threadIds()[0]).not.toBe(before);
    } finally {
      await pool.close();
    }
  }, 90_000);

  it('reports a worker that cannot load its models, and backs off before trying again', async () => {
    const pool = new InferencePool({ pack: 'no-such-pack', dataDir }, 1, 1, { reloadBackoffMs: 60_000 });
    const faults: PoolFault[] = [];
    pool.on('fault', (f) => faults.push(f));
    try {
      await until('the load failure', () => faults.length > 0);
      expect(faults[0]).toMatchObject({ kind: 'model_load_failed', worker: 0 });
      expect(faults[0]!.message).toMatch(/^An inference worker could not load the models: .*no-such-pack/);
      // Until the retry, requests fail at once with a sentence instead of waiting.
      await expect(
        pool.embed([{ width: 112, height: 112, data: new Uint8Array(112 * 112 * 3) }]),
      ).rejects.toThrow('No inference worker is running; they are being restarted.');
      expect(faults).toHaveLength(1);
    } finally {
      await pool.close();
    }
  }, 60_000);
});
