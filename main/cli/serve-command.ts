import { join } from 'node:path';
import WebSocket from 'ws';
import { Api } from '../api/dispatch.js';
import type { ServerMessage } from '../contract/contract.js';
import { handlers } from '../api/handlers/index.js';
import { packageRoot, packageVersion } from '../paths.js';
import { Engine } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import { startRuntime } from '../engine/runtime.js';
import { VigilError } from '../errors.js';
import { attachLogFile } from '../logs/log-file.js';
import { metricsHandler, metricsToken, metricsTokenPath } from '../metrics/endpoint.js';
import { EngineMetrics } from '../metrics/metrics.js';
import { VigilServer } from '../serve/server.js';
import { newToken, readServeInfo, removeServeInfo, writeServeInfo } from '../serve/session-file.js';
import { findFfmpeg } from '../source/ffmpeg.js';
import { listAppearances } from '../store/appearances.js';
import { listCameras, publicCamera } from '../store/cameras.js';
import { UsageError } from './output.js';
import type { GlobalOptions } from './vigil.js';
import { withEngine } from './with-engine.js';

/** Runs the whole engine without Electron until SIGTERM or SIGINT. */
export async function runServe(g: GlobalOptions, opts: { port?: string; host?: string }): Promise<number> {
  const running = readServeInfo(g.dataDir);
  if (running)
    throw new VigilError(
      'INVALID_ARGUMENT',
      `Vigil is already serving this data folder on port ${running.port} (pid ${running.pid}).`,
    );
  const port = opts.port === undefined ? 8765 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError('--port takes a number from 0 to 65535');
  const host = opts.host ?? '127.0.0.1';
  const ffmpeg = findFfmpeg();
  if (!ffmpeg)
    throw new VigilError(
      'INVALID_ARGUMENT',
      'ffmpeg was not found: install it (apt-get install ffmpeg) or set VIGIL_FFMPEG.',
    );
  // Structured log, rotated and size-capped, in the data folder (the console's Settings → Logs).
  attachLogFile(g.dataDir);
  const passphrase = g.passphrase();
  const engine = Engine.open({
    dataDir: g.dataDir,
    pack: g.pack,
    actor: 'engine',
    ...(passphrase ? { passphrase } : {}),
  });
  if (engine.keySource === 'device') {
    process.stderr.write(
      'vigil: no passphrase: the data and face crops are encrypted with device.key beside them, so only file permissions protect them (create the data folder with VIGIL_PASSPHRASE or --passphrase-file to lock it)\n',
    );
  }
  // Events flow to consoles once the server exists (it needs the running pipeline first).
  const sink: { server?: VigilServer } = {};
  const metrics = new EngineMetrics(g.dataDir);
  const runtime = await startRuntime(engine, {
    pack: g.pack,
    dataDir: g.dataDir,
    ffmpeg,
    metrics,
    onEvent: (e) => sink.server?.broadcast(e),
  });
  const token = newToken();
  const server = new VigilServer(engine, runtime.pipeline!, {
    host,
    port,
    token,
    api: new Api(handlers),
    rendererDir: join(packageRoot(), 'dist', 'renderer'),
    pack: g.pack,
    version: packageVersion(),
    metrics: metricsHandler(metrics, g.dataDir),
  });
  sink.server = server;
  // Made before the first scrape, so the file exists to be copied into Prometheus's configuration.
  metricsToken(g.dataDir);
  const bound = await server.listen();
  writeServeInfo(g.dataDir, {
    pid: process.pid,
    port: bound,
    host,
    token,
    started_at: new Date().toISOString(),
  });
  process.stdout.write(`listening on http://${host}:${bound}\n`);
  process.stdout.write(
    `metrics: GET http://${host}:${bound}/metrics with the bearer token in ${metricsTokenPath(g.dataDir)} (vigil metrics token)\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  // The runtime's order: cameras stop (open tracks are written), fragments merge, alerts deliver.
  await runtime.stop();
  await server.close();
  removeServeInfo(g.dataDir);
  engine.close();
  process.stderr.write('vigil: stopped\n');
  return 0;
}

function describe(e: EngineEvent): string {
  if (e.type === 'recognition')
    return `${new Date(e.at).toISOString()}  ${e.camera_id}  ${e.kind}  ${e.name} (${e.confidence})`;
  if (e.type === 'alert') return `${e.created_at}  ALERT ${e.priority}  ${e.message}`;
  if (e.type === 'camera_status')
    return `${new Date().toISOString()}  ${e.cameraId}  ${e.state}${e.reason ? `: ${e.reason}` : ''}`;
  if (e.type === 'preview') return `${new Date(e.at).toISOString()}  ${e.camera_id}  preview`;
  return `${new Date().toISOString()}  stats  ${e.frames_analysed} frames analysed, ${e.frames_dropped} dropped`;
}

/** Prints the running server's events as they happen. */
export async function runEvents(g: GlobalOptions, follow: boolean): Promise<number> {
  if (!follow) throw new UsageError('events needs --follow (it streams from a running vigil serve)');
  const info = readServeInfo(g.dataDir);
  if (!info) throw new VigilError('NOT_FOUND', `No vigil serve is running for ${g.dataDir}.`);
  const ws = new WebSocket(`ws://${info.host}:${info.port}/ws`, {
    headers: { authorization: `Bearer ${info.token}` },
  });
  return new Promise<number>((resolve, reject) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as ServerMessage;
      if (msg.kind !== 'event' || msg.event.type === 'preview' || msg.event.type === 'progress') return;
      const e = msg.event as EngineEvent;
      g.out.result(e, () => describe(e));
    });
    ws.on('error', (e) =>
      reject(new VigilError('NOT_FOUND', `Cannot reach vigil serve on port ${info.port}: ${e.message}`)),
    );
    ws.on('close', () => resolve(0));
    const stop = () => ws.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export async function runCameraStatus(g: GlobalOptions): Promise<number> {
  const info = readServeInfo(g.dataDir);
  let rows: unknown[];
  if (info) {
    const res = await fetch(`http://${info.host}:${info.port}/api/cameras/status`, {
      headers: { authorization: `Bearer ${info.token}` },
    });
    rows = (await res.json()) as unknown[];
  } else {
    rows = await withEngine(g, (engine) =>
      listCameras(engine.db).map((c) => ({
        ...publicCamera(c),
        status: { state: 'offline', reason: 'vigil serve is not running' },
      })),
    );
  }
  g.out.result(
    rows,
    () =>
      (rows as { camera_id: string; status: { state: string; reason?: string | null; fps?: number } }[])
        .map(
          (r) =>
            `${r.camera_id}  ${r.status.state}${r.status.reason ? ` (${r.status.reason})` : ''}${r.status.fps ? `  ${r.status.fps.toFixed(1)} fps` : ''}`,
        )
        .join('\n') || 'No cameras.',
  );
  return 0;
}

export async function runAppearances(g: GlobalOptions, since?: string): Promise<number> {
  if (since && Number.isNaN(Date.parse(since)))
    throw new UsageError('--since takes a date or time, e.g. 2026-11-28T08:00:00Z');
  return withEngine(g, (engine) => {
    const rows = listAppearances(engine.db, since ? new Date(since).toISOString() : undefined).map((a) => ({
      ...a,
      bbox: JSON.parse(a.bbox) as number[],
    }));
    g.out.result(rows, () =>
      rows.length === 0
        ? 'No appearances.'
        : rows
            .map(
              (a) =>
                `${a.first_seen}  ${a.camera_id ?? '-'}  ${a.person_kind} ${a.person_id}  ${a.confidence.toFixed(2)}`,
            )
            .join('\n'),
    );
    return 0;
  });
}
