import type { ConsoleEvent } from '../contract/contract.js';
import { describeError } from '../errors.js';
import { log } from '../log.js';
import type { PostgresLocation } from '../store/locator.js';
import { openPool } from '../store/postgres/connect.js';
import { listNodes } from '../store/postgres/leases.js';
import { ClusterBus, type BusOptions } from './bus.js';
import { PreviewLinks, type PeerNode } from './previews.js';
import { startClusterRelay, type ClusterRelay } from './relay.js';

/**
 * Everything a `vigil serve --store URL --node NAME` needs for one console over all nodes, in one
 * call: the bus, the event relay, the preview links, and the poll of the nodes table that tells
 * the links whom to follow. Pass `relay` to VigilServer as `cluster`, and its deliverRemote as
 * `deliver`.
 */

export interface ClusterNodeOptions {
  store: PostgresLocation;
  node: string;
  /** clusterLinkKey(master key), e.g. `engine.lendMasterKey(clusterLinkKey)`. */
  linkKey: Uint8Array;
  /** Another node's console event or preview frame, for this node's consoles. */
  deliver: (e: ConsoleEvent) => void;
  /** Someone's vectors changed (or the bus reconnected): e.g. `() => engine.store.vectors.catchUp()`. */
  onIndex?: () => void | Promise<void>;
  /** The other nodes to stream previews from; default: the alive nodes of the `nodes` table with an address. */
  peers?: () => Promise<PeerNode[]>;
  /** How often the peers are looked up (default 5 s). */
  peersEveryMs?: number;
  /**
   * Whether anyone on this node watches (a console is connected); default always. Other nodes'
   * frames are followed only then, so a node nobody looks at costs its peers no preview traffic.
   */
  watched?: () => boolean;
  bus?: BusOptions;
  /** Nodes' servers' CA, when their certificates are not self-signed. */
  tls?: { ca?: string | Buffer };
}

export interface ClusterNode {
  bus: ClusterBus;
  relay: ClusterRelay;
  previews: PreviewLinks;
  /** Resolves once the bus has connected the first time (the node works without it meanwhile). */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Starts the node's side of the cluster; nothing here stops the node when PostgreSQL is away. */
export function startClusterNode(opts: ClusterNodeOptions): ClusterNode {
  const bus = new ClusterBus(opts.store, opts.bus);
  const previews = new PreviewLinks({
    node: opts.node,
    key: opts.linkKey,
    deliver: opts.deliver,
    ...(opts.tls ? { tls: opts.tls } : {}),
  });
  const relay = startClusterRelay({ bus, node: opts.node, deliver: opts.deliver, previews });
  const unIndex = opts.onIndex ? bus.on('index', opts.onIndex) : () => undefined;

  const pool = opts.peers ? null : openPool(opts.store, { max: 1 });
  const peers =
    opts.peers ??
    (async (): Promise<PeerNode[]> =>
      (await listNodes(pool!))
        .filter((n) => n.state === 'alive' && n.address)
        .map((n) => ({ node: n.node, address: n.address!, fingerprint: n.fingerprint })));
  let failing = false;
  let polling: Promise<void> | null = null;
  const poll = (): void => {
    if (polling) return;
    polling = peers()
      .then((list) => {
        failing = false;
        previews.follow(opts.watched && !opts.watched() ? [] : list);
      })
      .catch((e: unknown) => {
        // The links already open stay open: previews do not need PostgreSQL once linked.
        if (!failing) log('warn', 'cluster_peers_unavailable', { error: describeError(e) });
        failing = true;
      })
      .finally(() => (polling = null));
  };
  poll();
  const timer = setInterval(poll, opts.peersEveryMs ?? 5_000);
  timer.unref();
  const ready = bus.start();

  return {
    bus,
    relay,
    previews,
    ready,
    stop: async () => {
      clearInterval(timer);
      await polling;
      unIndex();
      relay.stop();
      previews.close();
      await bus.close();
      await pool?.end().catch(() => undefined);
    },
  };
}
