// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConsoleEvent, LoginResult, SessionUser } from '../../main/contract/contract.js';
import {
  ApiError,
  BrowserTransport,
  SESSION_ENDED_CLOSE,
  type SocketLike,
  type TransportDeps,
} from './api.js';

/**
 * A stand-in for the browser WebSocket (jsdom cannot open one to a server that is not there):
 * it records what the transport sends and lets the test play the server's part.
 */
class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: { kind: string; id: number; method: string; params: unknown }[] = [];
  closed: number | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[] = [],
  ) {
    FakeSocket.all.push(this);
  }
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send before open');
    this.sent.push(JSON.parse(data) as FakeSocket['sent'][number]);
  }
  close(code = 1000): void {
    this.closed = code;
    this.readyState = 3;
  }
  // The server's side:
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  reply(msg: unknown): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
  static last(): FakeSocket {
    const s = FakeSocket.all.at(-1);
    if (!s) throw new Error('no socket was opened');
    return s;
  }
}

const user: SessionUser = { username: 'ada', role: 'admin', permissions: ['live.view', 'members.view'] };
const login: LoginResult = { session: 'tok en/1', user, expires_at: '2030-01-01T00:00:00Z' };

function memoryStorage(): TransportDeps['storage'] & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

interface HttpCall {
  url: string;
  headers: Record<string, string>;
  body: { method: string; params: unknown };
}

function setup() {
  const http: HttpCall[] = [];
  const storage = memoryStorage();
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    const body = JSON.parse(String(init.body)) as HttpCall['body'];
    http.push({ url, headers: init.headers as Record<string, string>, body });
    const reply =
      body.method === 'auth.login'
        ? { kind: 'response', id: 0, ok: true, result: login }
        : {
            kind: 'response',
            id: 0,
            ok: false,
            error: { code: 'UNAUTHENTICATED', message: 'Please sign in first.' },
          };
    return new Response(JSON.stringify(reply), { status: reply.ok ? 200 : 401 });
  });
  const transport = new BrowserTransport({
    fetch,
    WebSocket: FakeSocket,
    storage,
    location: { protocol: 'https:', host: 'vigil.local:8443' },
    backoffMs: () => 10,
  });
  return { transport, http, storage };
}

beforeEach(() => {
  FakeSocket.all = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('BrowserTransport', () => {
  it('signs in over HTTP, keeps the token and opens the socket with it', async () => {
    const { transport, http, storage } = setup();
    const r = await transport.invoke('auth.login', { username: 'ada', password: 'pw' });
    expect(r.user.username).toBe('ada');
    expect(http).toHaveLength(1);
    expect(http[0]?.url).toBe('/api/rpc');
    expect(http[0]?.body).toEqual({ method: 'auth.login', params: { username: 'ada', password: 'pw' } });
    expect(http[0]?.headers.Authorization).toBeUndefined();
    expect(storage.data.get('vigil.session')).toBe('tok en/1');
    expect(FakeSocket.all).toHaveLength(1);
    // The token travels as a subprotocol, never in the URL (logs, history, Referer).
    expect(FakeSocket.last().url).toBe('wss://vigil.local:8443/ws');
    expect(FakeSocket.last().protocols).toEqual(['vigil', 'vigil.auth.tok en/1']);
  });

  it('sends public calls over HTTP with the bearer token once signed in', async () => {
    const { transport, http } = setup();
    await transport.invoke('auth.login', { username: 'ada', password: 'pw' });
    await expect(transport.invoke('auth.status', {})).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'Please sign in first.',
    });
    expect(http[1]?.headers.Authorization).toBe('Bearer tok en/1');
    expect(FakeSocket.last().sent).toHaveLength(0);
  });

  it('matches each reply to its request by id, whatever the order, and queues until open', async () => {
    const { transport } = setup();
    await transport.invoke('auth.login', { username: 'ada', password: 'pw' });
    const socket = FakeSocket.last();
    const a = transport.invoke('members.get', { id: 'm1' });
    const b = transport.invoke('unknowns.get', { id: 'u1' });
    const c = transport.invoke('members.delete', { id: 'm2' });
    expect(socket.sent).toHaveLength(0); // not open yet
    socket.open();
    expect(socket.sent.map((s) => [s.kind, s.method])).toEqual([
      ['request', 'members.get'],
      ['request', 'unknowns.get'],
      ['request', 'members.delete'],
    ]);
    const [ia, ib, ic] = socket.sent.map((s) => s.id);
    expect(new Set([ia, ib, ic]).size).toBe(3);
    expect(socket.sent[0]?.params).toEqual({ id: 'm1' });

    socket.reply({
      kind: 'response',
      id: ic,
      ok: false,
      error: { code: 'NOT_FOUND', message: 'No member m2.' },
    });
    socket.reply({ kind: 'response', id: ib, ok: true, result: { which: 'b' } });
    socket.reply({ kind: 'response', id: ia, ok: true, result: { which: 'a' } });
    await expect(a).resolves.toEqual({ which: 'a' });
    await expect(b).resolves.toEqual({ which: 'b' });
    const err = await c.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'NOT_FOUND', message: 'No member m2.' });
  });

  it('hands events to listeners and stops after unsubscribe', async () => {
    const { transport } = setup();
    await transport.invoke('auth.login', { username: 'ada', password: 'pw' });
    const socket = FakeSocket.last();
    socket.open();
    const seen: ConsoleEvent[] = [];
    const off = transport.onEvent((e) => seen.push(e));
    const ev: ConsoleEvent = { type: 'stats', cameras: 2, frames_analysed: 10, frames_dropped: 1 };
    socket.reply({ kind: 'event', event: ev });
    off();
    socket.reply({ kind: 'event', event: { ...ev, cameras: 3 } });
    expect(seen).toEqual([ev]);
  });

  it('on close code 4401 fails pending calls, forgets the session and does not reconnect', async () => {
    vi.useFakeTimers();
    const { transport, storage } = setup();
    await transport.invoke('auth.login', { username: 'ada', password: 'pw' });
    const socket = FakeSocket.last();
    socket.open();
    const ended = vi.fn();
    transport.onSessionEnded(ended);
    const pending = transport.invoke('members.list', {});
    socket.drop(SESSION_ENDED_CLOSE);
    await expect(pending).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(ended).toHaveBeenCalledTimes(1);
    expect(storage.data.has('vigil.session')).toBe(false);
    expect(transport.connection()).toBe('offline');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('reconnects after a dropped connection and resumes requests', async () => {
    vi.useFakeTimers();
    const { transport } = setup();
    await transport.invoke('auth.login', { username: 'ada', password: 'pw' });
    const first = FakeSocket.last();
    first.open();
    const inFlight = transport.invoke('members.list', {});
    first.drop(1006);
    await expect(inFlight).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(transport.connection()).toBe('connecting');
    await vi.advanceTimersByTimeAsync(10);
    expect(FakeSocket.all).toHaveLength(2);
    const second = FakeSocket.last();
    expect(second.url).toBe(first.url);
    const later = transport.invoke('members.get', { id: 'm1' });
    second.open();
    const req = second.sent[0];
    second.reply({ kind: 'response', id: req?.id, ok: true, result: 'again' });
    await expect(later).resolves.toBe('again');
  });
});

describe('the console session on 4401', () => {
  beforeEach(() => {
    vi.resetModules();
    window.sessionStorage.setItem('vigil.session', 'still-valid');
    vi.stubGlobal('WebSocket', FakeSocket);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    window.sessionStorage.clear();
  });

  it('returns to the login screen (user null) when the server ends the session', async () => {
    // A reload with a stored token: the page's transport reconnects with it at once.
    const { useSession } = await import('./store/session.js');
    const socket = FakeSocket.last();
    expect(socket.url).not.toContain('still-valid');
    expect(socket.protocols).toContain('vigil.auth.still-valid');
    socket.open();
    useSession.getState().setUser(user);
    expect(useSession.getState().can('live.view')).toBe(true);
    socket.drop(SESSION_ENDED_CLOSE);
    expect(useSession.getState().user).toBeNull();
    expect(useSession.getState().can('live.view')).toBe(false);
    expect(window.sessionStorage.getItem('vigil.session')).toBeNull();
  });
});
