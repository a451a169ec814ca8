import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  RELAYED_EVENT_TYPES,
  relayedEventSchema,
  type CameraState,
  type ConsoleEvent,
  type RelayedEvent,
} from '../contract/contract.js';
import { describeError } from '../errors.js';
import { log } from '../log.js';
import type { ClusterBus } from './bus.js';
import type { PreviewLinks } from './previews.js';

/**
 * One console for every node: each node publishes its console events (camera status, alerts,
 * alert acknowledgements, recognitions; never previews) on the bus's `events` channel as
 * `{node, event}`, and hands the other nodes' events to its own consoles. A notification is checked
 * against the contract before a console sees it; one that fails is logged and dropped.
 */

/** What a console needs of a camera another node watches, from that node's last relayed status. */
export interface RemoteCameraStatus {
  node: string;
  state: CameraState;
  reason: string | null;
  fps: number;
  last_frame_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  /** True when the node has not reported the camera for longer than the staleness time. */
  stale: boolean;
}

/** The cluster as the console API sees it (ApiContext.cluster): this node's name and the others' cameras. */
export interface ClusterView {
  node: string;
  remoteCamera(cameraId: string): RemoteCameraStatus | null;
}

/** What VigilServer is given (ServerOptions.cluster): it publishes its local console events here. */
export interface ClusterLink extends ClusterView {
  publish(e: ConsoleEvent): void;
  /** Another node linking for previews (NODE_LINK_PATH): authenticated here, never by a console session. */
  acceptLink?(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface ClusterRelay extends ClusterLink {
  stop(): void;
}

export interface ClusterRelayOptions {
  bus: Pick<ClusterBus, 'on' | 'publish' | 'onResync'>;
  /** This node's name (unique in the cluster: a node drops notifications carrying its own name). */
  node: string;
  /** Hands another node's event to this node's consoles (VigilServer.deliverRemote). */
  deliver: (e: RelayedEvent) => void;
  /** Live previews node to node; without it, consoles see only this node's own tiles. */
  previews?: PreviewLinks;
  /** A camera whose node has been silent this long shows as offline (default 30 s, the lease expiry). */
  staleMs?: number;
  now?: () => number;
}

/**
 * Events waiting to be published (the store away): kept in order and sent when the bus is back,
 * so a console on another node still gets an alert raised during the outage. Beyond this many, a
 * waiting camera status makes room first (a newer one will come), then new events are dropped.
 */
const MAX_PENDING = 1_000;
/** Remote cameras remembered; far beyond any real site, so a flood of made-up ids cannot grow it. */
const MAX_CAMERAS = 10_000;

interface Envelope {
  v: 1;
  node: string;
  event: RelayedEvent;
}

function parseEnvelope(payload: string): { node: string; event: RelayedEvent } | string {
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    return 'not JSON';
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'not an object';
  const r = raw as Record<string, unknown>;
  if (r.v !== 1) return 'unknown version';
  if (typeof r.node !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(r.node))
    return 'no valid node name';
  const parsed = relayedEventSchema.safeParse(r.event);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return `event ${first?.path.join('.') || '(root)'}: ${first?.message ?? 'invalid'}`.slice(0, 200);
  }
  return { node: r.node, event: parsed.data };
}

/** Starts relaying between this node's consoles and the bus; `stop()` ends both directions. */
export function startClusterRelay(opts: ClusterRelayOptions): ClusterRelay {
  const { bus, node, deliver } = opts;
  const staleMs = opts.staleMs ?? 30_000;
  const now = opts.now ?? Date.now;
  const cameras = new Map<
    string,
    { node: string; event: Extract<RelayedEvent, { type: 'camera_status' }>; at: number }
  >();
  let stopped = false;
  let dropped = 0;
  let failing = false;
  /** Envelopes not yet published, oldest first; a camera's status waits only in its latest version. */
  const waiting: { cameraId: string | null; payload: string }[] = [];
  // One drain at a time, in order: a camera's "offline" must not overtake its earlier "online".
  let draining = false;

  const drain = async (): Promise<void> => {
    if (draining) return;
    draining = true;
    try {
      while (!stopped && waiting.length > 0) {
        try {
          await bus.publish('events', waiting[0]!.payload);
        } catch (err) {
          // Once per outage, not once per event: camera statuses alone come every few seconds.
          if (!failing)
            log('warn', 'cluster_event_not_published', {
              waiting: waiting.length,
              error: describeError(err),
            });
          failing = true;
          return; // the bus's next connection (onResync) or the next event tries again
        }
        waiting.shift();
        if (failing || dropped > 0) {
          log('warn', 'cluster_events_resumed', { waiting: waiting.length, dropped_while_away: dropped });
          failing = false;
          dropped = 0;
        }
      }
    } finally {
      draining = false;
    }
  };
  const unResync = bus.onResync(() => drain());

  const onPayload = (payload: string): void => {
    if (stopped) return;
    const got = parseEnvelope(payload);
    if (typeof got === 'string') {
      // The payload itself is not logged: it is untrusted and may be large.
      log('warn', 'cluster_event_refused', { reason: got, bytes: payload.length });
      return;
    }
    if (got.node === node) return;
    if (got.event.type === 'camera_status') {
      // Bounded whatever arrives: the oldest report goes first (a Map keeps insertion order).
      cameras.delete(got.event.camera_id);
      if (cameras.size >= MAX_CAMERAS) cameras.delete(cameras.keys().next().value!);
      cameras.set(got.event.camera_id, { node: got.node, event: got.event, at: now() });
    }
    try {
      deliver(got.event);
    } catch (e) {
      log('error', 'cluster_event_delivery_failed', { from: got.node, error: describeError(e) });
    }
  };
  const unsubscribe = bus.on('events', onPayload);

  const enqueue = (cameraId: string | null, payload: string): void => {
    if (cameraId !== null) {
      const older = waiting.findIndex((w, i) => i > 0 && w.cameraId === cameraId);
      if (older > 0) waiting.splice(older, 1);
    }
    if (waiting.length >= MAX_PENDING) {
      // Index 0 may be in flight; any other waiting camera status is superseded by a later one.
      const status = waiting.findIndex((w, i) => i > 0 && w.cameraId !== null);
      if (status > 0) waiting.splice(status, 1);
      else {
        dropped++;
        return;
      }
    }
    waiting.push({ cameraId, payload });
  };

  const publish = (e: ConsoleEvent): void => {
    if (stopped) return;
    if (e.type === 'preview') {
      // Called from the server's broadcast: a failing link must not cost this node's own consoles.
      try {
        opts.previews?.local(e);
      } catch (err) {
        log('warn', 'node_link_send_failed', { error: describeError(err) });
      }
      return;
    }
    if (!RELAYED_EVENT_TYPES.has(e.type)) return;
    // A camera this node now watches itself is no longer another node's.
    if (e.type === 'camera_status') cameras.delete(e.camera_id);
    const envelope: Envelope = { v: 1, node, event: e as RelayedEvent };
    enqueue(e.type === 'camera_status' ? e.camera_id : null, JSON.stringify(envelope));
    void drain();
  };

  const remoteCamera = (cameraId: string): RemoteCameraStatus | null => {
    const hit = cameras.get(cameraId);
    if (!hit) return null;
    const silentMs = now() - hit.at;
    const stale = silentMs > staleMs;
    const e = hit.event;
    return {
      node: hit.node,
      state: stale ? 'offline' : e.state,
      reason: stale
        ? `node ${hit.node} has not reported this camera for ${Math.round(silentMs / 1000)} s`
        : e.reason,
      fps: stale ? 0 : e.fps,
      last_frame_at: e.last_frame_at ?? null,
      last_error: e.last_error ?? null,
      last_error_at: e.last_error_at ?? null,
      stale,
    };
  };

  const previews = opts.previews;
  return {
    node,
    publish,
    remoteCamera,
    ...(previews ? { acceptLink: (req, socket, head) => previews.accept(req, socket, head) } : {}),
    stop: () => {
      stopped = true;
      unsubscribe();
      unResync();
    },
  };
}
