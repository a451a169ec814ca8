/**
 * What encrypting the store costs: the same synthetic gallery written to a plaintext and to an
 * encrypted data folder (openDatabase with the real pragmas, the real schema, VectorStore.add),
 * then exact sqlite-vec KNN queries and point reads (a stored vector plus its member row, the
 * engine's per-candidate fetch) after a reopen, so the page cache starts cold as after a restart.
 *
 *   npm run bench:at-rest -- [--rows 20000] [--queries 200] [--reads 2000] [--batch 1000]
 *
 * Rows are written in transactions of --batch (a bulk import; one enrollment is one small
 * transaction, where the fsync dominates in both modes). The last stdout line is one JSON object:
 * {"rows","insert_ms_plain","insert_ms_encrypted","query_p50_ms_plain","query_p50_ms_encrypted",
 * "overhead_percent",...}; overhead_percent compares the query medians.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DB_FILE, STORE_CIPHER } from '../store/open.js';
import { Store } from '../store/store.js';
import { mulberry32 } from '../util/random.js';
import { benchArgs, percentile, round } from './args.js';

const args = benchArgs({
  rows: { type: 'string', default: '20000' },
  queries: { type: 'string', default: '200' },
  reads: { type: 'string', default: '2000' },
  batch: { type: 'string', default: '1000' },
});
const ROWS = Number(args.rows);
const QUERIES = Number(args.queries);
const READS = Number(args.reads);
const BATCH = Number(args.batch);
const DIM = 512;
for (const [name, v] of Object.entries({ ROWS, QUERIES, READS, BATCH }))
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name.toLowerCase()} takes a positive integer`);

function unitVector(rand: () => number): Float32Array {
  const v = new Float32Array(DIM);
  let n = 0;
  for (let i = 0; i < DIM; i++) {
    v[i] = rand() - 0.5;
    n += v[i]! * v[i]!;
  }
  const s = 1 / Math.sqrt(n);
  for (let i = 0; i < DIM; i++) v[i]! *= s;
  return v;
}

interface Figures {
  insertMs: number;
  queryMs: number[];
  firstQueryMs: number;
  readsMs: number;
  fileMb: number;
}

function run(encrypted: boolean): Figures {
  const dir = mkdtempSync(join(tmpdir(), `vigil-bench-at-rest-${encrypted ? 'enc' : 'plain'}-`));
  const key = encrypted ? randomBytes(32) : null;
  const open = () => Store.open(dir, { recognizerId: 'bench', embeddingDim: DIM, key });
  // Same seed in both modes: the same rows, queries and read order.
  const rand = mulberry32(7);
  try {
    let store = open();
    const ids: { embeddingId: number; memberId: string }[] = [];
    const t0 = performance.now();
    for (let start = 0; start < ROWS; start += BATCH) {
      store.transaction(() => {
        for (let i = start; i < Math.min(ROWS, start + BATCH); i++) {
          const memberId = `MEMBER_${i.toString(16).padStart(10, '0')}`;
          store.members.insert(memberId, { name: `Member ${i}`, apartment: `${i % 400}` }, 'bench', 0.9);
          ids.push({
            embeddingId: store.vectors.add('member', memberId, unitVector(rand), { quality: 0.9 }),
            memberId,
          });
        }
      });
    }
    const insertMs = performance.now() - t0;
    store.close();

    store = open();
    const queryMs: number[] = [];
    for (let q = 0; q < QUERIES; q++) {
      const probe = unitVector(rand);
      const t = performance.now();
      const hits = store.vectors.scanNearest(probe, 10);
      queryMs.push(performance.now() - t);
      if (hits.length !== 10) throw new Error(`KNN returned ${hits.length} rows`);
    }
    const t1 = performance.now();
    for (let r = 0; r < READS; r++) {
      const pick = ids[Math.floor(rand() * ids.length)]!;
      if (store.vectors.vector(pick.embeddingId).length !== DIM || !store.members.get(pick.memberId))
        throw new Error('point read missed a row');
    }
    const readsMs = performance.now() - t1;
    store.close();
    const firstQueryMs = queryMs[0]!;
    return {
      insertMs,
      queryMs: [...queryMs].sort((a, b) => a - b),
      firstQueryMs,
      readsMs,
      fileMb: statSync(join(dir, DB_FILE)).size / 2 ** 20,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const plain = run(false);
const enc = run(true);
for (const [label, f] of [
  ['plaintext', plain],
  [`encrypted (${STORE_CIPHER})`, enc],
] as const) {
  process.stdout.write(
    `${label.padEnd(22)} insert ${ROWS} rows ${f.insertMs.toFixed(0)} ms; ` +
      `KNN first ${f.firstQueryMs.toFixed(1)} ms, p50 ${percentile(f.queryMs, 50).toFixed(2)} ms, p95 ${percentile(f.queryMs, 95).toFixed(2)} ms; ` +
      `${READS} point reads ${f.readsMs.toFixed(1)} ms (${((f.readsMs / READS) * 1000).toFixed(0)} µs each); file ${f.fileMb.toFixed(1)} MiB\n`,
  );
}
const p50Plain = percentile(plain.queryMs, 50);
const p50Enc = percentile(enc.queryMs, 50);
process.stdout.write(
  JSON.stringify({
    rows: ROWS,
    insert_ms_plain: round(plain.insertMs, 1),
    insert_ms_encrypted: round(enc.insertMs, 1),
    query_p50_ms_plain: round(p50Plain, 3),
    query_p50_ms_encrypted: round(p50Enc, 3),
    overhead_percent: round((p50Enc / p50Plain - 1) * 100, 1),
    query_first_ms_plain: round(plain.firstQueryMs, 2),
    query_first_ms_encrypted: round(enc.firstQueryMs, 2),
    reads_ms_plain: round(plain.readsMs, 1),
    reads_ms_encrypted: round(enc.readsMs, 1),
    cipher: STORE_CIPHER,
  }) + '\n',
);
