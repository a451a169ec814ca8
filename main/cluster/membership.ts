import type pg from 'pg';
import { describeError } from '../errors.js';
import { log } from '../log.js';
import type { PostgresLocation } from '../store/locator.js';
import { openPool } from '../store/postgres/connect.js';
import { heartbeat, leaveCluster, registerNode, takeLeases } from '../store/postgres/leases.js';

export interface MembershipOptions {
  loc: PostgresLocation;
  node: string;
  /** Where other nodes and consoles reach this node's server (host:port). */
  address: string;
  /** SHA-256 fingerprint of this node's server certificate (TLS only): peers link to nothing else. */
  fingerprint?: string | null;
  /** The most cameras this node takes (`--max-cameras`). */
  capacity: number;
  /**
   * A node not heard from for this long loses its cameras. Half the 30 s failover bound,
   * so that the takeover (one more tick of a live node, then a camera start) fits inside it.
   */
  leaseExpiryMs?: number;
  /** How often the node heartbeats and rebalances; a few ticks fit in one expiry. */
  tickMs?: number;
  /** Told the cameras this node holds whenever that set changes. */
  onChange: (held: ReadonlySet<string>) => void;
}

export const NODE_LEASE_EXPIRY_MS = 15_000;
export const NODE_TICK_MS = 3_000;

/**
 * This process as one engine node of a cluster: registered in the shared store, heartbeating,
 * holding a fair share of the cameras by capacity. Leases are the only coordination: a camera is
 * watched by the node its lease names, and a node that stops heartbeating loses them to the
 * others. While the store is unreachable the node keeps the cameras it had (watching beats a
 * blind spot); when it returns, an expired node re-registers and rebalances like a new one.
 */
export class NodeMembership {
  private held = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;
  private unreachableSince: number | null = null;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly opts: MembershipOptions,
  ) {}

  /** Registers the node and takes its first cameras; a refusal (bad name, no store) is a sentence. */
  static async join(opts: MembershipOptions): Promise<NodeMembership> {
    const pool = openPool(opts.loc, { max: 2 });
    const node = new NodeMembership(pool, opts);
    try {
      await node.register();
      await node.rebalance();
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw e;
    }
    node.timer = setInterval(() => void node.tick(), opts.tickMs ?? NODE_TICK_MS);
    node.timer.unref();
    return node;
  }

  get name(): string {
    return this.opts.node;
  }

  owns(cameraId: string): boolean {
    return this.held.has(cameraId);
  }

  cameras(): string[] {
    return [...this.held].sort();
  }

  private register(): Promise<void> {
    return registerNode(this.pool, {
      node: this.opts.node,
      address: this.opts.address,
      fingerprint: this.opts.fingerprint ?? null,
      capacity: this.opts.capacity,
      leaseExpiryMs: this.opts.leaseExpiryMs ?? NODE_LEASE_EXPIRY_MS,
    });
  }

  private async rebalance(): Promise<void> {
    const change = await takeLeases(this.pool, this.opts.node);
    const next = new Set(change.held);
    const same = next.size === this.held.size && [...next].every((c) => this.held.has(c));
    if (change.taken.length || change.released.length)
      log('info', 'node_cameras_changed', {
        node: this.opts.node,
        taken: change.taken.join(','),
        released: change.released.join(','),
      });
    this.held = next;
    if (!same) this.opts.onChange(this.held);
  }

  /** One heartbeat and rebalance; never overlapping, never throwing. */
  tick(): Promise<void> {
    this.ticking ??= this.beat().finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!(await heartbeat(this.pool, this.opts.node))) {
        // Expired while away (or removed): what it held may be watched elsewhere by now.
        log('warn', 'node_expired', { node: this.opts.node });
        this.held = new Set();
        this.opts.onChange(this.held);
        await this.register();
      }
      await this.rebalance();
      if (this.unreachableSince !== null) {
        log('info', 'node_store_back', { node: this.opts.node, away_ms: Date.now() - this.unreachableSince });
        this.unreachableSince = null;
      }
    } catch (e) {
      if (this.unreachableSince === null) {
        this.unreachableSince = Date.now();
        log('warn', 'node_heartbeat_failed', { node: this.opts.node, error: describeError(e) });
      }
    }
  }

  /** A clean stop: the cameras are free for other nodes at once, not after the expiry. */
  async leave(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    try {
      await leaveCluster(this.pool, this.opts.node);
    } catch (e) {
      log('warn', 'node_leave_failed', { node: this.opts.node, error: describeError(e) });
    }
    await this.pool.end().catch(() => undefined);
  }
}
