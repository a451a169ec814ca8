import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import WebSocket from 'ws';
import { Api } from '../api/dispatch.js';
import { WS_PATH, WS_PROTOCOL, type ServerMessage } from '../contract/contract.js';
import { handlers } from '../api/handlers/index.js';
import { packageRoot, packageVersion } from '../paths.js';
import { Engine } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import { startRuntime } from '../services/live-runtime.js';
import { VigilError } from '../errors.js';
import { SetupCode } from '../accounts/setup-code.js';
import { log } from '../log.js';
import { anchorForwarder, forwardTargetProblem } from '../notify/anchor-forward.js';
import { VigilServer } from '../serve/server.js';
import { isLoopbackHost, loadTls, selfSignedTls, type TlsMaterial } from '../serve/tls.js';
import {
  newToken,
  readServeInfo,
  removeServeInfo,
  writeServeInfo,
  type ServeInfo,
} from '../serve/session-file.js';
import { attachLogFile } from '../logs/log-file.js';
import { metricsHandler, metricsToken, metricsTokenPath } from '../serve/metrics-endpoint.js';
import { EngineMetrics } from '../metrics/metrics.js';
import { findFfmpeg } from '../source/ffmpeg.js';
import { publicCamera } from '../store/cameras.js';
import { UsageError } from './output.js';
import type { GlobalOptions } from './vigil.js';
import { engineOptions, withEngine } from './with-engine.js';
import { NodeMembership } from '../cluster/membership.js';
import { startClusterNode, type ClusterNode } from '../cluster/node.js';
import { clusterLinkKey } from '../cluster/node-token.js';
import { locateStore, type PostgresLocation } from '../store/locator.js';
import { hostname } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { CertificatePinError, pinnedTlsSocket } from '../util/pinned-tls.js';

/** The host other nodes reach this one by: a wildcard listen address means this machine's name. */
function advertisedHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return hostname();
  return host.includes(':') ? `[${host}]` : host;
}

export interface ServeFlags {
  port?: string;
  host?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Comma-separated host names the console is reached by (beyond loopback and IP addresses). */
  allowHost?: string;
  /** Comma-separated page origins allowed to call the API (a reverse proxy's public origin). */
  allowOrigin?: string;
  /** Where to send each new head of the audit chain: syslog://HOST:PORT or an http(s) webhook. */
  auditForward?: string;
  /** This node's name in a cluster sharing one store (`--store`); required there. */
  node?: string;
  /** The most cameras this node takes (`--max-cameras`). */
  maxCameras?: string;
}

/**
 * A node's default camera capacity: bench:capacity sustains 8 1080p cameras on the 2-core
 * reference machine; a node that can carry more says so with --max-cameras.
 */
const DEFAULT_NODE_CAPACITY = 8;

function nodeFlags(
  g: GlobalOptions,
  opts: ServeFlags,
): { loc: PostgresLocation; node: string; capacity: number } | null {
  const loc = locateStore(g.flags.store, g.dataDir);
  if (loc.kind !== 'postgres') {
    if (opts.node !== undefined || opts.maxCameras !== undefined)
      throw new UsageError(
        '--node and --max-cameras join a cluster that shares one store: give --store postgres://… too',
      );
    return null;
  }
  if (opts.node === undefined)
    throw new UsageError('a server on the shared store is one node of a cluster: name it with --node NAME');
  const capacity = opts.maxCameras === undefined ? DEFAULT_NODE_CAPACITY : Number(opts.maxCameras);
  if (!Number.isSafeInteger(capacity) || capacity < 0 || capacity > 1000)
    throw new UsageError('--max-cameras takes a whole number from 0 to 1000');
  return { loc, node: opts.node, capacity };
}

const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * The last resort of a long-running server: an exception that escaped every handler is logged and
 * the cameras keep being watched. Handlers already answer every input; this is for a bug.
 */
function keepServing(): () => void {
  const onError = (e: unknown) =>
    log('error', 'uncaught_exception', { error: e instanceof Error ? e.message : String(e) });
  const onRejection = (e: unknown) =>
    log('error', 'unhandled_rejection', { error: e instanceof Error ? e.message : String(e) });
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onRejection);
  };
}

function tlsFor(g: GlobalOptions, host: string, opts: ServeFlags): TlsMaterial | undefined {
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey))
    throw new UsageError('--tls-cert and --tls-key go together');
  if (opts.tlsCert && opts.tlsKey) return loadTls(opts.tlsCert, opts.tlsKey);
  // Beyond loopback, passwords and session tokens would cross the network in clear text.
  return isLoopbackHost(host) ? undefined : selfSignedTls(g.dataDir, host);
}

/** Runs the whole engine without Electron until SIGTERM or SIGINT. */
export async function runServe(g: GlobalOptions, opts: ServeFlags): Promise<number> {
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
  const forwardProblem = opts.auditForward ? forwardTargetProblem(opts.auditForward) : null;
  if (forwardProblem) throw new UsageError(forwardProblem);
  const cluster = nodeFlags(g, opts);
  const tls = tlsFor(g, host, opts);
  const ffmpeg = findFfmpeg();
  if (!ffmpeg)
    throw new VigilError(
      'INVALID_ARGUMENT',
      'ffmpeg was not found: install it (apt-get install ffmpeg) or set VIGIL_FFMPEG.',
    );
  // Structured log, rotated and size-capped, in the data folder (the console's Settings → Logs).
  attachLogFile(g.dataDir);
  const engine = Engine.open({ ...engineOptions(g), actor: 'engine' });
  if (engine.keySource === 'device') {
    process.stderr.write(
      'vigil: no passphrase: the data and face crops are encrypted with device.key beside them, so only file permissions protect them (create the data folder with VIGIL_PASSPHRASE or --passphrase-file to lock it)\n',
    );
  }
  if (opts.auditForward) engine.store.audit.forwardAnchor(anchorForwarder(opts.auditForward));
  // Events flow to consoles once the server exists (it needs the running pipeline first).
  const sink: { server?: VigilServer } = {};
  const metrics = new EngineMetrics(g.dataDir);
  // A node watches only the cameras its leases name; it holds none until it has joined.
  const member: { node?: NodeMembership } = {};
  const runtime = await startRuntime(engine, {
    pack: g.pack,
    dataDir: g.dataDir,
    ffmpeg,
    metrics,
    ...(cluster ? { owns: (id: string) => member.node?.owns(id) ?? false } : {}),
    onEvent: (e) => sink.server?.broadcast(e),
  });
  // One console over all nodes: events relayed through the store's notifications, previews over
  // node-to-node links, and this node's index kept current with every other node's writes.
  let link: ClusterNode | null = null;
  if (cluster) {
    link = startClusterNode({
      store: cluster.loc,
      node: cluster.node,
      linkKey: engine.lendMasterKey(clusterLinkKey),
      deliver: (e) => sink.server?.deliverRemote(e),
      watched: () => (sink.server?.consoles ?? 0) > 0,
      onIndex: () => {
        engine.store.vectors.catchUp();
      },
    });
  }
  const token = newToken();
  const setupCode = new SetupCode(() => engine.store);
  const server = new VigilServer(engine, runtime.pipeline!, {
    host,
    port,
    token,
    api: new Api(handlers),
    rendererDir: join(packageRoot(), 'dist', 'renderer'),
    pack: g.pack,
    version: packageVersion(),
    allowedHosts: list(opts.allowHost),
    allowedOrigins: list(opts.allowOrigin),
    setupCode,
    metrics: metricsHandler(metrics, g.dataDir),
    ...(link ? { cluster: link.relay } : {}),
    ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
  });
  sink.server = server;
  const stopKeepServing = keepServing();
  // Made before the first scrape, so the file exists to be copied into Prometheus's configuration.
  metricsToken(g.dataDir);
  const bound = await server.listen();
  writeServeInfo(g.dataDir, {
    pid: process.pid,
    port: bound,
    host,
    token,
    started_at: new Date().toISOString(),
    ...(tls ? { tls: true, fingerprint: tls.fingerprint } : {}),
  });
  process.stdout.write(`listening on ${tls ? 'https' : 'http'}://${host}:${bound}\n`);
  if (cluster) {
    member.node = await NodeMembership.join({
      loc: cluster.loc,
      node: cluster.node,
      address: `${tls ? 'https://' : ''}${advertisedHost(host)}:${bound}`,
      fingerprint: tls?.fingerprint ?? null,
      capacity: cluster.capacity,
      onChange: () => runtime.pipeline?.sync(),
    });
    runtime.pipeline?.sync();
    process.stdout.write(
      `node ${cluster.node} joined ${cluster.loc.display}: ${member.node.cameras().length} camera(s) (capacity ${cluster.capacity})\n`,
    );
  }
  if (tls)
    process.stdout.write(
      `tls certificate${tls.selfSigned ? ' (self-signed)' : ''} sha256 fingerprint: ${tls.fingerprint}\n`,
    );
  process.stdout.write(
    `metrics: GET ${tls ? 'https' : 'http'}://${host}:${bound}/metrics with the bearer token in ${metricsTokenPath(g.dataDir)} (vigil metrics token)\n`,
  );
  // Whoever started the server reads this to create the first administrator; nobody else can.
  const code = setupCode.current();
  if (code) process.stdout.write(`first-run code: ${code}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  // The runtime's order: cameras stop (open tracks are written), fragments merge, alerts deliver;
  // then the node's cameras are handed back at once rather than after its lease expires.
  await runtime.stop();
  await member.node?.leave();
  await link?.stop();
  await server.close();
  stopKeepServing();
  removeServeInfo(g.dataDir);
  engine.close();
  process.stderr.write('vigil: stopped\n');
  return 0;
}

/**
 * A connection to the running server whose certificate is the one in serve.json, checked before
 * the request is written: the machine token is sent to nothing else.
 */
async function pinnedToServer(info: ServeInfo): Promise<TLSSocket> {
  if (!info.fingerprint)
    throw new VigilError('NOT_FOUND', 'serve.json names no certificate fingerprint to check the server by.');
  try {
    return await pinnedTlsSocket(info.host, info.port, info.fingerprint);
  } catch (e) {
    if (e instanceof CertificatePinError)
      throw new VigilError(
        'NOT_FOUND',
        'The server answering is not this vigil serve (certificate differs).',
      );
    throw new VigilError(
      'NOT_FOUND',
      `Cannot reach vigil serve on port ${info.port}: ${(e as Error).message}`,
    );
  }
}

/** GET from the running server with its machine token; over TLS its certificate is pinned. */
async function getJson(info: ServeInfo, path: string): Promise<unknown> {
  const socket = info.tls ? await pinnedToServer(info) : null;
  return new Promise((resolve, reject) => {
    const options = {
      host: info.host,
      port: info.port,
      path,
      headers: { authorization: `Bearer ${info.token}`, host: `127.0.0.1:${info.port}` },
      ...(socket ? { createConnection: () => socket } : {}),
    };
    const req = (info.tls ? httpsGet : httpGet)(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new VigilError('NOT_FOUND', `vigil serve answered HTTP ${res.statusCode} without data.`));
        }
      });
    });
    req.on('error', (e) =>
      reject(new VigilError('NOT_FOUND', `Cannot reach vigil serve on port ${info.port}: ${e.message}`)),
    );
  });
}

function describe(e: EngineEvent): string {
  if (e.type === 'recognition')
    return `${new Date(e.at).toISOString()}  ${e.camera_id}  ${e.kind}  ${e.name} (${e.confidence})`;
  if (e.type === 'alert') return `${e.created_at}  ALERT ${e.priority}  ${e.message}`;
  if (e.type === 'camera_status')
    return `${new Date().toISOString()}  ${e.camera_id}  ${e.state}${e.reason ? `: ${e.reason}` : ''}`;
  if (e.type === 'preview') return `${new Date(e.at).toISOString()}  ${e.camera_id}  preview`;
  return `${new Date().toISOString()}  stats  ${e.frames_analysed} frames analysed, ${e.frames_dropped} dropped`;
}

/** Prints the running server's events as they happen. */
export async function runEvents(g: GlobalOptions, follow: boolean): Promise<number> {
  if (!follow) throw new UsageError('events needs --follow (it streams from a running vigil serve)');
  const info = readServeInfo(g.dataDir);
  if (!info) throw new VigilError('NOT_FOUND', `No vigil serve is running for ${g.dataDir}.`);
  // A self-signed certificate is checked by its fingerprint from serve.json instead of a CA.
  const socket = info.tls ? await pinnedToServer(info) : null;
  const ws = new WebSocket(
    `${info.tls ? 'wss' : 'ws'}://${info.host}:${info.port}${WS_PATH}`,
    [WS_PROTOCOL],
    {
      headers: { authorization: `Bearer ${info.token}` },
      ...(socket ? { createConnection: () => socket } : {}),
    },
  );
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
    rows = (await getJson(info, '/api/cameras/status')) as unknown[];
  } else {
    rows = await withEngine(g, (engine) =>
      engine.store.cameras.list().map((c) => ({
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
    const rows = engine.store.appearances
      .list(since ? new Date(since).toISOString() : undefined)
      .map((a) => ({
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
