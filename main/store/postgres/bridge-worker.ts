/**
 * The thread behind a synchronous PostgreSQL port (bridge.ts): it owns one dedicated connection, so
 * a transaction's statements all run on it, and answers each request by posting the reply and
 * waking the blocked caller through the shared flag.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import pg from 'pg';
import type { PostgresLocation } from '../locator.js';
import { connectionConfig, types } from './connect.js';

export interface BridgeSetup {
  loc: PostgresLocation;
  port: MessagePort;
  flag: Int32Array;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

export type BridgeRequest = { op: 'query'; text: string; values: unknown[] } | { op: 'close' };

export type BridgeReply =
  | { ok: true; fields: string[]; rows: unknown[][]; rowCount: number }
  | { ok: false; error: { message: string; code?: string; lost: boolean } };

const BOOL_OID = 16;
const NUMERIC_OID = 1700;
const TIMESTAMPTZ_OID = 1184;
const TIMESTAMP_OID = 1114;

/**
 * Values as better-sqlite3 returns them: a comparison is 1 or 0, a sum or average a number, and a
 * server timestamp its ISO text.
 */
const sqliteLikeTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format !== 'binary') {
      if (oid === BOOL_OID) return (t: string) => (t === 't' ? 1 : 0);
      if (oid === NUMERIC_OID) return (t: string) => Number(t);
      if (oid === TIMESTAMPTZ_OID || oid === TIMESTAMP_OID) return (t: string) => t;
    }
    return types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};

/** Error codes after which the connection is no use (the server went away or never answered). */
function connectionLost(e: { code?: string }): boolean {
  const c = e.code;
  return (
    !c ||
    /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|EPIPE)$/.test(c) ||
    c.startsWith('08') ||
    c === '57P01' ||
    c === '57P02' ||
    c === '57P03'
  );
}

const setup = workerData as BridgeSetup;
let client: pg.Client | null = null;

async function connected(): Promise<pg.Client> {
  if (client) return client;
  const c = new pg.Client({
    ...connectionConfig(setup.loc),
    types: sqliteLikeTypes,
    connectionTimeoutMillis: setup.connectTimeoutMs,
    statement_timeout: setup.statementTimeoutMs,
    // The client gives up a little after the server would have, when the server cannot say so.
    query_timeout: setup.statementTimeoutMs + setup.connectTimeoutMs,
  });
  // A connection that dies between requests is reported by the next request, not as a crash.
  c.on('error', () => {
    if (client === c) client = null;
  });
  try {
    await c.connect();
  } catch (e) {
    c.end().catch(() => undefined);
    throw e;
  }
  client = c;
  return c;
}

function toParam(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array && !Buffer.isBuffer(v))
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

async function handle(req: BridgeRequest): Promise<BridgeReply> {
  if (req.op === 'close') {
    const c = client;
    client = null;
    await c?.end().catch(() => undefined);
    return { ok: true, fields: [], rows: [], rowCount: 0 };
  }
  let c: pg.Client | null = null;
  try {
    c = await connected();
    const r = await c.query({ text: req.text, values: req.values.map(toParam), rowMode: 'array' });
    return {
      ok: true,
      fields: r.fields.map((f) => f.name),
      rows: r.rows as unknown[][],
      rowCount: r.rowCount ?? 0,
    };
  } catch (e) {
    const err = e as { message?: string; code?: string };
    const lost = connectionLost(err);
    if (lost && c) {
      if (client === c) client = null;
      c.end().catch(() => undefined);
    }
    return {
      ok: false,
      error: { message: err.message ?? String(e), ...(err.code ? { code: err.code } : {}), lost },
    };
  }
}

setup.port.on('message', (req: BridgeRequest) => {
  void handle(req).then((reply) => {
    setup.port.postMessage(reply);
    Atomics.store(setup.flag, 0, 1);
    Atomics.notify(setup.flag, 0);
  });
});
