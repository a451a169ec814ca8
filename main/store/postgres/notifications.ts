import type pg from 'pg';
import { VigilError } from '../../errors.js';
import type { PostgresLocation } from '../locator.js';
import { openPool, storeError } from './connect.js';

/**
 * PostgreSQL's LISTEN/NOTIFY for the cluster bus (main/cluster/bus.ts): one connection that listens,
 * and a publisher. The bus above decides when to reconnect; this module only says when the
 * connection is gone.
 */

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; a margin is kept below it. */
export const NOTIFY_PAYLOAD_LIMIT = 7_500;

/** Channel names are identifiers in LISTEN, so only plain ones are accepted (no quoting games). */
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

function checkChannel(channel: string): void {
  if (!CHANNEL.test(channel))
    throw new VigilError('INVALID_ARGUMENT', `"${channel.slice(0, 80)}" is not a notification channel name.`);
}

export function payloadBytes(payload: string): number {
  return Buffer.byteLength(payload, 'utf8');
}

export interface Listening {
  /** Resolves once the connection is closed; safe to call more than once. */
  close(): Promise<void>;
}

export interface ListenHandlers {
  onNotification(channel: string, payload: string): void;
  /** The connection is gone (server stopped, network lost, ping failed); called at most once. */
  onLost(error: Error): void;
}

/**
 * Opens one connection, LISTENs on every channel, and reports its loss. A connection that fails
 * silently (a half-open socket) is found by a ping every `pingMs`: without one, a node whose
 * network dropped would wait forever for notifications that no longer come.
 */
export async function listen(
  loc: PostgresLocation,
  channels: readonly string[],
  handlers: ListenHandlers,
  opts: { pingMs?: number } = {},
): Promise<Listening> {
  channels.forEach(checkChannel);
  const pool = openPool(loc, { max: 1 });
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw storeError(loc, e);
  }
  let closed = false;
  let ping: ReturnType<typeof setInterval> | null = null;
  const shutdown = async (err?: Error): Promise<void> => {
    if (closed) return;
    closed = true;
    if (ping) clearInterval(ping);
    client.removeAllListeners('notification');
    // The client stays listened to for 'error' so a late socket error cannot go unhandled.
    client.release(err ?? true);
    await pool.end().catch(() => undefined);
  };
  const lost = (e: unknown): void => {
    if (closed) return;
    const err = storeError(loc, e);
    void shutdown(err).then(() => handlers.onLost(err));
  };
  client.on('error', lost);
  client.on('end', () => lost(new Error('the connection ended')));
  client.on('notification', (n) => {
    if (closed) return;
    handlers.onNotification(n.channel, n.payload ?? '');
  });
  try {
    for (const c of channels) await client.query(`LISTEN ${c}`);
  } catch (e) {
    await shutdown(e instanceof Error ? e : new Error(String(e)));
    throw storeError(loc, e);
  }
  const pingMs = opts.pingMs ?? 10_000;
  ping = setInterval(() => {
    const timer = setTimeout(() => lost(new Error('the server stopped answering')), pingMs);
    client.query('SELECT 1').then(
      () => clearTimeout(timer),
      (e: unknown) => {
        clearTimeout(timer);
        lost(e);
      },
    );
  }, pingMs);
  ping.unref();
  return { close: () => shutdown() };
}

export interface Publisher {
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

/** NOTIFY through a small pool of its own, so publishing never waits on the listening connection. */
export function openPublisher(loc: PostgresLocation): Publisher {
  const pool = openPool(loc, { max: 2 });
  return {
    async notify(channel, payload) {
      checkChannel(channel);
      if (payloadBytes(payload) > NOTIFY_PAYLOAD_LIMIT)
        throw new VigilError(
          'INVALID_ARGUMENT',
          `A cluster notification holds at most ${NOTIFY_PAYLOAD_LIMIT} bytes; this one has ${payloadBytes(payload)}, so it was not sent.`,
        );
      try {
        await pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
      } catch (e) {
        throw storeError(loc, e);
      }
    },
    close: () => pool.end().catch(() => undefined),
  };
}
