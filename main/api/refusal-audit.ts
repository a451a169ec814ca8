import { log } from '../log.js';
import { auditRequest, type AuditEntry } from '../store/audit.js';
import type { Store } from '../store/store.js';
import { actorOf, type ApiContext } from './context.js';

/**
 * Refused attempts (wrong passwords, wrong PINs, wrong setup codes) are audited, but a client that
 * has not signed in must not be able to grow the log without bound. Per action and client address,
 * the first refusal in a minute gets its own row; the rest of that minute are counted into one
 * `<action>_repeated` row. Over all addresses at most REFUSAL_ROWS_PER_MINUTE rows are written a
 * minute; beyond that only a count (`audit_refusals_suppressed`) is kept.
 */
export const REFUSAL_WINDOW_MS = 60_000;
export const REFUSAL_ROWS_PER_MINUTE = 120;
const MAX_WINDOWS = 5_000;

interface Window {
  action: string;
  address: string;
  since: number;
  repeated: number;
}

interface State {
  windows: Map<string, Window>;
  minute: number;
  rows: number;
  suppressed: number;
  timer: ReturnType<typeof setInterval> | null;
}

const states = new WeakMap<Store, State>();

function stateOf(store: Store): State {
  let s = states.get(store);
  if (!s) {
    s = { windows: new Map(), minute: 0, rows: 0, suppressed: 0, timer: null };
    states.set(store, s);
  }
  if (!s.timer) {
    const state = s;
    // The summary of a quiet client is written when its minute is over, not only on its next try.
    state.timer = setInterval(() => flushRefusals(store, Date.now(), false), REFUSAL_WINDOW_MS);
    state.timer.unref();
  }
  return s;
}

/** Address and user agent of the caller, for every row about an attempt. */
export function clientDetails(ctx: ApiContext): Record<string, string> {
  if (!ctx.client) return {};
  return {
    address: ctx.client.address,
    ...(ctx.client.userAgent ? { user_agent: ctx.client.userAgent } : {}),
  };
}

function write(store: Store, s: State, now: number, row: AuditEntry): void {
  const minute = Math.floor(now / 60_000);
  if (minute !== s.minute) {
    if (s.suppressed > 0 && store.isOpen)
      auditRequest.exit(() =>
        store.audit.append({
          actor: 'engine',
          action: 'audit_refusals_suppressed',
          details: { count: s.suppressed, success: false },
        }),
      );
    s.minute = minute;
    s.rows = 0;
    s.suppressed = 0;
  }
  if (s.rows >= REFUSAL_ROWS_PER_MINUTE) {
    s.suppressed++;
    return;
  }
  s.rows++;
  // Its own details only: a summary written during another client's request is not about that client.
  auditRequest.exit(() => store.audit.append(row));
}

function closeWindow(store: Store, s: State, key: string, w: Window, now: number): void {
  s.windows.delete(key);
  if (w.repeated === 0 || !store.isOpen) return;
  write(store, s, now, {
    actor: 'anonymous',
    action: `${w.action}_repeated`,
    details: {
      address: w.address,
      count: w.repeated,
      since: new Date(w.since).toISOString(),
      success: false,
    },
  });
}

/** Writes the summaries of windows that are over (all of them with `all`, e.g. at shutdown). */
export function flushRefusals(store: Store, now: number = Date.now(), all = true): void {
  const s = states.get(store);
  if (!s || !store.isOpen) return;
  try {
    for (const [key, w] of [...s.windows])
      if (all || now - w.since >= REFUSAL_WINDOW_MS) closeWindow(store, s, key, w, now);
    if (all && s.timer) {
      clearInterval(s.timer);
      s.timer = null;
    }
  } catch (e) {
    log('warn', 'refusal_audit_flush_failed', { error: e instanceof Error ? e.message : String(e) });
  }
}

/** Audits one refused attempt, aggregated per action and client address. */
export function auditRefusal(
  ctx: ApiContext,
  action: string,
  subject: string | null,
  reason: string,
  now: number = Date.now(),
): void {
  const store = ctx.engine.store;
  const s = stateOf(store);
  const address = ctx.client?.address ?? 'local';
  const key = `${action}\u0000${address}`;
  const open = s.windows.get(key);
  if (open && now - open.since < REFUSAL_WINDOW_MS) {
    open.repeated++;
    return;
  }
  if (open) closeWindow(store, s, key, open, now);
  s.windows.set(key, { action, address, since: now, repeated: 0 });
  while (s.windows.size > MAX_WINDOWS) {
    const [oldKey, oldest] = s.windows.entries().next().value as [string, Window];
    closeWindow(store, s, oldKey, oldest, now);
  }
  write(store, s, now, {
    actor: actorOf(ctx),
    action,
    subject,
    details: { reason, success: false, ...clientDetails(ctx) },
  });
}
