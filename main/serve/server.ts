import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Engine } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import type { Pipeline } from '../engine/pipeline.js';
import { log } from '../log.js';
import { listCameras, publicCamera } from '../store/cameras.js';
import { tokenMatches } from './session-file.js';

export interface ServerOptions {
  host: string;
  port: number;
  token: string;
}

/** A bearer token from the Authorization header, or ?token= (browsers cannot set WS headers). */
function tokenOf(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  return new URL(req.url ?? '/', 'http://x').searchParams.get('token');
}

/**
 * The headless engine's local server: an authenticated WebSocket carrying the engine's events,
 * and a small authenticated HTTP API. Bound to loopback by default; a request or upgrade without
 * the token is answered 401 and never reaches the engine.
 */
export class VigilServer {
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly clients = new Set<WebSocket>();

  constructor(
    private readonly engine: Engine,
    private readonly pipeline: Pipeline,
    private readonly opts: ServerOptions,
  ) {
    this.http = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        return;
      }
      if (!tokenMatches(tokenOf(req), this.opts.token)) {
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end('{"error":"A valid token is required."}');
        return;
      }
      if (req.method === 'GET' && path === '/api/cameras/status') {
        const live = new Map(this.pipeline.status().map((s) => [s.cameraId, s]));
        const body = listCameras(this.engine.db).map((c) => ({
          ...publicCamera(c),
          status: live.get(c.camera_id) ?? { state: c.recognition_enabled ? 'connecting' : 'disabled' },
        }));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found."}');
    });
    this.http.on('upgrade', (req, socket, head) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path !== '/ws' || !tokenMatches(tokenOf(req), this.opts.token)) {
        log('warn', 'ws_refused', { reason: path !== '/ws' ? 'path' : 'token' });
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.clients.add(ws);
        ws.on('close', () => this.clients.delete(ws));
        ws.send(JSON.stringify({ type: 'hello', cameras: this.pipeline.status() }));
      });
    });
    pipeline.on('event', (e) => this.broadcast(e));
  }

  broadcast(e: EngineEvent): void {
    const msg = JSON.stringify(e);
    for (const c of this.clients) {
      // A slow client is dropped rather than buffered without bound.
      if (c.bufferedAmount > 4 * 1024 * 1024) c.terminate();
      else c.send(msg);
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
    for (const c of this.clients) c.close(1001, 'server stopping');
    this.wss.close();
    await new Promise<void>((r) => this.http.close(() => r()));
  }
}
