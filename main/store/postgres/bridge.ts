import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { VigilError } from '../../errors.js';
import { packageRoot } from '../../paths.js';
import type { PostgresLocation } from '../locator.js';
import type { SqlPort, SqlRunResult, SqlStatement, SqlTransaction } from '../sql-port.js';
import type { BridgeReply, BridgeRequest, BridgeSetup } from './bridge-worker.js';
import { storeError } from './connect.js';
import { bindValues, toPostgres, type TranslatedSql } from './dialect.js';
import { STORE_WRITE_LOCK } from './locks.js';

export interface BridgeOptions {
  /** How long to wait for the server to accept a connection (3 s). */
  connectTimeoutMs?: number;
  /** How long one statement may run, lock waits included (30 s). */
  statementTimeoutMs?: number;
  /** Rows fetched per round trip when a statement is iterated (500). */
  iterateBatchRows?: number;
}

/** Cursor names are unique per process: each port has its own connection, but names cost nothing. */
let cursorSeq = 0;

/** Statements a cursor can run: one that writes is run whole, as better-sqlite3's iterate would. */
const CURSOR_QUERY = /^\s*(select|values|table)\b/i;

function workerScript(): string {
  const here = fileURLToPath(import.meta.url);
  // Under the test runner this module is TypeScript; the worker must be the built JavaScript.
  const js = here.endsWith('.ts')
    ? join(packageRoot(), 'dist', 'main', 'store', 'postgres', 'bridge-worker.js')
    : here.replace(/bridge\.js$/, 'bridge-worker.js');
  if (!existsSync(js)) throw new Error(`store bridge worker not built: ${js} (run npm run build)`);
  return js;
}

/** Buffers cross the thread boundary as plain byte arrays; better-sqlite3 gives Buffers. */
function fromWire(v: unknown): unknown {
  return v instanceof Uint8Array && !Buffer.isBuffer(v)
    ? Buffer.from(v.buffer, v.byteOffset, v.byteLength)
    : v;
}

/**
 * A synchronous SQL port on PostgreSQL: a worker thread owns one connection and the calling thread
 * blocks on each statement, so the repositories' synchronous code runs unchanged. Transactions
 * are BEGIN/COMMIT on that connection; nested ones are savepoints.
 */
export class PostgresPort implements SqlPort {
  readonly dialect = 'postgres' as const;
  private worker: Worker | null = null;
  private channel: MessagePort | null = null;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private depth = 0;
  private closed = false;
  private readonly connectTimeoutMs: number;
  private readonly statementTimeoutMs: number;
  private readonly iterateBatchRows: number;
  /** Run right after an immediate transaction took its lock (the vector index catches up). */
  onImmediate: (() => void) | null = null;
  /** Told when a transaction or savepoint rolled back (`done`: the outermost), and when one committed. */
  onRollback: ((done: boolean) => void) | null = null;
  onCommit: (() => void) | null = null;

  constructor(
    readonly loc: PostgresLocation,
    opts: BridgeOptions = {},
  ) {
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 3_000;
    this.statementTimeoutMs = opts.statementTimeoutMs ?? 30_000;
    this.iterateBatchRows = Math.max(1, Math.floor(opts.iterateBatchRows ?? 500));
  }

  get open(): boolean {
    return !this.closed;
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  private start(): MessagePort {
    if (this.channel) return this.channel;
    const { port1, port2 } = new MessageChannel();
    const setup: BridgeSetup = {
      loc: this.loc,
      port: port2,
      flag: this.flag,
      connectTimeoutMs: this.connectTimeoutMs,
      statementTimeoutMs: this.statementTimeoutMs,
    };
    const worker = new Worker(workerScript(), { workerData: setup, transferList: [port2] });
    // Never keeps the process alive; a crash surfaces as the next call's timeout.
    worker.unref();
    worker.on('error', () => undefined);
    this.worker = worker;
    this.channel = port1;
    return port1;
  }

  private stop(): void {
    this.channel?.close();
    void this.worker?.terminate();
    this.worker = null;
    this.channel = null;
  }

  /** Sends one request and blocks until the worker answers (or gives up). */
  private call(req: BridgeRequest): BridgeReply {
    const port = this.start();
    Atomics.store(this.flag, 0, 0);
    port.postMessage(req);
    const limit = Date.now() + this.connectTimeoutMs + this.statementTimeoutMs + 5_000;
    for (;;) {
      const left = limit - Date.now();
      if (left <= 0) break;
      Atomics.wait(this.flag, 0, 0, left);
      const m = receiveMessageOnPort(port);
      if (m) return m.message as BridgeReply;
    }
    // The worker itself is stuck: a fresh one next time.
    this.stop();
    return { ok: false, error: { message: 'no answer in time', lost: true } };
  }

  /** Runs one statement; a failure becomes one sentence without the store's credentials. */
  query(text: string, values: unknown[] = []): { fields: string[]; rows: unknown[][]; rowCount: number } {
    if (this.closed)
      throw new VigilError('STORE_UNREACHABLE', `The shared store ${this.loc.display} is closed.`);
    const r = this.call({ op: 'query', text, values });
    if (r.ok) return { fields: r.fields, rows: r.rows.map((row) => row.map(fromWire)), rowCount: r.rowCount };
    const e = Object.assign(new Error(r.error.message), r.error.code ? { code: r.error.code } : {});
    if (r.error.lost) {
      // Whatever transaction was open died with the connection.
      this.depth = 0;
      throw storeError(this.loc, e);
    }
    throw Object.assign(storeError(this.loc, e), { sqlState: r.error.code });
  }

  /**
   * A query's rows a batch at a time through a server-side cursor, so a scan of the whole store
   * holds one batch here, not every row. WITH HOLD: the cursor outlives the transaction it was
   * opened in (or the implicit one), so other statements and transactions may run on this
   * connection between rows; the server keeps what is left of the result. Closed when the loop
   * ends, breaks or throws; an iterator dropped half-read keeps it until the connection closes.
   */
  *cursor<T>(
    text: string,
    values: unknown[],
    shape: (fields: string[], row: unknown[]) => T,
  ): Generator<T, void, undefined> {
    const name = `vigil_cursor_${++cursorSeq}`;
    this.query(`DECLARE ${name} NO SCROLL CURSOR WITH HOLD FOR ${text}`, values);
    try {
      for (;;) {
        const batch = this.query(`FETCH FORWARD ${this.iterateBatchRows} FROM ${name}`);
        for (const row of batch.rows) yield shape(batch.fields, row);
        if (batch.rows.length < this.iterateBatchRows) return;
      }
    } finally {
      try {
        this.query(`CLOSE ${name}`);
      } catch {
        // Gone with its connection, or with the transaction that failed around it.
      }
    }
  }

  prepare(sql: string): SqlStatement {
    return new PostgresStatement(this, toPostgres(sql), false);
  }

  exec(sql: string): this {
    this.query(sql);
    return this;
  }

  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqlTransaction<A, R> {
    const run =
      (mode: 'deferred' | 'immediate') =>
      (...args: A): R => {
        if (this.depth > 0) {
          const name = `vigil_sp${this.depth}`;
          this.query(`SAVEPOINT ${name}`);
          this.depth++;
          try {
            const r = fn(...args);
            this.query(`RELEASE SAVEPOINT ${name}`);
            return r;
          } catch (e) {
            if (this.depth > 0) {
              try {
                this.query(`ROLLBACK TO SAVEPOINT ${name}`);
                this.query(`RELEASE SAVEPOINT ${name}`);
                this.onRollback?.(false);
              } catch {
                // The outer transaction reports the connection's fate.
              }
            }
            throw e;
          } finally {
            if (this.depth > 0) this.depth--;
          }
        }
        this.query('BEGIN');
        this.depth = 1;
        try {
          if (mode === 'immediate') {
            this.query('SELECT pg_advisory_xact_lock($1::bigint)', [STORE_WRITE_LOCK]);
            this.onImmediate?.();
          }
          const r = fn(...args);
          this.query('COMMIT');
          this.depth = 0;
          this.onCommit?.();
          return r;
        } catch (e) {
          if (this.depth > 0) {
            try {
              this.query('ROLLBACK');
            } catch {
              // A lost connection rolled it back already.
            }
          }
          this.depth = 0;
          this.onRollback?.(true);
          throw e;
        } finally {
          this.depth = 0;
        }
      };
    const deferred = run('deferred');
    return Object.assign(deferred, { deferred, immediate: run('immediate') });
  }

  close(): this {
    if (this.closed) return this;
    this.closed = true;
    if (this.channel) this.call({ op: 'close' });
    this.stop();
    return this;
  }
}

class PostgresStatement implements SqlStatement {
  constructor(
    private readonly port: PostgresPort,
    private readonly sql: TranslatedSql,
    private readonly plucked: boolean,
  ) {}

  private exec(args: unknown[]) {
    return this.port.query(this.sql.text, bindValues(this.sql, args));
  }

  private shape(fields: string[], row: unknown[]): unknown {
    if (this.plucked) return row[0];
    const o: Record<string, unknown> = {};
    fields.forEach((f, i) => (o[f] = row[i]));
    return o;
  }

  run(...args: unknown[]): SqlRunResult {
    const r = this.exec(args);
    const id = this.sql.returning ? r.rows[0]?.[0] : undefined;
    return { changes: r.rowCount, lastInsertRowid: typeof id === 'number' ? id : 0 };
  }

  get(...args: unknown[]): unknown {
    const r = this.exec(args);
    const row = r.rows[0];
    return row ? this.shape(r.fields, row) : undefined;
  }

  all(...args: unknown[]): unknown[] {
    const r = this.exec(args);
    return r.rows.map((row) => this.shape(r.fields, row));
  }

  /** Rows in batches through a cursor (PostgresPort.cursor); nothing runs until the first row is asked for. */
  iterate(...args: unknown[]): IterableIterator<unknown> {
    if (!CURSOR_QUERY.test(this.sql.text) || this.sql.returning) return this.all(...args)[Symbol.iterator]();
    return this.port.cursor(this.sql.text, bindValues(this.sql, args), (fields, row) =>
      this.shape(fields, row),
    );
  }

  pluck(toggleState = true): SqlStatement {
    return new PostgresStatement(this.port, this.sql, toggleState);
  }
}
