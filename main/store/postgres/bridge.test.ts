import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../../testing/postgres.js';
import { describeWithPostgres } from '../../testing/postgres-suite.js';
import { parsePostgresUrl } from '../locator.js';
import { PostgresPort } from './bridge.js';

/**
 * iterate() on the shared store reads through a server-side cursor a batch at a time (a scan of
 * a big site's table must not hold every row), in order, with the same values all() gives, and
 * the cursor goes when the loop ends, breaks or throws.
 */
const ROWS = 1_234;
const BATCH = 100;

describeWithPostgres('iterating a statement on the shared store', () => {
  let server: TestPostgres;
  let port: PostgresPort;

  /** This connection's open cursors (pg_cursors shows the session's own). */
  const cursors = (): string[] =>
    port
      .prepare('SELECT name FROM pg_cursors ORDER BY name')
      .pluck()
      .all()
      .map((n) => String(n));

  beforeAll(async () => {
    server = await startPostgres();
    port = new PostgresPort(parsePostgresUrl(server.createDatabase('iterate')), { iterateBatchRows: BATCH });
    port.exec(`CREATE TABLE items (id integer PRIMARY KEY, label text NOT NULL, blob bytea NOT NULL)`);
    port.exec(`CREATE TABLE seen (id integer PRIMARY KEY)`);
    // Inserted out of order, so the order seen is the query's, not the insertion's.
    port.exec(
      `INSERT INTO items SELECT i, 'item ' || i, decode(lpad(to_hex(i), 8, '0'), 'hex')
       FROM generate_series(1, ${ROWS}) AS i ORDER BY random()`,
    );
  }, 120_000);
  afterAll(() => {
    port?.close();
    server?.stop();
  });

  const blobOf = (i: number) => Buffer.from(i.toString(16).padStart(8, '0'), 'hex');

  it('gives every row in order with the values all() gives, across many batches', () => {
    const stmt = port.prepare('SELECT id, label, blob FROM items WHERE id > ? ORDER BY id DESC');
    const rows = [...stmt.iterate(0)] as { id: number; label: string; blob: Buffer }[];
    expect(rows).toHaveLength(ROWS);
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: ROWS }, (_, i) => ROWS - i));
    expect(rows[0]).toEqual({ id: ROWS, label: `item ${ROWS}`, blob: blobOf(ROWS) });
    expect(Buffer.isBuffer(rows[7]!.blob)).toBe(true);
    expect(rows).toEqual(stmt.all(0));
    // Named parameters and pluck, as the repositories use them; an exact multiple of the batch.
    const ids = [
      ...port
        .prepare('SELECT id FROM items WHERE id <= @last ORDER BY id')
        .pluck()
        .iterate({ last: 2 * BATCH }),
    ];
    expect(ids).toEqual(Array.from({ length: 2 * BATCH }, (_, i) => i + 1));
    expect([...stmt.iterate(ROWS)]).toEqual([]);
    expect(cursors()).toEqual([]);
  });

  it('holds a cursor, not the rows, while the loop runs, and lets other statements run between rows', () => {
    let n = 0;
    let open: string[] = [];
    for (const row of port.prepare('SELECT id FROM items ORDER BY id').iterate() as Iterable<{
      id: number;
    }>) {
      n++;
      if (n === 1) open = cursors();
      // Each row written in its own transaction on the same connection, while the cursor is open.
      if (row.id % 97 === 0)
        port.transaction(() => port.prepare('INSERT INTO seen (id) VALUES (?)').run(row.id))();
    }
    expect(n).toBe(ROWS);
    expect(open).toHaveLength(1);
    expect(open[0]).toMatch(/^vigil_cursor_\d+$/);
    expect(port.prepare('SELECT count(*)::integer AS n FROM seen').get()).toEqual({
      n: Math.floor(ROWS / 97),
    });
    expect(cursors()).toEqual([]);
  });

  it('closes the cursor on an early break and when the loop body throws', () => {
    const stmt = port.prepare('SELECT id FROM items ORDER BY id').pluck();
    const first: unknown[] = [];
    for (const id of stmt.iterate()) {
      first.push(id);
      if (first.length === 150) break;
    }
    expect(first).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    expect(cursors()).toEqual([]);
    expect(() => {
      for (const id of stmt.iterate()) if (id === 3) throw new Error('stop here');
    }).toThrow('stop here');
    expect(cursors()).toEqual([]);
  });

  it('iterates inside a transaction, and the cursor outlives its commit', () => {
    const it = port.transaction(() => {
      const rows = port.prepare('SELECT id FROM items ORDER BY id').pluck().iterate();
      expect(rows.next().value).toBe(1);
      return rows;
    })();
    // Committed: the rest of the rows still come.
    const rest = [...it];
    expect(rest).toHaveLength(ROWS - 1);
    expect(rest[0]).toBe(2);
    expect(cursors()).toEqual([]);
  });

  it('says in a sentence when the query is wrong, and leaves no cursor', () => {
    expect(() => [...port.prepare('SELECT nothing FROM items').iterate()]).toThrow(
      /column "nothing" does not exist/,
    );
    expect(cursors()).toEqual([]);
  });
});
