import { create } from 'zustand';
import type { CameraState, CameraView } from '../../../main/contract/contract.js';
import { api, connectionState, onConnection, type ConnectionState } from '../api.js';

/** A tile with no new picture for this long is shown as stale, whatever its last state said. */
export const STALE_AFTER_MS = 4000;
/** Preview rate is measured over this window. */
const RATE_WINDOW_MS = 5000;

export interface CameraLive {
  state: CameraState;
  reason: string | null;
  /** Frames per second the engine decodes for analysis (its camera_status figure). */
  fps: number;
  /** When the current state began (ms since epoch; when the console learnt it, for the first). */
  since: number;
  /** The last reason an error or offline state gave, kept after the camera recovers. */
  lastError: string | null;
  /** Arrival times of the latest previews, for the preview rate and staleness. */
  previews: number[];
}

interface CamerasState {
  cameras: Record<string, CameraLive>;
  connection: ConnectionState;
  /** When the connection entered its current state. */
  connectionSince: number;
  seed(list: CameraView[]): void;
}

export const useCameraLive = create<CamerasState>()((set) => ({
  cameras: {},
  connection: connectionState(),
  connectionSince: Date.now(),
  seed: (list) =>
    set((s) => {
      const cameras = { ...s.cameras };
      // The list is the engine's state when it answered: newer than what this console had.
      for (const c of list) {
        const had = cameras[c.camera_id];
        const lastFrame = c.last_frame_at ? Date.parse(c.last_frame_at) : Number.NaN;
        const since =
          had && had.state === c.state
            ? had.since
            : c.state !== 'online' && !Number.isNaN(lastFrame)
              ? lastFrame
              : Date.now();
        cameras[c.camera_id] = {
          state: c.state,
          reason: c.reason,
          fps: c.fps,
          since,
          // The engine keeps each decoder's last error (also after recovery); else what this console saw.
          lastError:
            c.last_error ??
            (c.state === 'error' || c.state === 'offline' ? c.reason : (had?.lastError ?? null)),
          previews: had?.previews ?? [],
        };
      }
      return { cameras };
    }),
}));

function update(id: string, f: (c: CameraLive | undefined) => CameraLive): void {
  useCameraLive.setState((s) => ({ cameras: { ...s.cameras, [id]: f(s.cameras[id]) } }));
}

/** Follows camera states, previews and the engine connection for every page (started at sign-in). */
export function startCameraLive(): () => void {
  const offEvents = api.onEvent((e) => {
    if (e.type === 'camera_status')
      update(e.camera_id, (c) => ({
        state: e.state,
        reason: e.reason,
        fps: e.fps,
        since: c && c.state === e.state ? c.since : Date.now(),
        lastError:
          e.last_error ??
          (e.state === 'error' || e.state === 'offline'
            ? (e.reason ?? c?.lastError ?? null)
            : (c?.lastError ?? null)),
        previews: c?.previews ?? [],
      }));
    else if (e.type === 'preview') {
      const now = Date.now();
      update(e.camera_id, (c) => ({
        ...(c ?? { state: 'online', reason: null, fps: 0, since: now, lastError: null }),
        previews: [...(c?.previews ?? []).filter((t) => now - t < RATE_WINDOW_MS), now],
      }));
    }
  });
  // The socket may have opened before this subscription (sign-in): start from its state now.
  useCameraLive.setState({ connection: connectionState(), connectionSince: Date.now() });
  const offConn = onConnection((connection) =>
    useCameraLive.setState({ connection, connectionSince: Date.now() }),
  );
  return () => {
    offEvents();
    offConn();
    useCameraLive.setState({ cameras: {} });
  };
}

/** Previews per second over the last few seconds (what the tile really shows). */
export function previewRate(c: CameraLive | undefined, now: number): number {
  const recent = (c?.previews ?? []).filter((t) => now - t < RATE_WINDOW_MS);
  if (recent.length < 2) return 0;
  return recent.length / (RATE_WINDOW_MS / 1000);
}

export interface Staleness {
  stale: boolean;
  /** "Engine unreachable", "offline", "no picture"… */
  label: string;
  since: number | null;
  detail: string | null;
}

/**
 * Whether a tile's picture can be trusted now: the engine must be connected, the camera online and
 * a preview must have arrived within STALE_AFTER_MS. Otherwise what went wrong, and since when.
 */
export function staleness(
  c: CameraLive | undefined,
  connection: ConnectionState,
  connectionSince: number,
  now: number,
): Staleness {
  if (connection !== 'open')
    return { stale: true, label: 'Engine unreachable', since: connectionSince, detail: 'reconnecting…' };
  if (!c) return { stale: true, label: 'Waiting for the camera', since: null, detail: null };
  if (c.state !== 'online') {
    const label = {
      connecting: 'Reconnecting',
      offline: 'Offline',
      error: 'Error',
      disabled: 'Disabled',
      online: '',
    }[c.state];
    return { stale: true, label, since: c.since, detail: c.reason ?? c.lastError };
  }
  const last = c.previews.at(-1);
  if (last === undefined)
    return { stale: now - c.since > STALE_AFTER_MS, label: 'No picture yet', since: c.since, detail: null };
  if (now - last > STALE_AFTER_MS)
    return { stale: true, label: 'No picture', since: last, detail: c.lastError };
  return { stale: false, label: 'online', since: c.since, detail: null };
}
