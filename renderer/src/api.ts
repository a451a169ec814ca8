import type {
  ConsoleEvent,
  ErrorCode,
  LoginResult,
  MethodName,
  OpenMethod,
  Params,
  Result,
  RpcError,
  ServerMessage,
  VigilApi,
} from '../../main/contract/contract.js';
import {
  OPEN_METHOD_NAMES,
  RPC_PATH,
  SESSION_ENDED_CLOSE,
  WS_AUTH_PREFIX,
  WS_PATH,
  WS_PROTOCOL,
} from '../../main/contract/wire.js';

declare global {
  interface Window {
    /** Exposed by the Electron preload; absent in a plain browser. */
    vigil?: VigilApi;
  }
}

/** A refusal or failure from the engine; `message` is the sentence to show. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Open methods a browser always sends over HTTP: they obtain or inspect a session. */
const PUBLIC_METHODS: ReadonlySet<MethodName> = new Set<OpenMethod>([
  'auth.status',
  'auth.setup',
  'auth.login',
]);
/**
 * The methods open before sign-in (the contract's `permission: null`): the engine's gate never
 * refuses them for want of a session, so their UNAUTHENTICATED answer means a wrong password or
 * PIN, not an ended session.
 */
const CREDENTIAL_METHODS: ReadonlySet<string> = new Set(Object.keys(OPEN_METHOD_NAMES));

const SESSION_KEY = 'vigil.session';
/** The server closes the socket with this code when the session expired or was revoked. */
export { SESSION_ENDED_CLOSE };
const OPEN = 1;

/** The part of the browser WebSocket the transport uses (tests inject a fake). */
export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type SocketCtor = new (url: string, protocols?: string[]) => SocketLike;

/**
 * The console's WebSocket subprotocol (contract); the session token rides as a second one, since a
 * browser cannot set headers on a WebSocket and a token in the URL ends up in logs and history.
 */
export { WS_AUTH_PREFIX, WS_PROTOCOL };

export type ConnectionState = 'offline' | 'connecting' | 'open';

export interface TransportDeps {
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  WebSocket: SocketCtor;
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  location: { protocol: string; host: string };
  /** Delay before reconnect attempt n (0-based). */
  backoffMs?: (attempt: number) => number;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: ApiError): void;
}

const lost = () => new ApiError('INTERNAL', 'The connection to the engine was lost; please try again.');

function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const o = e as Partial<RpcError> | null;
  if (o && typeof o.code === 'string' && typeof o.message === 'string')
    return new ApiError(o.code, o.message, o.detail);
  return new ApiError('INTERNAL', e instanceof Error ? e.message : String(e));
}

/**
 * The browser side of `vigil serve`: public calls over `POST /api/rpc`, everything else over one
 * authenticated WebSocket that also carries the live events. The session token lives in
 * sessionStorage so a reload keeps the login but closing the tab ends it.
 */
export class BrowserTransport implements VigilApi {
  private socket: SocketLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Requests waiting for the socket to (re)open. */
  private queue: string[] = [];
  private readonly listeners = new Set<(e: ConsoleEvent) => void>();
  private readonly endedListeners = new Set<() => void>();
  private readonly connListeners = new Set<(s: ConnectionState) => void>();
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private state: ConnectionState = 'offline';

  constructor(private readonly deps: TransportDeps) {
    if (this.session()) this.connect();
  }

  session(): string | null {
    return this.deps.storage.getItem(SESSION_KEY);
  }

  async invoke<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    const token = this.session();
    const result =
      PUBLIC_METHODS.has(method) || !token
        ? await this.http(method, params, token)
        : await this.ws(method, params);
    if (method === 'auth.login' || method === 'auth.setup')
      this.startSession((result as LoginResult).session);
    if (method === 'auth.logout') this.endSession();
    return result as Result<M>;
  }

  onEvent(listener: (e: ConsoleEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called when the server ends the session (socket closed with SESSION_ENDED_CLOSE). */
  onSessionEnded(listener: () => void): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  onConnection(listener: (s: ConnectionState) => void): () => void {
    this.connListeners.add(listener);
    return () => this.connListeners.delete(listener);
  }

  connection(): ConnectionState {
    return this.state;
  }

  startSession(token: string): void {
    this.deps.storage.setItem(SESSION_KEY, token);
    this.disconnect();
    this.connect();
  }

  /** Forgets the token locally and closes the socket; in-flight calls fail. */
  endSession(): void {
    this.deps.storage.removeItem(SESSION_KEY);
    this.disconnect();
    this.queue = [];
  }

  private async http(method: MethodName, params: unknown, token: string | null): Promise<unknown> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await this.deps.fetch(RPC_PATH, {
        method: 'POST',
        headers,
        body: JSON.stringify({ method, params }),
      });
    } catch {
      throw new ApiError('INTERNAL', 'The engine cannot be reached; is vigil serve running?');
    }
    let body: ServerMessage;
    try {
      body = (await res.json()) as ServerMessage;
    } catch {
      throw new ApiError('INTERNAL', `The engine answered HTTP ${res.status} without a result.`);
    }
    if (body.kind !== 'response') throw new ApiError('INTERNAL', 'The engine sent an unexpected answer.');
    if (!body.ok) throw toApiError(body.error);
    return body.result;
  }

  private ws(method: MethodName, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    const frame = JSON.stringify({ kind: 'request', id, method, params });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (!this.socket) this.connect();
      if (this.socket?.readyState === OPEN) this.socket.send(frame);
      else this.queue.push(frame);
    });
  }

  private connect(): void {
    const token = this.session();
    if (!token || this.socket) return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const scheme = this.deps.location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new this.deps.WebSocket(`${scheme}://${this.deps.location.host}${WS_PATH}`, [
      WS_PROTOCOL,
      `${WS_AUTH_PREFIX}${token}`,
    ]);
    this.socket = socket;
    this.setState('connecting');
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.setState('open');
      const queued = this.queue;
      this.queue = [];
      for (const frame of queued) socket.send(frame);
    };
    socket.onmessage = (ev) => {
      if (this.socket === socket) this.receive(ev.data);
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.failPending(ev.code === SESSION_ENDED_CLOSE ? ended() : lost());
      if (ev.code === SESSION_ENDED_CLOSE) {
        this.endSession();
        this.setState('offline');
        for (const l of this.endedListeners) l();
        return;
      }
      this.scheduleReconnect();
    };
    // Every error is followed by a close; the close decides what happens.
    socket.onerror = () => undefined;
  }

  private scheduleReconnect(): void {
    if (!this.session()) return this.setState('offline');
    this.setState('connecting');
    const delay = (this.deps.backoffMs ?? defaultBackoff)(this.attempt++);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private disconnect(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onopen = s.onmessage = s.onclose = s.onerror = null;
      s.close(1000, 'session changed');
    }
    this.failPending(lost());
    this.setState('offline');
  }

  private failPending(err: ApiError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }

  private receive(data: unknown): void {
    let msg: ServerMessage;
    try {
      msg = JSON.parse(String(data)) as ServerMessage;
    } catch {
      return;
    }
    if (msg.kind === 'event') {
      for (const l of this.listeners) l(msg.event);
      return;
    }
    if (msg.kind !== 'response') return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(toApiError(msg.error));
  }

  private setState(s: ConnectionState): void {
    if (s === this.state) return;
    this.state = s;
    for (const l of this.connListeners) l(s);
  }
}

const ended = () => new ApiError('UNAUTHENTICATED', 'Your session has ended; please sign in again.');
const defaultBackoff = (n: number) => Math.min(30_000, 500 * 2 ** n);

// ---- The instance the pages use --------------------------------------------------------------

const sessionEnded = new Set<() => void>();
const browser: BrowserTransport | null =
  typeof window !== 'undefined' && !window.vigil
    ? new BrowserTransport({
        fetch: (url, init) => window.fetch(url, init),
        // The DOM's WebSocket handler types are stricter than SocketLike's; the shapes match.
        WebSocket: window.WebSocket as unknown as SocketCtor,
        storage: window.sessionStorage,
        location: window.location,
      })
    : null;
const base: VigilApi | null = (typeof window !== 'undefined' && window.vigil) || browser;
browser?.onSessionEnded(() => notifyEnded());

function notifyEnded(): void {
  for (const l of sessionEnded) l();
}

/** Calls the engine; failures reject with an ApiError carrying the engine's sentence. */
export async function call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
  if (!base) throw new ApiError('INTERNAL', 'No engine connection is available.');
  try {
    return await base.invoke(method, params);
  } catch (e) {
    const err = toApiError(e);
    // Electron has no socket close code; an ended session shows as UNAUTHENTICATED instead.
    if (err.code === 'UNAUTHENTICATED' && !CREDENTIAL_METHODS.has(method)) {
      browser?.endSession();
      notifyEnded();
    }
    throw err;
  }
}

export const api: VigilApi = {
  invoke: call,
  onEvent: (listener) => base?.onEvent(listener) ?? (() => undefined),
};

/** Called when the engine ends this console's session (expiry, revocation, SESSION_ENDED_CLOSE). */
export function onSessionEnded(listener: () => void): () => void {
  sessionEnded.add(listener);
  return () => sessionEnded.delete(listener);
}

/** Live state of the browser socket; Electron's IPC is always 'open'. */
export function onConnection(listener: (s: ConnectionState) => void): () => void {
  return browser ? browser.onConnection(listener) : () => undefined;
}
export function connectionState(): ConnectionState {
  return browser ? browser.connection() : 'open';
}

/** Drops the local session (after auth.logout, or when it has ended). */
export function forgetSession(): void {
  browser?.endSession();
}
