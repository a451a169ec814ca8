import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConsoleEvent } from '../../../main/contract/contract.js';

// A transport whose socket state the test sets, and whose events it plays.
const net = vi.hoisted(() => ({
  state: 'connecting' as 'offline' | 'connecting' | 'open',
  conn: new Set<(s: 'offline' | 'connecting' | 'open') => void>(),
  events: new Set<(e: unknown) => void>(),
}));
vi.mock('../api.js', () => ({
  api: {
    onEvent: (l: (e: unknown) => void) => {
      net.events.add(l);
      return () => net.events.delete(l);
    },
  },
  connectionState: () => net.state,
  onConnection: (l: (s: 'offline' | 'connecting' | 'open') => void) => {
    net.conn.add(l);
    return () => net.conn.delete(l);
  },
}));
const { staleness, startCameraLive, useCameraLive, STALE_AFTER_MS } = await import('./cameras.js');

function setSocket(s: 'offline' | 'connecting' | 'open') {
  net.state = s;
  for (const l of net.conn) l(s);
}
const emit = (e: ConsoleEvent) => net.events.forEach((l) => l(e));

let stop: (() => void) | null = null;
afterEach(() => {
  stop?.();
  stop = null;
});

describe('camera states', () => {
  it('starts from the socket state at sign-in, even when it opened before anyone listened', () => {
    net.state = 'connecting';
    // The module was loaded while connecting; the socket opened before the shell subscribed.
    net.state = 'open';
    stop = startCameraLive();
    expect(useCameraLive.getState().connection).toBe('open');
    setSocket('connecting');
    expect(useCameraLive.getState().connection).toBe('connecting');
  });

  it('calls a tile stale when the engine is unreachable, the camera is not online or pictures stop', () => {
    net.state = 'open';
    stop = startCameraLive();
    const t0 = Date.now();
    emit({ type: 'camera_status', camera_id: 'gate', state: 'online', reason: null, fps: 5 });
    emit({ type: 'preview', camera_id: 'gate', at: t0, width: 4, height: 4, jpeg: '', faces: [] });
    const cam = () => useCameraLive.getState().cameras.gate;
    expect(staleness(cam(), 'open', t0, Date.now()).stale).toBe(false);
    expect(staleness(cam(), 'open', t0, Date.now() + STALE_AFTER_MS + 1)).toMatchObject({
      stale: true,
      label: 'No picture',
    });
    expect(staleness(cam(), 'connecting', t0, Date.now())).toMatchObject({
      stale: true,
      label: 'Engine unreachable',
      since: t0,
    });
    emit({ type: 'camera_status', camera_id: 'gate', state: 'error', reason: 'RTSP 401', fps: 0 });
    emit({ type: 'camera_status', camera_id: 'gate', state: 'online', reason: null, fps: 5 });
    emit({ type: 'camera_status', camera_id: 'gate', state: 'offline', reason: null, fps: 0 });
    // The last error stays known after the camera changed state again.
    expect(staleness(cam(), 'open', t0, Date.now())).toMatchObject({
      stale: true,
      label: 'Offline',
      detail: 'RTSP 401',
    });
  });
});
