import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { resolveSession, sessionUser } from '../accounts/sessions.js';
import { eventPermission, toConsoleEvent } from '../api/console-events.js';
import type { ApiContext } from '../api/context.js';
import type { Api } from '../api/dispatch.js';
import type { ConsoleEvent, MethodName, ServerMessage, SessionUser } from '../contract/contract.js';
import { can } from '../contract/roles.js';
import type { Engine } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import type { Pipeline } from '../engine/pipeline.js';
import { log } from '../log.js';
import { listCameras, publicCamera } from '../store/cameras.js';
import { tokenMatches } from './session-file.js';
import { serveStatic } from './static.js';

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
  /** GET /metrics (Prometheus), behind its own read-only token; absent: 404. */
  metrics?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/** Requests and uploads (enrollment photos in base64) are bounded: 64 MiB a message. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Above this much unsent data a console gets no further preview frames until it drains. */
const PREVIEW_BACKLOG_BYTES = 512 * 1024;
/** Methods callable without a session, over plain HTTP (to obtain one). */
const OPEN_METHODS = new Set<MethodName>([
  'auth.status',
  'auth.setup',
  'auth.login',
  'kiosk.unlock',
  'system.info',
]);
/** The owner of the data folder (holder of the machine token) acts as an administrator. */
const LOCAL_OWNER: SessionUser = sessionUser('local-owner', 'admin');

function bearer(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : null;
}

function isLoopback(req: IncomingMessage): boolean {
  const a = req.socket.remoteAddress ?? '';
  return a === '127.0.0.1' || a === '::1' || a === '::ffff:127.0.0.1';
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify(body));
}

interface Client {
  ws: WebSocket;
  /** Re-checked on every request and event, so a logout or expiry takes effect at once. */
  session: string | null;
  machine: boolean;
}

/**
 * The headless engine's server: the console (static files), the contract over an authenticated
 * WebSocket (requests, replies and live events), and HTTP POST /api/rpc for signing in. Bound to
 * loopback by default; an upgrade without a valid session or token is answered 401, never 101.
 */
export class VigilServer {
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly clients = new Set<Client>();

  constructor(
    private readonly engine: Engine,
    private readonly pipeline: Pipeline,
    private readonly opts: ServerOptions,
  ) {
    this.http = createServer((req, res) => void this.onHttp(req, res));
    this.http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const session = url.searchParams.get('session') ?? bearer(req);
      const token = url.searchParams.get('token') ?? bearer(req);
      const machine = tokenMatches(token, this.opts.token);
      const user = machine ? LOCAL_OWNER : resolveSession(this.engine.db, session);
      if (url.pathname !== '/ws' || !user) {
        log('warn', 'ws_refused', { reason: url.pathname !== '/ws' ? 'path' : 'no valid session or token' });
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, machine ? null : session, machine));
    });
  }

  private userOf(c: { session: string | null; machine: boolean }): SessionUser | null {
    return c.machine ? LOCAL_OWNER : resolveSession(this.engine.db, c.session);
  }

  private context(
    user: SessionUser | null,
    session: string | null,
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
      progress: (task, done, total) => reply?.({ type: 'progress', task, done, total }),
      broadcast: (e) => this.broadcastConsole(e),
    };
  }

  private onSocket(ws: WebSocket, session: string | null, machine: boolean): void {
    const client: Client = { ws, session, machine };
    this.clients.add(client);
    ws.on('close', () => this.clients.delete(client));
    // An oversize or malformed frame arrives as an error (then a close): without a listener it
    // would be thrown and take the whole server down.
    ws.on('error', (e) => log('warn', 'ws_error', { error: e.message }));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(1003, 'text frames only');
      let msg: { kind?: unknown; id?: unknown; method?: unknown; params?: unknown };
      try {
        msg = JSON.parse(String(data)) as typeof msg;
      } catch {
        return this.send(client, {
          kind: 'response',
          id: 0,
          ok: false,
          error: { code: 'BAD_REQUEST', message: 'The message is not valid JSON.' },
        });
      }
      const id = typeof msg.id === 'number' && Number.isSafeInteger(msg.id) ? msg.id : 0;
      const user = this.userOf(client);
      if (!user) return ws.close(4401, 'session ended');
      const ctx = this.context(user, client.session, (e) => this.send(client, { kind: 'event', event: e }));
      void this.opts.api.call(ctx, { method: msg.method, params: msg.params }).then((out) => {
        this.send(
          client,
          out.ok ? { kind: 'response', id, ok: true, result: out.result } : { kind: 'response', id, ...out },
        );
        // A logout or password change ends this connection's session too.
        if (!this.userOf(client)) ws.close(4401, 'session ended');
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
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/healthz') return json(res, 200, { ok: true });
    if (path === '/metrics' && this.opts.metrics) return this.opts.metrics(req, res);
    if (path === '/api/rpc') {
      if (req.method !== 'POST') return json(res, 405, { error: 'POST only.' });
      return this.onRpc(req, res);
    }
    if (path.startsWith('/api/')) {
      if (
        !tokenMatches(
          bearer(req) ?? new URL(req.url ?? '/', 'http://x').searchParams.get('token'),
          this.opts.token,
        )
      )
        return json(res, 401, { error: 'A valid token is required.' });
      if (req.method === 'GET' && path === '/api/cameras/status') {
        const live = new Map(this.pipeline.status().map((s) => [s.cameraId, s]));
        return json(
          res,
          200,
          listCameras(this.engine.db).map((c) => ({
            ...publicCamera(c),
            status: live.get(c.camera_id) ?? { state: c.recognition_enabled ? 'connecting' : 'disabled' },
          })),
        );
      }
      return json(res, 404, { error: 'Not found.' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'Not allowed.' });
    serveStatic(this.opts.rendererDir, path, res);
  }

  /** Signing in (and the calls a signed-out console needs) over HTTP; with a session, any method. */
  private async onRpc(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > MAX_MESSAGE_BYTES) return json(res, 413, { error: 'The request is too large.' });
      chunks.push(c);
    }
    let body: { method?: unknown; params?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      return json(res, 400, {
        kind: 'response',
        id: 0,
        ok: false,
        error: { code: 'BAD_REQUEST', message: 'The request is not valid JSON.' },
      });
    }
    const session = bearer(req);
    const user = resolveSession(this.engine.db, session);
    if (!user && !OPEN_METHODS.has(body?.method as MethodName)) {
      return json(res, 401, {
        kind: 'response',
        id: 0,
        ok: false,
        error: { code: 'UNAUTHENTICATED', message: 'Please sign in first.' },
      });
    }
    // Creating the first administrator is only offered to someone at this machine.
    if (body?.method === 'auth.setup' && !isLoopback(req)) {
      return json(res, 403, {
        kind: 'response',
        id: 0,
        ok: false,
        error: {
          code: 'FORBIDDEN',
          message: 'The first administrator can only be created on the machine itself.',
        },
      });
    }
    const out = await this.opts.api.call(this.context(user, user ? session : null), body);
    json(res, 200, { kind: 'response', id: 0, ...out });
  }

  broadcast(e: EngineEvent): void {
    this.broadcastConsole(toConsoleEvent(e));
  }

  private broadcastConsole(e: ConsoleEvent): void {
    const need = eventPermission(e);
    for (const c of this.clients) {
      const user = c.machine ? LOCAL_OWNER : resolveSessionCached(this.engine, c);
      if (!user || !can(user.role, need)) continue;
      // Previews are the bulk of the traffic and the next one supersedes this one: a console that
      // has not caught up skips frames instead of queueing them.
      if (e.type === 'preview' && c.ws.bufferedAmount > PREVIEW_BACKLOG_BYTES) continue;
      this.send(c, { kind: 'event', event: e });
    }
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port, this.opts.host, () => resolve());
    });
    return (this.http.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.ws.close(1001, 'server stopping');
    this.wss.close();
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
  const user = resolveSession(engine.db, c.session);
  sessionCache.set(c, { at: now, user });
  if (!user) c.ws.close(4401, 'session ended');
  return user;
}
