import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { isVigilError } from '../errors.js';
import { log } from '../log.js';
import { dot } from '../match/similarity.js';
import type { AlertRepository } from '../store/repositories.js';
import { Spool, spoolKey, type SpoolEntry, type SpoolTier } from '../store/spool.js';
import type { PersonMatch } from '../store/vectors.js';
import type { Engine } from './engine.js';
import {
  continueSighting,
  correctToMember,
  extendSighting,
  recordDismissedSighting,
  recordMemberSighting,
  recordUnknownSighting,
  type Bbox,
  type ContinuedSighting,
  type Correction,
  type DismissedSighting,
  type MemberSighting,
  type OpenSighting,
  type UnknownPlan,
  type UnknownSighting,
} from './sightings.js';

/**
 * The live writes of a node (sightings, their extensions, alerts) pass through here on their way
 * to the store. With the embedded store nothing changes: each write is made at once, in its own
 * transaction. With the shared store, a write that finds it unreachable (STORE_UNREACHABLE) goes
 * to the node's encrypted spool instead (store/spool.ts), and the store is taken to be away: later
 * writes go straight to the spool (no connection attempt, which can block for seconds, slows a
 * camera) while a flusher retries with back-off and replays the spool in order, one transaction
 * per record, each removed only after its commit.
 *
 * Every write that creates a row carries an operation id chosen when it was decided: the first
 * attempt may commit and lose its answer, and its replay then finds the row (no duplicate).
 * Extensions move an end forward only, so replaying one twice changes nothing.
 *
 * While away, a sighting's row id is not known: callers get a provisional id (negative), valid for
 * extending that sighting through this writer, replaced by the real one once replayed. A stranger
 * first seen while away gets an id here (newUnknownId, via the plan) and their face vectors are
 * kept in memory so they keep that id on this node; the shared store's periodic fragment merge
 * reconciles them with another node's identity for the same person afterwards.
 */

export type StoreState = 'ok' | 'away';

export interface StoreNotice {
  state: StoreState;
  at: string;
  /** Writes waiting in the spool. */
  pending: number;
  message: string;
}

type NewAlert = Parameters<AlertRepository['insert']>[0];

/** An unknown sighting as spooled: face vectors as base64 of their float32 bytes (the record is sealed). */
interface SpooledUnknown {
  cameraId: string;
  firstSeen: number;
  lastSeen: number;
  bbox: Bbox;
  shots: { e: string; q: number }[];
  possibleMember: { memberId: string; similarity: number } | null;
}

/** One spooled write. Records that create a row carry their operation id. */
export type SpooledWrite =
  | { t: 'member'; op: string; s: MemberSighting }
  | { t: 'unknown'; op: string; s: SpooledUnknown; plan: UnknownPlan }
  | { t: 'continue'; op: string; s: ContinuedSighting }
  | { t: 'dismissed'; op: string; s: DismissedSighting }
  | {
      t: 'extend';
      /** The appearance: its id, or the operation id of the (spooled) write that creates it. */
      ref: number | string;
      kind: OpenSighting['kind'];
      personId: string;
      lastSeen: number;
    }
  | { t: 'alert'; op: string; a: NewAlert };

export interface BufferedWriterOptions {
  /** The spool's folder (the data folder's `spool/`). */
  dir: string;
  /** Bound of the spool on disk (store/spool.ts DEFAULT_SPOOL_BYTES). */
  maxBytes?: number;
  /** First retry of an away store (1 s); doubled up to maxRetryMs (30 s). */
  retryMs?: number;
  maxRetryMs?: number;
}

/** Records replayed per turn of the event loop, so a long spool does not hold the cameras up. */
const FLUSH_BATCH = 100;
/** A record the store keeps refusing for another reason than being away is dropped after this many tries. */
const POISON_TRIES = 3;

/** Provisional ids remembered after their replay (far more than the visits in view at once). */
const MAX_REMEMBERED = 10_000;

const AWAY = Symbol('away');

export function isStoreUnreachable(e: unknown): boolean {
  return isVigilError(e) && e.code === 'STORE_UNREACHABLE';
}

const encodeVector = (v: Float32Array): string =>
  Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
const decodeVector = (s: string): Float32Array => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

export class BufferedWriter extends EventEmitter<{
  away: [StoreNotice];
  back: [StoreNotice];
  full: [StoreNotice];
}> {
  private readonly spool: Spool<SpooledWrite>;
  private away = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private delay: number;
  private nextProvisional = -1;
  /** Provisional id → operation id, and operation id → provisional id. */
  private readonly opOf = new Map<number, string>();
  private readonly provisionalOf = new Map<string, number>();
  /** Provisional id → the row id its replay got. */
  private readonly replayed = new Map<number, number>();
  /** Face vectors of strangers seen while away, by operation, until replayed. */
  private readonly strangers = new Map<string, { unknownId: string; vectors: Float32Array[] }>();
  private readonly failures = new Map<number, number>();
  private readonly dropped: Record<string, number> = {};
  private fullWarned = false;

  constructor(
    private readonly engine: Engine,
    opts: BufferedWriterOptions,
  ) {
    super();
    this.retryMs = opts.retryMs ?? 1000;
    this.maxRetryMs = opts.maxRetryMs ?? 30_000;
    this.delay = this.retryMs;
    const key = engine.lendMasterKey((k) => spoolKey(k));
    try {
      this.spool = Spool.open(opts.dir, key, opts.maxBytes === undefined ? {} : { maxBytes: opts.maxBytes });
    } finally {
      key.fill(0);
    }
    if (this.spool.size > 0) {
      // Left by a previous run (the store was away when it stopped, or it was killed): replay first.
      this.away = true;
      log('warn', 'store_spool_found', { pending: this.spool.size });
      this.schedule(0);
    }
  }

  state(): StoreState {
    return this.away || this.spool.size > 0 ? 'away' : 'ok';
  }

  /** Writes waiting in the spool. */
  pending(): number {
    return this.spool.size;
  }

  /** Writes not recorded (spool full, or best-effort writes while away), by kind. */
  droppedWrites(): Record<string, number> {
    return { ...this.dropped };
  }

  // --- the live writes ---

  /** A member named on a camera; the appearance id (provisional while away), or undefined when refused. */
  recordMember(s: MemberSighting): number | undefined {
    const op = randomUUID();
    const id = this.attempt(() => recordMemberSighting(this.engine, s, op));
    return this.counted(id !== AWAY ? id : this.buffer({ t: 'member', op, s }, 'sighting'));
  }

  /**
   * Appearances this writer has acknowledged since it started, stored or kept in the journal
   * (`vigil_sightings_recorded_total`): once everything is flushed, the store holds each of them.
   */
  get recorded(): number {
    return this.appearancesAcknowledged;
  }

  private appearancesAcknowledged = 0;

  private counted(id: number | undefined): number | undefined {
    if (id !== undefined) this.appearancesAcknowledged++;
    return id;
  }

  /** A stranger's sighting as planned (new or known unknown person). */
  recordUnknown(s: UnknownSighting, plan: UnknownPlan): number | undefined {
    const op = randomUUID();
    const id = this.attempt(() => recordUnknownSighting(this.engine, s, plan, op));
    if (id !== AWAY) return this.counted(id);
    const max = this.engine.settings.current.max_embeddings_per_person;
    const shots = plan.kind === 'new_unknown' ? s.shots.slice(0, max) : s.shots.slice(0, 2);
    const spooled: SpooledUnknown = {
      cameraId: s.cameraId,
      firstSeen: s.firstSeen,
      lastSeen: s.lastSeen,
      bbox: s.bbox,
      shots: shots.map((x) => ({ e: encodeVector(x.embedding), q: x.quality })),
      possibleMember: s.possibleMember ?? null,
    };
    // A new stranger is worth the last of the room; one more sighting of a known one is not.
    const provisional = this.buffer(
      { t: 'unknown', op, s: spooled, plan },
      plan.kind === 'new_unknown' ? 'essential' : 'sighting',
    );
    if (provisional !== undefined)
      this.strangers.set(op, { unknownId: plan.unknownId, vectors: shots.map((x) => x.embedding) });
    return this.counted(provisional);
  }

  recordDismissed(s: DismissedSighting): number | undefined {
    const op = randomUUID();
    const id = this.attempt(() => recordDismissedSighting(this.engine, s, op));
    return this.counted(id !== AWAY ? id : this.buffer({ t: 'dismissed', op, s }, 'sighting'));
  }

  /** A visit past the maximum length goes on in a new appearance row. */
  continueSighting(s: ContinuedSighting): number | undefined {
    const op = randomUUID();
    const id = this.attempt(() => continueSighting(this.engine, s, op));
    return this.counted(id !== AWAY ? id : this.buffer({ t: 'continue', op, s }, 'sighting'));
  }

  /** A track still in view: its appearance's end moves (to a provisional appearance too). */
  extend(s: OpenSighting, lastSeen: number): void {
    const ref = this.refOf(s.appearanceId);
    if (ref === undefined) return;
    if (typeof ref === 'number') {
      const done = this.attempt(() => extendSighting(this.engine, { ...s, appearanceId: ref }, lastSeen));
      if (done !== AWAY) return;
    }
    this.buffer({ t: 'extend', ref, kind: s.kind, personId: s.personId, lastSeen }, 'extension');
  }

  /** An alert: its id, or undefined when it waits in the spool (it is shown and sent all the same). */
  insertAlert(a: NewAlert): number | undefined {
    const op = randomUUID();
    const id = this.attempt(() => this.insertAlertOnce(a, op));
    if (id !== AWAY) return id;
    this.buffer({ t: 'alert', op, a }, 'essential');
    return undefined;
  }

  /**
   * A write worth making only now (a learnt template, a correction): made when the store is here,
   * counted as not recorded when it is away.
   */
  bestEffort<T>(kind: string, fn: () => T): T | undefined {
    const r = this.attempt(fn);
    if (r !== AWAY) return r;
    this.drop(kind);
    return undefined;
  }

  /** A stranger who turns out to be a member; not recorded while any of the visit's rows waits in the spool. */
  correct(c: Correction): boolean | undefined {
    const ids = c.appearanceIds.map((id) => this.realId(id));
    if (ids.some((id) => id === undefined)) {
      this.drop('correction');
      return undefined;
    }
    return this.bestEffort('correction', () =>
      correctToMember(this.engine, { ...c, appearanceIds: ids as number[] }),
    );
  }

  /** The row id of an appearance id handed out here (undefined while its write waits in the spool). */
  realId(id: number): number | undefined {
    return id > 0 ? id : this.replayed.get(id);
  }

  /**
   * The nearest unknown person: the store's index and the strangers first seen while it was away
   * (not in the store yet), so a stranger keeps their id on this node.
   */
  nearestUnknown(probe: Float32Array): PersonMatch | undefined {
    let best: PersonMatch | undefined;
    try {
      best = this.engine.store.vectors.searchPeople('unknown', probe, 1)[0];
    } catch (e) {
      if (!isStoreUnreachable(e)) throw e;
      this.goAway();
    }
    for (const p of this.strangers.values())
      for (const v of p.vectors) {
        const similarity = dot(probe, v);
        if (!best || similarity > best.similarity)
          best = { kind: 'unknown', personId: p.unknownId, similarity };
      }
    return best;
  }

  // --- the store, here or away ---

  private attempt<T>(fn: () => T): T | typeof AWAY {
    if (this.state() === 'away') return AWAY;
    try {
      return fn();
    } catch (e) {
      if (!isStoreUnreachable(e)) throw e;
      this.goAway();
      return AWAY;
    }
  }

  private insertAlertOnce(a: NewAlert, op: string): number {
    const store = this.engine.store;
    return store.transaction(() => store.alerts.idOfOp(op) ?? store.alerts.insert({ ...a, opId: op }));
  }

  private refOf(id: number): number | string | undefined {
    if (id > 0) return id;
    return this.replayed.get(id) ?? this.opOf.get(id);
  }

  /** Spools a write: its provisional id when it creates a row, undefined when refused (spool full). */
  private buffer(w: SpooledWrite, tier: SpoolTier): number | undefined {
    const seq = this.spool.append(w, tier);
    if (seq === null) {
      this.drop(w.t);
      if (!this.fullWarned) {
        this.fullWarned = true;
        log('warn', 'store_buffer_full', { pending: this.spool.size, bytes: this.spool.bytes, refused: w.t });
        this.emit(
          'full',
          this.notice(
            'The local buffer of writes for the shared store is full: new sightings are not recorded until the store returns.',
          ),
        );
      }
      return undefined;
    }
    if (!('op' in w) || w.t === 'alert') return undefined;
    const provisional = this.nextProvisional--;
    this.opOf.set(provisional, w.op);
    this.provisionalOf.set(w.op, provisional);
    return provisional;
  }

  private drop(kind: string): void {
    this.dropped[kind] = (this.dropped[kind] ?? 0) + 1;
  }

  private notice(message: string): StoreNotice {
    return { state: this.state(), at: new Date().toISOString(), pending: this.spool.size, message };
  }

  private goAway(): void {
    if (this.away) return;
    this.away = true;
    this.delay = this.retryMs;
    log('warn', 'store_away', { pending: this.spool.size });
    this.emit(
      'away',
      this.notice(
        'The shared store cannot be reached: this node keeps watching its cameras and keeps their sightings and alerts on its disk until the store returns.',
      ),
    );
    this.schedule(this.delay);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    this.timer = setTimeout(() => this.drain(), ms);
    // The flusher alone does not keep a stopped node running; what it had not written stays spooled.
    this.timer.unref();
  }

  private drain(): void {
    if (this.closed || !this.engine.store.isOpen) return;
    const r = this.replay(FLUSH_BATCH);
    if (r === 'more') this.schedule(0);
    else if (r === 'away') {
      this.delay = Math.min(this.delay * 2, this.maxRetryMs);
      this.schedule(this.delay);
    }
  }

  /**
   * Replays the spool now, in order, until it is empty or the store is still away; true when
   * nothing is left. (The flusher does the same on its own, with back-off.)
   */
  flush(): boolean {
    if (!this.engine.store.isOpen) return this.state() === 'ok';
    for (;;) {
      const r = this.replay(FLUSH_BATCH);
      if (r === 'done') return true;
      if (r === 'away') return false;
    }
  }

  private replay(limit: number): 'done' | 'more' | 'away' {
    let n = 0;
    for (const entry of [...this.spool.pending()]) {
      if (n++ >= limit) return 'more';
      try {
        this.apply(entry);
      } catch (e) {
        if (isStoreUnreachable(e)) return 'away';
        const tries = (this.failures.get(entry.seq) ?? 0) + 1;
        this.failures.set(entry.seq, tries);
        if (tries < POISON_TRIES) return 'away';
        // A record the store refuses for good (say, of a camera deleted meanwhile) must not block the rest.
        log('error', 'store_spool_record_dropped', { kind: entry.record.t, error: (e as Error).message });
        this.drop(entry.record.t);
      }
      this.failures.delete(entry.seq);
      this.spool.commit(entry.seq);
    }
    if (this.away) {
      this.away = false;
      this.fullWarned = false;
      this.delay = this.retryMs;
      log('warn', 'store_back', {});
      this.emit('back', this.notice('The shared store is reachable again: every buffered write was stored.'));
    }
    return 'done';
  }

  /** Writes one spooled record in its own transaction (a no-op when it had already committed). */
  private apply(entry: SpoolEntry<SpooledWrite>): void {
    const w = entry.record;
    const engine = this.engine;
    if (this.aboutSomeoneGone(w)) {
      // Erased (or deleted, or merged away) on another node meanwhile: their sighting is not brought back.
      log('info', 'store_spool_record_dropped', { kind: w.t, reason: 'person_gone' });
      this.drop(w.t);
      return;
    }
    let id: number | undefined;
    switch (w.t) {
      case 'member':
        id = recordMemberSighting(engine, w.s, w.op);
        break;
      case 'unknown': {
        const s: UnknownSighting = {
          cameraId: w.s.cameraId,
          firstSeen: w.s.firstSeen,
          lastSeen: w.s.lastSeen,
          bbox: w.s.bbox,
          shots: w.s.shots.map((x) => ({ embedding: decodeVector(x.e), quality: x.q })),
          nearest: undefined,
          unknownThreshold: 1,
          possibleMember: w.s.possibleMember,
        };
        id = recordUnknownSighting(engine, s, w.plan, w.op);
        // Its vectors are in the store's index now.
        this.strangers.delete(w.op);
        break;
      }
      case 'continue':
        id = continueSighting(engine, w.s, w.op);
        break;
      case 'dismissed':
        id = recordDismissedSighting(engine, w.s, w.op);
        break;
      case 'extend': {
        const appearanceId = typeof w.ref === 'number' ? w.ref : engine.store.appearances.idOfOp(w.ref);
        // The sighting it extends was refused (spool full) or dropped: nothing to extend.
        if (appearanceId === undefined) return;
        extendSighting(engine, { appearanceId, kind: w.kind, personId: w.personId }, w.lastSeen);
        return;
      }
      case 'alert':
        this.insertAlertOnce(w.a, w.op);
        return;
    }
    const provisional = this.provisionalOf.get(w.op);
    if (provisional !== undefined) {
      this.replayed.set(provisional, id);
      this.provisionalOf.delete(w.op);
      this.opOf.delete(provisional);
      // Only visits still in view extend through a provisional id: the oldest can be forgotten.
      if (this.replayed.size > MAX_REMEMBERED)
        this.replayed.delete(this.replayed.keys().next().value as number);
    }
  }

  /**
   * Whether the record names a person the store no longer holds. A new stranger is not there yet
   * (their record creates them); a sighting of a known one, a member's, or an alert about either is
   * checked.
   */
  private aboutSomeoneGone(w: SpooledWrite): boolean {
    const store = this.engine.store;
    const missing = (kind: 'member' | 'unknown', id: string): boolean =>
      kind === 'member' ? !store.members.get(id) : !store.unknowns.get(id);
    switch (w.t) {
      case 'member':
        return missing('member', w.s.memberId);
      case 'unknown':
        return w.plan.kind === 'recurring_unknown' && missing('unknown', w.plan.unknownId);
      case 'continue':
        return missing(w.s.kind, w.s.personId);
      case 'dismissed':
        return missing('unknown', w.s.unknownId);
      case 'extend':
        return false;
      case 'alert':
        return w.a.personKind !== null && w.a.personId !== null && missing(w.a.personKind, w.a.personId);
    }
  }

  /** Stops the flusher; what is still spooled is replayed by the next writer on this folder. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.spool.close();
  }
}

const writers = new WeakMap<Engine, BufferedWriter>();

/** The one writer of an engine's live writes (pipeline and alert engine), spooling in `<data>/spool`. */
export function bufferedWriter(engine: Engine): BufferedWriter {
  let w = writers.get(engine);
  if (!w) {
    w = new BufferedWriter(engine, { dir: join(engine.dataDir, 'spool') });
    writers.set(engine, w);
  }
  return w;
}
