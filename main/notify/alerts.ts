import { EventEmitter } from 'node:events';
import type { AlertRuleSettings } from '../config/schema.js';
import type { EngineEvent } from '../engine/events.js';
import { isVigilError } from '../errors.js';
import { withinAllowedHours } from '../store/members.js';
import type { AlertRepository } from '../store/repositories.js';
import type { Store } from '../store/store.js';
import { deliver, type AlertMessage, type Channel } from './channels.js';

/** The alert_rules setting with every rule filled in (its shape is the settings schema's). */
export type AlertRules = Required<AlertRuleSettings>;

export const DEFAULT_RULES: AlertRules = {
  recurringThreshold: 5,
  recurringWindowMs: 24 * 3_600_000,
  offlineGraceMs: 60_000,
  cooldownMs: 10 * 60_000,
};

/**
 * Where new alerts are written: the store itself, or the engine's buffered writer (which keeps
 * them on the node's disk while the shared store is away); undefined when not stored (yet).
 */
export interface AlertWriter {
  insertAlert(a: Parameters<AlertRepository['insert']>[0]): number | undefined;
}

/** A read of the store that may find the shared store away: then nothing is known (undefined). */
function unlessAway<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (e) {
    if (isVigilError(e) && e.code === 'STORE_UNREACHABLE') return undefined;
    throw e;
  }
}

/** A decoder that exits this often within the window is crash-looping (a system_error). */
const CRASH_LOOP = { failures: 3, windowMs: 120_000 };

/**
 * Turns engine events into the seed's alerts: new_unknown (high), recurring_unknown (medium,
 * when appearances reach the threshold within the window), unauthorized_access (critical: a
 * watch-listed member), camera_offline (high, after a grace period). Each is stored, emitted and
 * delivered to the configured channels. system_error (high) says that Vigil itself is failing: an
 * inference worker crashed or hung, a model failed to load, a decoder crash-loops, the disk is
 * full; it is stored like the others (except while the disk is full) and has the same cooldown.
 * Channels and rules can be replaced while it runs (live settings).
 */
export class AlertEngine extends EventEmitter<{ alert: [AlertMessage] }> {
  private readonly lastRaised = new Map<string, number>();
  private readonly offlineTimers = new Map<string, NodeJS.Timeout>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly decoderFailures = new Map<string, number[]>();
  private readonly lastState = new Map<string, string>();
  private rules: AlertRules;

  constructor(
    private readonly store: Store,
    private channels: Channel[],
    rules: Partial<AlertRules> = {},
    private readonly now: () => number = Date.now,
    private readonly writer: AlertWriter = { insertAlert: (a) => store.alerts.insert(a) },
  ) {
    super();
    this.rules = { ...DEFAULT_RULES, ...rules };
  }

  /** Applies changed settings to the next alert; cooldowns already running are kept. */
  configure(next: { channels?: Channel[]; rules?: Partial<AlertRules> }): void {
    if (next.channels) this.channels = next.channels;
    if (next.rules) this.rules = { ...DEFAULT_RULES, ...next.rules };
  }

  /**
   * Vigil itself is failing. `source` names the failing part (inference, disk, decoder:CAM…):
   * the cooldown is per source, so a worker that keeps crashing raises one alert per period.
   */
  raiseSystemError(source: string, message: string, cameraId: string | null = null): void {
    this.raise('system_error', 'high', null, cameraId, message, source);
  }

  handle(e: EngineEvent): void {
    if (e.type === 'alert') {
      if (e.alert_type === 'system_error') this.raiseSystemError('disk', e.message, e.camera_id);
      // Recovery notes are shown and sent; the stored system_error stays for people to resolve.
      else if (e.alert_type.startsWith('system_')) {
        const note = { ...e, type: e.alert_type };
        this.emit('alert', note);
        this.deliverOnly(note);
      }
      return;
    }
    if (e.type === 'stats') return;
    if (e.type === 'recognition') {
      if (e.kind === 'new_unknown') {
        // Close below a member's threshold: probably that member in poor view, not a high-priority stranger.
        const possible = e.possible_member;
        this.raise(
          'new_unknown',
          possible ? 'medium' : 'high',
          e.unknown_id!,
          e.camera_id,
          possible
            ? `New unknown person ${e.unknown_id} seen on camera ${e.camera_id}; possibly member ${possible.member_id} (similarity ${possible.similarity.toFixed(2)}).`
            : `New unknown person ${e.unknown_id} seen on camera ${e.camera_id}.`,
        );
      } else if (e.kind === 'recurring_unknown') {
        const since = new Date(this.now() - this.rules.recurringWindowMs).toISOString();
        // While the shared store is away its count is unknown: no recurring alert then.
        const count = unlessAway(() => this.store.appearances.countOfUnknown(e.unknown_id!, since)) ?? 0;
        if (count >= this.rules.recurringThreshold) {
          this.raise(
            'recurring_unknown',
            'medium',
            e.unknown_id!,
            e.camera_id,
            `Unknown person ${e.unknown_id} has been seen ${count} times in ${Math.round(this.rules.recurringWindowMs / 3_600_000)} h (camera ${e.camera_id}).`,
          );
        }
      } else if (e.kind === 'known_member' && e.member_id) {
        if (e.corrects)
          this.resolveCorrected(e.corrects.unknown_id, e.camera_id, e.member_id, e.corrects.since);
        const m = unlessAway(() => this.store.members.get(e.member_id!));
        const why = !m
          ? null
          : m.watchlist === 1
            ? 'Watch-listed person'
            : m.status === 'suspended'
              ? 'Suspended member'
              : !withinAllowedHours(m.allowed_hours, new Date(this.now()))
                ? `Member outside allowed hours (${m.allowed_hours})`
                : null;
        if (why) {
          this.raise(
            'unauthorized_access',
            'critical',
            e.member_id,
            e.camera_id,
            `${why} ${e.member_id} seen on camera ${e.camera_id}.`,
          );
        }
      }
    } else if (e.type === 'camera_status') {
      const id = e.camera_id;
      if (e.state === 'online' || (e.state === 'offline' && e.reason === 'stopped')) {
        clearTimeout(this.offlineTimers.get(id));
        this.offlineTimers.delete(id);
      }
      // A decoder that streamed and then died, again and again, is crash-looping; a camera that
      // never connects is only offline (camera_offline), and a file that ends is not a failure.
      const wasOnline = this.lastState.get(id) === 'online';
      this.lastState.set(id, e.state);
      if (wasOnline && e.state !== 'online' && e.reason !== 'stopped' && e.reason !== 'the stream ended')
        this.decoderFailed(id, e.reason);
      if (
        (e.state === 'offline' || e.state === 'error') &&
        e.reason !== 'stopped' &&
        !this.offlineTimers.has(id)
      ) {
        const reason = e.reason;
        const t = setTimeout(() => {
          this.offlineTimers.delete(id);
          this.raise(
            'camera_offline',
            'high',
            null,
            id,
            `Camera ${id} is offline${reason ? `: ${reason}` : ''}.`,
          );
        }, this.rules.offlineGraceMs);
        t.unref();
        this.offlineTimers.set(id, t);
      }
    }
  }

  /** Each failure of a camera's decoder; several within the window are a crash loop. */
  private decoderFailed(cameraId: string, reason: string | null): void {
    const now = this.now();
    const recent = (this.decoderFailures.get(cameraId) ?? []).filter((t) => now - t < CRASH_LOOP.windowMs);
    recent.push(now);
    this.decoderFailures.set(cameraId, recent);
    if (recent.length >= CRASH_LOOP.failures)
      this.raiseSystemError(
        `decoder:${cameraId}`,
        `The video decoder of camera ${cameraId} keeps failing (${recent.length} times in ${Math.round(CRASH_LOOP.windowMs / 60_000)} min)${reason ? `: ${reason}` : ''}.`,
        cameraId,
      );
  }

  private raise(
    type: string,
    priority: AlertMessage['priority'],
    personId: string | null,
    cameraId: string | null,
    message: string,
    source = '',
  ): void {
    const key = `${type}|${personId ?? ''}|${cameraId ?? ''}|${source}`;
    const now = this.now();
    const last = this.lastRaised.get(key);
    if (last !== undefined && now - last < this.rules.cooldownMs) return;
    this.lastRaised.set(key, now);
    const created_at = new Date(now).toISOString();
    // With the disk full the alert is still shown and sent, with id 0: it could not be stored; so
    // while the shared store is away (it waits in the node's spool, and is stored when it returns).
    const stored = this.store.writeGuard().write('alert', () =>
      this.writer.insertAlert({
        type,
        priority,
        personKind: personId ? (personId.startsWith('UNKNOWN_') ? 'unknown' : 'member') : null,
        personId,
        cameraId,
        message,
        createdAt: created_at,
      }),
    );
    const alert: AlertMessage = {
      alert_id: stored ?? 0,
      type,
      priority,
      message,
      camera_id: cameraId,
      person_id: personId,
      created_at,
    };
    this.emit('alert', alert);
    this.deliverOnly(alert);
  }

  /**
   * A stranger of this visit turned out to be a member: the visit's stranger alerts are resolved
   * with a note saying so (the guard sees why), and their cooldown is lifted for that person.
   */
  private resolveCorrected(unknownId: string, cameraId: string, memberId: string, since: string): void {
    const note = `Resolved by the engine: later views of the same visit identified member ${memberId}.`;
    this.store.writeGuard().write('alert', () =>
      // While the shared store is away the stranger alerts stay open, for people to resolve.
      unlessAway(() =>
        this.store.alerts.resolveStrangerVisit(
          unknownId,
          cameraId,
          since,
          note,
          new Date(this.now()).toISOString(),
        ),
      ),
    );
    for (const type of ['new_unknown', 'recurring_unknown'])
      this.lastRaised.delete(`${type}|${unknownId}|${cameraId}`);
  }

  private deliverOnly(alert: AlertMessage): void {
    const p = deliver(this.channels, alert).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits for deliveries in flight (shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  close(): void {
    for (const t of this.offlineTimers.values()) clearTimeout(t);
    this.offlineTimers.clear();
  }
}

export function acknowledgeAlert(store: Store, id: number, by: string, notes?: string): boolean {
  return store.alerts.acknowledge(id, by, notes ?? null, new Date().toISOString());
}

export function resolveAlert(store: Store, id: number, notes?: string): boolean {
  return store.alerts.resolve(id, notes ?? null, new Date().toISOString());
}
