import { describeError, VigilError } from '../errors.js';
import { log } from '../log.js';
import type { PostgresLocation } from '../store/locator.js';
import {
  listen,
  NOTIFY_PAYLOAD_LIMIT,
  openPublisher,
  payloadBytes,
  type Listening,
  type Publisher,
} from '../store/postgres/notifications.js';

/**
 * The nodes of a cluster tell each other what changed through the shared store's LISTEN/NOTIFY:
 * `index` (someone's vectors changed: catch up from the change log) and `events` (a node's console
 * events, see relay.ts). A notification is a hint, never the record: PostgreSQL drops those sent
 * while a listener is disconnected, so on every (re)connect each subscriber resynchronises from
 * the store itself.
 */

export const BUS_CHANNELS = { index: 'vigil_index', events: 'vigil_events' } as const;
export type BusChannel = keyof typeof BUS_CHANNELS;
export { NOTIFY_PAYLOAD_LIMIT };

export interface BusOptions {
  /** Bursts of index notifications are coalesced: the handler runs at most once per this (default 100 ms). */
  debounceMs?: number;
  /** Reconnection backoff: first wait, doubling up to the ceiling (defaults 250 ms and 10 s). */
  backoff?: { initialMs: number; maxMs: number };
  /** How often the listening connection is checked for a silent loss (default 10 s). */
  pingMs?: number;
}

type IndexHandler = () => void | Promise<void>;
type EventsHandler = (payload: string) => void;
type ResyncHandler = () => void | Promise<void>;

/** One listening connection per node, reconnected with backoff for as long as the bus is open. */
export class ClusterBus {
  private readonly indexHandlers = new Set<IndexHandler>();
  private readonly eventHandlers = new Set<EventsHandler>();
  private readonly resyncHandlers = new Set<ResyncHandler>();
  private readonly publisher: Publisher;
  private readonly debounceMs: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private listening: Listening | null = null;
  private closed = false;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private connects = 0;
  private firstConnect: Promise<void>;
  private resolveFirst!: () => void;
  /** The debounce of `index`: a timer while a run is pending, and whether another is owed. */
  private indexTimer: ReturnType<typeof setTimeout> | null = null;
  private indexRunning = false;
  private indexOwed = false;
  private lastIndexRun = 0;

  constructor(
    private readonly loc: PostgresLocation,
    private readonly opts: BusOptions = {},
  ) {
    this.publisher = openPublisher(loc);
    this.debounceMs = opts.debounceMs ?? 100;
    this.backoff = opts.backoff ?? { initialMs: 250, maxMs: 10_000 };
    this.firstConnect = new Promise((r) => (this.resolveFirst = r));
  }

  /** Opens the bus; resolves on the first connection. Until then (and between reconnects) it retries. */
  start(): Promise<void> {
    if (!this.listening && !this.retry && !this.closed) void this.connect();
    return this.firstConnect;
  }

  /** True while the listening connection is up. */
  get connected(): boolean {
    return this.listening !== null;
  }

  /** How many times the bus has connected (1 after the first, +1 per reconnection). */
  get connections(): number {
    return this.connects;
  }

  /**
   * `index`: vectors changed somewhere (debounced, no payload; also run on every (re)connect). `events`: a raw payload from
   * vigil_events, to be validated by the subscriber. Returns the unsubscribe function.
   */
  on(channel: 'index', fn: IndexHandler): () => void;
  on(channel: 'events', fn: EventsHandler): () => void;
  on(channel: BusChannel, fn: IndexHandler | EventsHandler): () => void {
    const set = (channel === 'index' ? this.indexHandlers : this.eventHandlers) as Set<unknown>;
    set.add(fn);
    return () => void set.delete(fn);
  }

  /** Runs on every connection, the first included: catch up with what notifications may have missed. */
  onResync(fn: ResyncHandler): () => void {
    this.resyncHandlers.add(fn);
    return () => void this.resyncHandlers.delete(fn);
  }

  /** Sends a notification to every node (this one included); refused, never truncated, when too big. */
  async publish(channel: BusChannel, payload: string): Promise<void> {
    if (this.closed) throw new VigilError('INVALID_ARGUMENT', 'The cluster bus is closed.');
    const bytes = payloadBytes(payload);
    if (bytes > NOTIFY_PAYLOAD_LIMIT)
      throw new VigilError(
        'INVALID_ARGUMENT',
        `A cluster notification holds at most ${NOTIFY_PAYLOAD_LIMIT} bytes; this one has ${bytes}, so it was not sent.`,
      );
    await this.publisher.notify(BUS_CHANNELS[channel], payload);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.indexTimer) clearTimeout(this.indexTimer);
    this.retry = null;
    this.indexTimer = null;
    const l = this.listening;
    this.listening = null;
    await l?.close();
    await this.publisher.close();
    // A start() still waiting for its first connection is released rather than left hanging.
    this.resolveFirst();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.retry = null;
    let l: Listening;
    try {
      l = await listen(
        this.loc,
        Object.values(BUS_CHANNELS),
        {
          onNotification: (channel, payload) => this.dispatch(channel, payload),
          onLost: (e) => this.lost(e),
        },
        this.opts.pingMs !== undefined ? { pingMs: this.opts.pingMs } : {},
      );
    } catch (e) {
      return this.scheduleRetry(e);
    }
    if (this.closed) return void (await l.close());
    this.listening = l;
    this.attempt = 0;
    this.connects++;
    log(this.connects === 1 ? 'info' : 'warn', 'cluster_bus_connected', {
      store: this.loc.display,
      connections: this.connects,
    });
    this.resolveFirst();
    // Listening before resynchronising: whatever changes from now on arrives as a notification.
    for (const fn of this.resyncHandlers) void this.runSafely('resync', fn);
    // An index subscriber catches up from the change log, which is exactly a resynchronisation.
    if (this.indexHandlers.size > 0) this.indexNotified();
  }

  private lost(e: Error): void {
    this.listening = null;
    if (this.closed) return;
    log('warn', 'cluster_bus_lost', { store: this.loc.display, error: describeError(e) });
    this.scheduleRetry(e);
  }

  private scheduleRetry(e: unknown): void {
    if (this.closed) return;
    const wait = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 20);
    log('warn', 'cluster_bus_retry', { store: this.loc.display, wait_ms: wait, error: describeError(e) });
    this.retry = setTimeout(() => void this.connect(), wait);
    this.retry.unref();
  }

  private dispatch(channel: string, payload: string): void {
    if (channel === BUS_CHANNELS.index) return this.indexNotified();
    if (channel !== BUS_CHANNELS.events) return;
    for (const fn of this.eventHandlers) {
      try {
        fn(payload);
      } catch (e) {
        log('error', 'cluster_bus_handler_failed', { channel, error: describeError(e) });
      }
    }
  }

  /**
   * Leading edge, then at most one run per debounce period: an enrollment is picked up at once,
   * and a burst of a thousand changes costs a handful of catch-ups, never one each. A notification
   * arriving during a run owes another run, so nothing that changed is left unread.
   */
  private indexNotified(): void {
    if (this.closed) return;
    if (this.indexRunning || this.indexTimer) {
      this.indexOwed = true;
      return;
    }
    const wait = Math.max(0, this.lastIndexRun + this.debounceMs - Date.now());
    this.indexTimer = setTimeout(() => void this.runIndex(), wait);
  }

  private async runIndex(): Promise<void> {
    this.indexTimer = null;
    this.indexOwed = false;
    this.indexRunning = true;
    this.lastIndexRun = Date.now();
    try {
      for (const fn of this.indexHandlers) await this.runSafely('index', fn);
    } finally {
      this.indexRunning = false;
    }
    if (this.indexOwed && !this.closed) {
      this.indexOwed = false;
      this.indexNotified();
    }
  }

  private async runSafely(what: string, fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      log('error', 'cluster_bus_handler_failed', { channel: what, error: describeError(e) });
    }
  }
}
