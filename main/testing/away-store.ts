import type { Engine } from '../engine/engine.js';
import { VigilError } from '../errors.js';
import type { Store } from '../store/store.js';

/**
 * A seam for the tests of the buffered writer: the engine's real store, seen through a wrapper
 * that can be switched to answer every call as the shared store does when PostgreSQL is away
 * (VigilError STORE_UNREACHABLE). It stands in for stopping a real PostgreSQL server only until
 * the shared store's bridge is merged; the writes it lets through are real SQLite transactions.
 *
 * Modes: `up` passes everything; `down` refuses every call; `lose-ack` lets the next transaction
 * commit and then throws, as a connection that drops before the commit's answer arrives.
 */
export type AwayMode = 'up' | 'down' | 'lose-ack';

export interface AwayStore {
  /** The engine as the writer sees it (its store is the wrapper). */
  engine: Engine;
  mode: AwayMode;
  /** Calls refused so far. */
  refused: number;
}

const unreachable = () =>
  new VigilError('STORE_UNREACHABLE', 'The shared store did not answer (PostgreSQL is away).');

/** Properties of the store passed through as they are, whatever the mode. */
const ALWAYS = new Set<PropertyKey>(['isOpen', 'sql', 'close', 'writeGuard']);
/**
 * Searches of the face index answer while the store is away: each node keeps its index in memory
 * (the shared store's design); what writes or reads stored vectors is refused like any other call.
 */
const IN_MEMORY = new Set<PropertyKey>(['searchPeople', 'count', 'dim']);

export function awayStore(engine: Engine, mode: AwayMode = 'up'): AwayStore {
  const state: AwayStore = { engine: undefined as unknown as Engine, mode, refused: 0 };
  const refuse = (): void => {
    if (state.mode === 'down') {
      state.refused++;
      throw unreachable();
    }
  };
  const wrap = <T extends object>(target: T, inMemory: ReadonlySet<PropertyKey>): T =>
    new Proxy(target, {
      get(t, prop, receiver) {
        const v = Reflect.get(t, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (!inMemory.has(prop)) refuse();
          return (v as (...a: unknown[]) => unknown).apply(t, args);
        };
      },
    });
  const real = engine.store;
  const repos = new Map<PropertyKey, object>();
  const store = new Proxy(real, {
    get(t, prop, receiver) {
      if (ALWAYS.has(prop)) {
        const v = Reflect.get(t, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      }
      if (prop === 'transaction')
        return <R>(fn: () => R, txMode?: 'deferred' | 'immediate'): R => {
          refuse();
          const r = t.transaction(fn, txMode);
          if (state.mode === 'lose-ack') {
            // Committed, but the answer never reaches the node.
            state.mode = 'down';
            state.refused++;
            throw unreachable();
          }
          return r;
        };
      const v = Reflect.get(t, prop, receiver) as unknown;
      if (v && typeof v === 'object') {
        let w = repos.get(prop);
        if (!w) repos.set(prop, (w = wrap(v, prop === 'vectors' ? IN_MEMORY : new Set())));
        return w;
      }
      return v;
    },
  }) as Store;
  // The engine itself, but with the wrapper for its store (its keys and settings are its own).
  const view = Object.create(engine) as Engine;
  Object.defineProperty(view, 'store', { value: store });
  state.engine = view;
  return state;
}
