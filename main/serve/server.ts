import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { resolveSession, sessionUser } from '../accounts/sessions.js';
import type { SetupCode } from '../accounts/setup-code.js';
import { eventPermission, toConsoleEvent } from '../api/console-events.js';
import { NODE_LINK_PATH } from '../cluster/previews.js';
import type { ClusterLink } from '../cluster/relay.js';
import type { ApiContext } from '../api/context.js';
import { flushRefusals } from '../api/refusal-audit.js';
import type { Api, CallOutcome } from '../api/dispatch.js';
import {
  OPEN_METHODS,
  RPC_PATH,
  SESSION_ENDED_CLOSE,
  WS_AUTH_PREFIX,
  WS_PATH,
  WS_PROTOCOL,
  type ConsoleEvent,
  type MethodName,
  type ServerMessage,
  type SessionUser,
} from '../contract/contract.js';
import { can } from '../contract/roles.js';
import type { Engine } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import type { Pipeline } from '../engine/pipeline.js';
import { log } from '../log.js';
import { publicCamera } from '../store/cameras.js';
import { RateLimiter, waitSentence } from '../util/rate-limit.js';
import {
  clientAddress,
  hostAllowed,
  isJson,
  originAllowed,
  rateLimitKey,
  requestPath,
  userAgent,
  type OriginPolicy,
} from './request-guard.js';
import { tokenMatches } from './session-file.js';
import { consoleHeaders, serveStatic } from './static.js';

export interface ServerOptions {
  host: string;
  port: number;
  /** The machine token in DATA_DIR/serve.json: local tools (`vigil events`) act as the folder's owner. */
  token: string;
  api: Api;
  /** The built console (dist/renderer); served at /. */
  rendererDir: string;
  pack: string;
  version: string;
  /** Extra host names and page origins the console is reached by (reverse proxy, DNS name). */
  allowedHosts?: readonly string[];
  allowedOrigins?: readonly string[];
  /** HTTPS (and wss) with this certificate; Strict-Transport-Security is then sent. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** The first-run code auth.setup requires; without one, setup is refused. */
  setupCode?: SetupCode;
  /** Serve the console's *.map files (development only: they are the whole source). */
  sourceMaps?: boolean;
  /** Sign-in, PIN and setup attempts per client address (default 10 at once, then one every 6 s). */
  attempts?: { burst: number; refillMs: number };
  /** Slow-client limits in milliseconds (tests shorten them). */
  timeouts?: Partial<Timeouts>;
  /** GET /metrics (Prometheus), behind its own read-only token; absent: 404. */
  metrics?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** On a node of a cluster: local console events are published to the other nodes (cluster/relay.ts). */
  cluster?: ClusterLink;
}

interface Timeouts {
  /** All request headers must arrive within this (slowloris). */
  headersMs: number;
  /** The whole request, body included. */
  requestMs: number;
  /** A connection that sends nothing for this long is closed (half-open, idle keep-alive). */
  idleMs: number;
}
const DEFAULT_TIMEOUTS: Timeouts = { headersMs: 15_000, requestMs: 60_000, idleMs: 60_000 };

/** Before the caller is known nothing large is read: sign-in and setup fit in far less. */
export const UNAUTHENTICATED_BODY_BYTES = 64 * 1024;
/** A signed-in caller's ordinary request. */
export const AUTHENTICATED_BODY_BYTES = 1024 * 1024;
/** Enrollment photos (base64) for callers allowed to enroll. */
export const UPLOAD_BODY_BYTES = 64 * 1024 * 1024;
const UPLOAD_METHODS = new Set<MethodName>(['members.enroll', 'members.checkPhoto']);
/**
 * Open WebSockets one session may hold (tabs and windows of one person): each costs the server
 * memory and a share of every broadcast, so a signed-in client cannot open them without bound.
 */
export const SOCKETS_PER_SESSION = 32;
/** Above this much unsent data a console gets no further preview frames until it drains. */
const PREVIEW_BACKLOG_BYTES = 512 * 1024;
/** Methods that check a secret (a scrypt each): limited per client address. */
const CREDENTIAL_METHODS = new Set<MethodName>([
  'auth.setup',
  'auth.login',
  'auth.changePassword',
  'kiosk.unlock',
]);
/** The owner of the data folder (holder of the machine token) acts as an administrator. */
const LOCAL_OWNER: SessionUser = sessionUser('local-owner', 'admin');

function bearer(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  return typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : null;
}

/** The credential a browser offers as a subprotocol (it cannot set an Authorization header). */
function subprotocolCredential(req: IncomingMessage): string | null {
  const header = req.headers['sec-websocket-protocol'];
  if (typeof header !== 'string') return null;
  for (const p of header.split(',')) {
    const t = p.trim();
    if (t.startsWith(WS_AUTH_PREFIX)) return t.slice(WS_AUTH_PREFIX.length);
  }
  return null;
}

function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...extra })
    .end(JSON.stringify(body));
}

function rpcRefusal(
  res: ServerResponse,
  status: number,
  code: 'BAD_REQUEST' | 'UNAUTHENTICATED' | 'FORBIDDEN',
  message: string,
): void {
  json(res, status, { kind: 'response', id: 0, ok: false, error: { code, message } });
}

/** The body, up to `cap` bytes; 'too_large' as soon as it passes it, 'aborted' when the client left. */
function readBody(req: IncomingMessage, cap: number): Promise<Buffer | 'too_large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (v: Buffer | 'too_large' | 'aborted') => {
      if (settled) return;
      settled = true;
      resolve(v);
    };
    req.on('data', (c: Buffer) => {
      if (settled) return;
      size += c.length;
      if (size > cap) {
        req.pause();
        return settle('too_large');
      }
      chunks.push(c);
    });
    req.on('end', () => settle(Buffer.concat(chunks)));
    req.on('error', () => settle('aborted'));
    req.on('close', () => settle('aborted'));
  });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Client {
  ws: WebSocket;
  /** Answered the last ping; a connection that stops answering (half-open) is terminated. */
  alive: boolean;
  /** Re-checked on every request and event, so a logout or expiry takes effect at once. */
  session: string | null;
  machine: boolean;
  address: string;
  userAgent: string | null;
}

/**
 * The headless engine's server: the console (static files), the contract over an authenticated
 * WebSocket (requests, replies and live events), and HTTP POST /api/rpc for signing in. Bound to
 * loopback by default. Nothing a client sends may stop it: every path, header and message is
 * parsed defensively and answered with a status, an error reply or a close code.
 */
export class VigilServer {
  private readonly http: Server;
  /** Two sockets servers only for their message limits: enrollers may send photos, others not. */
  private readonly wss: WebSocketServer;
  private readonly wssUpload: WebSocketServer;
  private readonly clients = new Set<Client>();
  private readonly policy: OriginPolicy;
  private readonly timeouts: Timeouts;
  /** Sign-in, PIN and setup attempts per client address: 10 at once, then one every 6 s. */
  private readonly attempts: RateLimiter;
  private readonly heartbeat: ReturnType<typeof setInterval>;
  /** Cameras each session has watched live, for the camera_accessed audit rows. */
  private readonly cameraAccess = new Map<string, Set<string>>();

  constructor(
    private readonly engine: Engine,
    private readonly pipeline: Pipeline,
    private readonly opts: ServerOptions,
  ) {
    this.policy = { hosts: opts.allowedHosts ?? [], origins: opts.allowedOrigins ?? [] };
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.attempts = new RateLimiter(opts.attempts ?? { burst: 10, refillMs: 6_000 });
    const handleProtocols = (offered: Set<string>) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false);
    // One message per turn of the event loop: a console that sends thousands of requests in one
    // burst is answered between other clients' requests instead of ahead of all of them.
    const fair = { noServer: true, handleProtocols, allowSynchronousEvents: false };
    this.wss = new WebSocketServer({ ...fair, maxPayload: AUTHENTICATED_BODY_BYTES });
    this.wssUpload = new WebSocketServer({ ...fair, maxPayload: UPLOAD_BODY_BYTES });
    const serverOptions = {
      headersTimeout: this.timeouts.headersMs,
      requestTimeout: this.timeouts.requestMs,
      // Below the idle timeout, so the Keep-Alive hint clients get is one the server keeps.
      keepAliveTimeout: Math.min(5_000, Math.floor(this.timeouts.idleMs / 2)),
      // How often Node looks for requests past their deadline (its default, 30 s, lets a slow
      // client hold a connection that long).
      connectionsCheckingInterval: Math.min(2_000, this.timeouts.headersMs),
      maxHeaderSize: 16 * 1024,
    };
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      // The idle timeout is for a quiet client. A client whose whole request is in and that waits for
      // an answer still being worked out (a PIN's scrypt on a loaded machine) is not idle: hanging up
      // on it would lose the answer. Slow senders stay bounded by requestTimeout, stalled readers of
      // a started answer by this same timeout. (With a listener here Node leaves the choice to us.)
      res.on('timeout', (socket: Socket) => {
        if (!req.complete || res.headersSent) socket.destroy();
      });
      this.onHttp(req, res).catch((e: unknown) => {
        log('error', 'http_handler_failed', { error: e instanceof Error ? e.message : String(e) });
        if (!res.headersSent) json(res, 500, { error: 'The server hit an unexpected error.' });
        else res.destroy();
      });
    };
    this.http = opts.tls
      ? createTlsServer(
          // A client that never finishes its TLS handshake is slowloris too (Node waits 120 s).
          {
            ...serverOptions,
            handshakeTimeout: this.timeouts.headersMs,
            cert: opts.tls.cert,
            key: opts.tls.key,
          },
          onRequest,
        )
      : createServer(serverOptions, onRequest);
    // A connection that goes quiet (half-open, or a slow client between requests) is closed; an
    // upgraded WebSocket clears this timeout and is kept alive by its own pings.
    this.http.setTimeout(this.timeouts.idleMs);
    // WebSockets are exempt from that timeout; a ping each idle period finds the half-open ones.
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) {
        if (!c.alive) {
          c.ws.terminate();
          continue;
        }
        c.alive = false;
        c.ws.ping();
      }
    }, this.timeouts.idleMs);
    this.heartbeat.unref();
    // Not a proxy: CONNECT gets its refusal instead of a silently dropped connection.
    this.http.on('connect', (_req: IncomingMessage, socket: Duplex) => {
      socket.on('error', () => undefined);
      socket.end('HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => undefined);
      try {
        this.onUpgrade(req, socket, head);
      } catch (e) {
        log('error', 'upgrade_failed', { error: e instanceof Error ? e.message : String(e) });
        socket.destroy();
      }
    });
  }

  private userOf(c: { session: string | null; machine: boolean }): SessionUser | null {
    return c.machine ? LOCAL_OWNER : resolveSession(this.engine.store, c.session);
  }

  private context(
    user: SessionUser | null,
    session: string | null,
    client: { address: string; userAgent: string | null },
    reply?: (e: ConsoleEvent) => void,
  ): ApiContext {
    return {
      engine: this.engine,
      pipeline: this.pipeline,
      user,
      session,
      kiosk: false,
      pack: this.opts.pack,
      version: this.opts.version,
      client,
      ...(this.opts.setupCode ? { setupCode: this.opts.setupCode } : {}),
      progress: (task, done, total) => reply?.({ type: 'progress', task, done, total }),
      broadcast: (e) => this.broadcastConsole(e),
      ...(this.opts.cluster ? { cluster: this.opts.cluster } : {}),
    };
  }

  /** A refusal when this address has used up its attempts at secrets; null to go ahead. */
  private throttled(method: unknown, address: string): CallOutcome | null {
    if (typeof method !== 'string' || !CREDENTIAL_METHODS.has(method as MethodName)) return null;
    const wait = this.attempts.take(rateLimitKey(address));
    if (wait === 0) return null;
    log('warn', 'attempt_throttled', { method });
    return {
      ok: false,
      error: {
        code: 'UNAUTHENTICATED',
        message: `Too many attempts from this address: try again in ${waitSentence(wait)}.`,
        detail: 'RATE_LIMITED',
      },
    };
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: string, reason: string) => {
      log('warn', 'ws_refused', { reason });
      socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    const path = requestPath(req.url);
    if (path === null) return refuse('400 Bad Request', 'malformed target');
    // Another node of the cluster, for previews: it proves itself with a node token, not a session.
    if (path === NODE_LINK_PATH && this.opts.cluster?.acceptLink)
      return this.opts.cluster.acceptLink(req, socket, head);
    if (path !== WS_PATH) return refuse('404 Not Found', 'path');
    if (!hostAllowed(req.headers.host, this.policy)) return refuse('403 Forbidden', 'host');
    if (!originAllowed(req, this.policy)) return refuse('403 Forbidden', 'origin');
    const credential = bearer(req) ?? subprotocolCredential(req);
    const machine = tokenMatches(credential, this.opts.token);
    const user = machine ? LOCAL_OWNER : resolveSession(this.engine.store, credential);
    if (!user) return refuse('401 Unauthorized', 'no valid session or token');
    if (!machine && [...this.clients].filter((c) => c.session === credential).length >= SOCKETS_PER_SESSION)
      return refuse('429 Too Many Requests', 'too many sockets for one session');
    const wss = can(user.role, 'members.enroll') ? this.wssUpload : this.wss;
    const client = { address: clientAddress(req), userAgent: userAgent(req) };
    wss.handleUpgrade(req, socket, head, (ws) =>
      this.onSocket(ws, machine ? null : credential, machine, client),
    );
  }

  private onSocket(
    ws: WebSocket,
    session: string | null,
    machine: boolean,
    from: { address: string; userAgent: string | null },
  ): void {
    const client: Client = { ws, session, machine, alive: true, ...from };
    this.clients.add(client);
    ws.on('pong', () => (client.alive = true));
    ws.on('close', () => this.clients.delete(client));
    // An oversize or malformed frame arrives as an error (then a close): without a listener it
    // would be thrown and take the whole server down.
    ws.on('error', (e) => log('warn', 'ws_error', { error: e.message }));
    ws.on('message', (data, isBinary) => {
      try {
        this.onMessage(client, data, isBinary);
      } catch (e) {
        log('error', 'ws_message_failed', { error: e instanceof Error ? e.message : String(e) });
        this.reply(client, 0, {
          ok: false,
          error: { code: 'INTERNAL', message: 'The engine hit an unexpected error; it has been logged.' },
        });
      }
    });
  }

  private reply(client: Client, id: number, out: CallOutcome): void {
    this.send(
      client,
      out.ok ? { kind: 'response', id, ok: true, result: out.result } : { kind: 'response', id, ...out },
    );
  }

  private onMessage(client: Client, data: RawData, isBinary: boolean): void {
    const { ws } = client;
    if (isBinary) return ws.close(1003, 'text frames only');
    const bad = (message: string) =>
      this.reply(client, 0, { ok: false, error: { code: 'BAD_REQUEST', message } });
    let msg: unknown;
    try {
      msg = JSON.parse(String(data));
    } catch {
      return bad('The message is not valid JSON.');
    }
    if (!isPlainObject(msg)) return bad('A message must be a JSON object.');
    // An answer the console cannot match to its request is no answer: such a call is not run.
    if (msg.id !== undefined && !(typeof msg.id === 'number' && Number.isSafeInteger(msg.id) && msg.id >= 0))
      return bad('A message id must be a whole number from 0.');
    const id = typeof msg.id === 'number' ? msg.id : 0;
    const user = this.userOf(client);
    if (!user) return ws.close(SESSION_ENDED_CLOSE, 'session ended');
    const size = typeof data === 'string' ? (data as string).length : (data as Buffer).length;
    if (size > AUTHENTICATED_BODY_BYTES && !UPLOAD_METHODS.has(msg.method as MethodName))
      return ws.close(1009, 'message too large for this method');
    const refused = this.throttled(msg.method, client.address);
    if (refused) return this.reply(client, id, refused);
    const ctx = this.context(
      user,
      client.session,
      { address: client.address, userAgent: client.userAgent },
      (e) => this.send(client, { kind: 'event', event: e }),
    );
    this.opts.api
      .call(ctx, { method: msg.method, params: msg.params })
      .then((out) => {
        this.reply(client, id, out);
        // A logout or password change ends this connection's session too.
        if (!this.userOf(client)) ws.close(SESSION_ENDED_CLOSE, 'session ended');
      })
      .catch((e: unknown) => {
        log('error', 'ws_call_failed', { error: e instanceof Error ? e.message : String(e) });
        this.reply(client, id, {
          ok: false,
          error: { code: 'INTERNAL', message: 'The engine hit an unexpected error; it has been logged.' },
        });
      });
  }

  private send(c: Client, m: ServerMessage): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    // A slow console is dropped rather than buffered without bound.
    if (c.ws.bufferedAmount > 8 * 1024 * 1024) {
      c.ws.terminate();
      return;
    }
    c.ws.send(JSON.stringify(m));
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => undefined);
    const path = requestPath(req.url);
    if (path === null) return json(res, 400, { error: 'The request target is malformed.' });
    if (path === '/healthz') return json(res, 200, { ok: true });
    if (path === '/metrics' && this.opts.metrics) return this.opts.metrics(req, res);
    // DNS rebinding: a page of another site reached through a name that resolves here.
    if (!hostAllowed(req.headers.host, this.policy))
      return json(res, 403, { error: 'This server does not answer to that host name.' });
    if (path === RPC_PATH) {
      if (req.method !== 'POST') return json(res, 405, { error: 'POST only.' });
      return this.onRpc(req, res);
    }
    if (path.startsWith('/api/')) {
      if (!tokenMatches(bearer(req), this.opts.token))
        return json(res, 401, { error: 'A valid token is required.' });
      if (req.method === 'GET' && path === '/api/cameras/status') {
        const live = new Map(this.pipeline.status().map((s) => [s.cameraId, s]));
        return json(
          res,
          200,
          this.engine.store.cameras.list().map((c) => ({
            ...publicCamera(c),
            status: live.get(c.camera_id) ?? { state: c.recognition_enabled ? 'connecting' : 'disabled' },
          })),
        );
      }
      return json(res, 404, { error: 'Not found.' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'Not allowed.' });
    serveStatic(this.opts.rendererDir, path, res, this.staticOptions());
  }

  private staticOptions() {
    return {
      headers: consoleHeaders(this.opts.allowedOrigins ?? [], Boolean(this.opts.tls)),
      sourceMaps: this.opts.sourceMaps ?? false,
    };
  }

  private tooLarge(req: IncomingMessage, res: ServerResponse): void {
    // The rest of the body is not read: the connection ends with the answer.
    res.once('finish', () => req.destroy());
    json(
      res,
      413,
      {
        kind: 'response',
        id: 0,
        ok: false,
        error: { code: 'BAD_REQUEST', message: 'The request is too large.' },
      },
      { connection: 'close' },
    );
  }

  /**
   * Signing in (and the calls a signed-out console needs) over HTTP; with a session, any method.
   * The caller is known from the headers before any of the body is read, and the body is capped
   * by who they are.
   */
  private async onRpc(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!originAllowed(req, this.policy))
      return rpcRefusal(res, 403, 'FORBIDDEN', 'Requests from other sites are refused.');
    // A cross-site form or text/plain fetch cannot send application/json without a preflight.
    if (!isJson(req))
      return rpcRefusal(res, 415, 'BAD_REQUEST', 'The request must be sent as application/json.');
    const credential = bearer(req);
    const machine = tokenMatches(credential, this.opts.token);
    const user = machine ? LOCAL_OWNER : resolveSession(this.engine.store, credential);
    const session = user && !machine ? credential : null;
    const cap = !user
      ? UNAUTHENTICATED_BODY_BYTES
      : can(user.role, 'members.enroll')
        ? UPLOAD_BODY_BYTES
        : AUTHENTICATED_BODY_BYTES;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > cap) return this.tooLarge(req, res);
    const raw = await readBody(req, cap);
    if (raw === 'aborted') return;
    if (raw === 'too_large') return this.tooLarge(req, res);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return rpcRefusal(res, 400, 'BAD_REQUEST', 'The request is not valid JSON.');
    }
    if (!isPlainObject(body)) return rpcRefusal(res, 400, 'BAD_REQUEST', 'A request must be a JSON object.');
    if (!user && !OPEN_METHODS.has(body.method as MethodName))
      return rpcRefusal(res, 401, 'UNAUTHENTICATED', 'Please sign in first.');
    if (raw.length > AUTHENTICATED_BODY_BYTES && !UPLOAD_METHODS.has(body.method as MethodName))
      return this.tooLarge(req, res);
    const client = { address: clientAddress(req), userAgent: userAgent(req) };
    const refused = this.throttled(body.method, client.address);
    if (refused) return json(res, 429, { kind: 'response', id: 0, ...refused });
    const out = await this.opts.api.call(this.context(user, session, client), {
      method: body.method,
      params: body.params,
    });
    json(res, 200, { kind: 'response', id: 0, ...out });
  }

  broadcast(e: EngineEvent): void {
    this.broadcastConsole(toConsoleEvent(e));
  }

  /** How many consoles (and local tools) are connected right now. */
  get consoles(): number {
    return this.clients.size;
  }

  /** Another node's event (from the cluster relay): to this node's consoles, never published again. */
  deliverRemote(e: ConsoleEvent): void {
    this.broadcastConsole(e, false);
  }

  private broadcastConsole(e: ConsoleEvent, local = true): void {
    if (local) this.opts.cluster?.publish(e);
    const need = eventPermission(e);
    for (const c of this.clients) {
      const user = c.machine ? LOCAL_OWNER : resolveSessionCached(this.engine, c);
      if (!user || !can(user.role, need)) continue;
      // Previews are the bulk of the traffic and the next one supersedes this one: a console that
      // has not caught up skips frames instead of queueing them.
      if (e.type === 'preview' && c.ws.bufferedAmount > PREVIEW_BACKLOG_BYTES) continue;
      if (e.type === 'preview') this.noteCameraAccess(c, user, e.camera_id);
      this.send(c, { kind: 'event', event: e });
    }
  }

  /** Live viewing is audited once per session and camera, not per frame. */
  private noteCameraAccess(c: Client, user: SessionUser, cameraId: string): void {
    const key = c.session ?? `machine:${c.address}`;
    let seen = this.cameraAccess.get(key);
    if (!seen) {
      // Bounded: sessions end within a day, and the oldest are forgotten first.
      if (this.cameraAccess.size >= 10_000) this.cameraAccess.delete(this.cameraAccess.keys().next().value!);
      this.cameraAccess.set(key, (seen = new Set()));
    }
    if (seen.has(cameraId)) return;
    seen.add(cameraId);
    try {
      this.engine.store.audit.append({
        actor: `user:${user.username}`,
        action: 'camera_accessed',
        subject: cameraId,
        details: {
          address: c.address,
          ...(c.userAgent ? { user_agent: c.userAgent } : {}),
          success: true,
        },
      });
    } catch (err) {
      log('warn', 'camera_access_audit_failed', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port, this.opts.host, () => resolve());
    });
    return (this.http.address() as AddressInfo).port;
  }

  /** Open connections (HTTP and WebSocket), for tests of the limits. */
  connections(): Promise<number> {
    return new Promise((resolve) => this.http.getConnections((_e, n) => resolve(n)));
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const c of this.clients) c.ws.close(1001, 'server stopping');
    this.wss.close();
    this.wssUpload.close();
    // The counts of refused attempts still being aggregated are written before the store closes.
    flushRefusals(this.engine.store);
    this.http.closeAllConnections();
    await new Promise<void>((r) => this.http.close(() => r()));
  }
}

/**
 * Events are frequent (previews several times a second per camera): the session behind each
 * connection is looked up at most once a second rather than per event.
 */
const sessionCache = new WeakMap<Client, { at: number; user: SessionUser | null }>();
function resolveSessionCached(engine: Engine, c: Client): SessionUser | null {
  const now = Date.now();
  const hit = sessionCache.get(c);
  if (hit && now - hit.at < 1000) return hit.user;
  const user = resolveSession(engine.store, c.session);
  sessionCache.set(c, { at: now, user });
  if (!user) c.ws.close(SESSION_ENDED_CLOSE, 'session ended');
  return user;
}
