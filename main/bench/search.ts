/**
 * 1:N search benchmark through the product's store, encrypted as shipped: the gallery is enrolled
 * with the store's own writes (member rows, VectorStore.add) and every probe goes through
 * VectorStore.searchPeople — binary-code prefilter (wasm Hamming scan, asymmetric re-rank of the
 * Hamming pool) → float fetch from the encrypted sqlite-vec table → exact rescoring — against exact
 * brute force on the same data.
 *
 *   npm run bench:search -- --n 100000 [--queries 200] [--dim 512]
 *
 * Synthetic faces, not random points: unit vectors with an anisotropic spectrum (spread over all
 * coordinates by a randomised Hadamard rotation) and a small common mean, tuned so impostor cosines
 * have mean ≈ 0.03 and standard deviation ≈ 0.08 as with ArcFace-class models (at 128-d the isotropic
 * floor, ≈ 0.09, is already wider, so the spectrum stays flat there). Isotropic random
 * vectors at 512-d would give an impostor spread of only 0.044 and flatter the prefilter. Genuine probes
 * are an enrolled vector moved to cosine 0.45–0.7 from it (real same-person scores); open-set probes
 * are fresh faces nobody enrolled. Ground truth is brute force over every float, computed while the
 * gallery is generated so no float copy of the gallery is ever held in memory.
 *
 * The store's sqlite settings (64 KiB pages, mmap, the cipher's page cache; store/open.ts) are part of
 * what is measured: each candidate fetch walks vec0's chunk blob and decrypts the pages it reads. Pool
 * and candidate counts are the product's (match/search.ts); the Hamming-rank diagnostics come from a
 * bench-side copy of the same index (same dimension and code length, so the same codes).
 *
 * The last stdout line is one JSON object: {"n","p50_ms","p95_ms","recall_at_1",...}.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BinaryCodeIndex } from '../match/binary-index.js';
import { candidateCount, dot, prefilterPool, type ScoredId } from '../match/search.js';
import { DB_FILE } from '../store/open.js';
import { Store } from '../store/store.js';
import { mulberry32 } from '../util/random.js';
import { fwht } from '../util/hadamard.js';

const MATCH_THRESHOLD = 0.36;
const IMPOSTOR_STD = 0.08;
const IMPOSTOR_MEAN = 0.03;
const GENUINE_MIN = 0.45;
const GENUINE_MAX = 0.7;
const BATCH = 10_000;

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '200' },
    dim: { type: 'string', default: '512' },
    seed: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
  strict: true,
});

function intArg(name: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new RangeError(`--${name} must be an integer ≥ ${min}, got ${value}`);
  return n;
}

const N = intArg('n', args.n, 1);
const Q = intArg('queries', args.queries, 1);
const DIM = intArg('dim', args.dim, 8);
const SEED = intArg('seed', args.seed, 0);
const K = candidateCount(N);
const POOL = prefilterPool(N);
if ((DIM & (DIM - 1)) !== 0)
  throw new RangeError('--dim must be a power of two (the Hadamard rotation needs it)');

const log = (line: string): void => void process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------------
// Deterministic synthetic faces: vector `i` is a pure function of (seed, stream, i), so probes can be
// derived from gallery vectors before the gallery is written, and ground truth streamed alongside it.

const rngFor = (stream: number, i: number): (() => number) =>
  mulberry32(Math.imul(SEED + 1, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b) ^ Math.imul(i, 0xc2b2ae35));

function fillGaussian(rand: () => number, out: Float64Array): void {
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const a = 2 * Math.PI * rand();
    out[i] = r * Math.cos(a);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(a);
  }
}

/** Power-law exponent for per-axis scales whose impostor cosine spread is IMPOSTOR_STD at this dim. */
function spectrumExponent(dim: number): number {
  const spread = (alpha: number): number => {
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < dim; i++) {
      const l = Math.pow(i + 1, -2 * alpha);
      s1 += l;
      s2 += l * l;
    }
    return Math.sqrt(s2) / s1;
  };
  if (spread(0) >= IMPOSTOR_STD) return 0;
  let lo = 0;
  let hi = 2;
  for (let it = 0; it < 50; it++) {
    const mid = (lo + hi) / 2;
    if (spread(mid) < IMPOSTOR_STD) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

const STREAM_SETUP = 0;
const STREAM_GALLERY = 1;
const STREAM_OPEN = 2;
const STREAM_NOISE = 3;
const STREAM_PROBES = 4;

const alpha = spectrumExponent(DIM);
const axisScale = Float64Array.from({ length: DIM }, (_, i) => Math.pow(i + 1, -alpha));
const setup = rngFor(STREAM_SETUP, 0);
const axisSign = Float64Array.from({ length: DIM }, () => (setup() < 0.5 ? -1 : 1));
const meanDir = new Float64Array(DIM);
fillGaussian(setup, meanDir);
{
  const norm = Math.hypot(...meanDir);
  const m = Math.sqrt(IMPOSTOR_MEAN / (1 - IMPOSTOR_MEAN)) / norm;
  for (let i = 0; i < DIM; i++) meanDir[i] = (meanDir[i] as number) * m;
}

const scratch = new Float64Array(DIM);
function face(stream: number, i: number): Float32Array {
  fillGaussian(rngFor(stream, i), scratch);
  for (let d = 0; d < DIM; d++) scratch[d] = (scratch[d] as number) * (axisScale[d] as number);
  fwht(scratch);
  let norm = 0;
  for (let d = 0; d < DIM; d++) norm += (scratch[d] as number) ** 2;
  norm = Math.sqrt(norm);
  for (let d = 0; d < DIM; d++)
    scratch[d] = ((scratch[d] as number) * (axisSign[d] as number)) / norm + (meanDir[d] as number);
  return unit(scratch);
}

function unit(v: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let d = 0; d < v.length; d++) norm += (v[d] as number) ** 2;
  norm = Math.sqrt(norm);
  const out = new Float32Array(v.length);
  for (let d = 0; d < v.length; d++) out[d] = (v[d] as number) / norm;
  return out;
}

/** `source` moved to cosine `c` from itself along another face's direction (still face-like). */
function perturb(source: Float32Array, c: number, noise: Float32Array): Float32Array {
  const along = dot(noise, source);
  const ortho = unit(Array.from(noise, (x, d) => x - along * (source[d] as number)));
  const s = Math.sqrt(1 - c * c);
  return unit(Array.from(source, (x, d) => c * x + s * (ortho[d] as number)));
}

// ---------------------------------------------------------------------------------------------------

interface Probe {
  kind: 'genuine' | 'open';
  vector: Float32Array;
  source: number;
  best: ScoredId;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

const ms = (x: number): string => x.toFixed(2);
/** JSON has no Infinity; a rank outside the pool is reported as -1. */
const finite = (x: number): number => (Number.isFinite(x) ? x : -1);

/** Gallery face i is enrolled as this member (one vector each). */
const memberOf = (id: number): string => `MEMBER_${String(id).padStart(10, '0')}`;
const idOf = (memberId: string): number => Number(memberId.slice('MEMBER_'.length));

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-search-'));
  // Encrypted as shipped: a data folder's store always has a database key.
  const store = Store.open(dir, { recognizerId: 'bench-search', embeddingDim: DIM, key: randomBytes(32) });
  try {
    run(store, join(dir, DB_FILE));
  } finally {
    store.close();
    if (args.keep) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

function run(store: Store, file: string): void {
  log(
    `bench:search n=${N} dim=${DIM} queries=${Q} genuine + ${Q} open-set, pool=${POOL}, candidates=${K}, ` +
      `encrypted product store ${file}`,
  );

  // Probes first: genuine ones derive from gallery vectors, which are pure functions of their id.
  const pick = rngFor(STREAM_PROBES, 0);
  const probes: Probe[] = [];
  for (let q = 0; q < Q; q++) {
    const source = 1 + Math.floor(pick() * N);
    const c = GENUINE_MIN + (GENUINE_MAX - GENUINE_MIN) * pick();
    const vector = perturb(face(STREAM_GALLERY, source), c, face(STREAM_NOISE, q));
    probes.push({ kind: 'genuine', vector, source, best: { id: -1, similarity: -Infinity } });
  }
  for (let q = 0; q < Q; q++) {
    probes.push({
      kind: 'open',
      vector: face(STREAM_OPEN, q),
      source: -1,
      best: { id: -1, similarity: -Infinity },
    });
  }

  // The diagnostics' copy of the product's index (VectorStore builds its own the same way).
  const index = new BinaryCodeIndex(DIM);
  let insertMs = 0;
  let indexMs = 0;
  let truthMs = 0;
  const genuineCos: number[] = [];
  let impostorSum = 0;
  let impostorSq = 0;
  let impostorCount = 0;
  let previous: Float32Array | undefined;
  const started = performance.now();
  for (let first = 1; first <= N; first += BATCH) {
    const last = Math.min(N, first + BATCH - 1);
    const vectors: Float32Array[] = [];
    for (let id = first; id <= last; id++) vectors.push(face(STREAM_GALLERY, id));

    let t = performance.now();
    store.transaction(() => {
      vectors.forEach((v, j) => {
        const member = memberOf(first + j);
        store.members.insert(member, { name: `Bench member ${first + j}` }, 'bench-search', 0.9);
        store.vectors.add('member', member, v, { quality: 0.9 });
      });
    });
    insertMs += performance.now() - t;

    t = performance.now();
    vectors.forEach((v, j) => index.upsert(first + j, v));
    indexMs += performance.now() - t;

    t = performance.now();
    vectors.forEach((v, j) => {
      const id = first + j;
      for (const p of probes) {
        const s = dot(p.vector, v);
        if (s > p.best.similarity || (s === p.best.similarity && id < p.best.id))
          p.best = { id, similarity: s };
        if (p.source === id) genuineCos.push(s);
      }
      if (previous !== undefined && impostorCount < 20_000) {
        const s = dot(previous, v);
        impostorSum += s;
        impostorSq += s * s;
        impostorCount++;
      }
      previous = v;
    });
    truthMs += performance.now() - t;

    const elapsed = (performance.now() - started) / 1000;
    if (last === N || Math.floor(last / (N / 20)) !== Math.floor((first - 1) / (N / 20))) {
      log(`  ${last}/${N} inserted (${elapsed.toFixed(1)} s)`);
    }
  }
  const impostorMean = impostorSum / impostorCount;
  const impostorStd = Math.sqrt(impostorSq / impostorCount - impostorMean ** 2);
  genuineCos.sort((a, b) => a - b);
  log(
    `gallery: impostor cosine mean ${impostorMean.toFixed(3)} sd ${impostorStd.toFixed(3)}; genuine probe ` +
      `cosine to source ${percentile(genuineCos, 0).toFixed(2)}–${percentile(genuineCos, 1).toFixed(2)}`,
  );
  log(
    `build: store enrollment ${(insertMs / 1000).toFixed(1)} s, diagnostic index ${(indexMs / 1000).toFixed(2)} s, ` +
      `brute-force ground truth ${(truthMs / 1000).toFixed(1)} s ` +
      `(${ms(truthMs / probes.length)} ms per probe)`,
  );

  // A running engine's gallery sits in the main file: mmap does not cover pages still in the WAL, and
  // reading candidates from there costs ~10× more.
  const tc = performance.now();
  store.health.checkpoint();
  log(`checkpoint ${((performance.now() - tc) / 1000).toFixed(1)} s`);

  const search = (q: Float32Array): ScoredId | undefined => {
    const top = store.vectors.searchPeople('member', q, 1)[0];
    return top && { id: idOf(top.personId), similarity: top.similarity };
  };

  // Warm the JIT and the mapped pages the way a running engine would be warm.
  for (const p of probes.slice(0, 20)) search(p.vector);

  const latency: Record<Probe['kind'], number[]> = { genuine: [], open: [] };
  const found = new Map<Probe, ScoredId | undefined>();
  for (const p of probes) {
    const t0 = performance.now();
    const top = search(p.vector);
    latency[p.kind].push(performance.now() - t0);
    found.set(p, top);
  }

  // Accuracy, and where the exact top-1 ranks by Hamming distance (what the candidate count must cover).
  const decision = (s: ScoredId | undefined): number =>
    s !== undefined && s.similarity >= MATCH_THRESHOLD ? s.id : -1;
  // Where the exact top-1 ranks by Hamming distance (what the pool must cover), and by asymmetric score
  // within the pool (what the candidate count must cover; Infinity when the pool missed it).
  const hammingRank = (p: Probe): number => {
    const target = index.distanceTo(p.vector, p.best.id) ?? Infinity;
    const dist = index.distances(p.vector);
    let rank = 0;
    // Counting the whole tie is the worst case: selection breaks ties by slot, not by similarity.
    for (let i = 0; i < dist.length; i++) if ((dist[i] as number) <= target) rank++;
    return rank;
  };
  const refinedRank = (p: Probe): number => {
    const at = index.candidates(p.vector, POOL, POOL).indexOf(p.best.id);
    return at < 0 ? Infinity : at + 1;
  };

  const genuine = probes.filter((p) => p.kind === 'genuine');
  const open = probes.filter((p) => p.kind === 'open');
  const hits = genuine.filter((p) => found.get(p)?.id === p.best.id).length;
  const sourceIsTop = genuine.filter((p) => p.best.id === p.source).length;
  const agree = open.filter((p) => decision(found.get(p)) === decision(p.best)).length;
  const openOver = open.filter((p) => p.best.similarity >= MATCH_THRESHOLD);
  const byValue = (a: number, b: number): number => a - b;
  const genuineRanks = genuine.map(hammingRank).sort(byValue);
  const openRanks = openOver.map(hammingRank).sort(byValue);
  const genuineRefined = genuine.map(refinedRank).sort(byValue);
  const openRefined = openOver.map(refinedRank).sort(byValue);
  const ranks = (r: number[]): string =>
    r.length === 0 ? 'none' : `p50 ${percentile(r, 0.5)} p99 ${percentile(r, 0.99)} max ${percentile(r, 1)}`;

  // The prefilter's share of a search, timed on the diagnostic copy of the index (the same scan).
  const tp = performance.now();
  for (const p of probes) index.candidates(p.vector, K, POOL);
  const prefilterMs = (performance.now() - tp) / probes.length;

  // Exact search for comparison: sqlite-vec's own float KNN, and the JS brute force used for ground truth.
  const exactRuns = Math.max(1, Math.min(5, Math.round(2e6 / N)));
  const t0 = performance.now();
  for (const p of probes.slice(0, exactRuns)) store.vectors.scanNearest(p.vector, 1);
  const sqliteExactMs = (performance.now() - t0) / exactRuns;

  const all = [...latency.genuine, ...latency.open].sort((a, b) => a - b);
  const gLat = [...latency.genuine].sort((a, b) => a - b);
  const oLat = [...latency.open].sort((a, b) => a - b);
  const recall = hits / genuine.length;
  const agreement = agree / open.length;
  const codeMb = (index.size * index.codeBytes) / 2 ** 20;

  console.log(
    `\nsearch over ${N} × ${DIM}-d in the encrypted store (${index.bits}-bit codes): Hamming pool ${POOL} → ${K} candidates rescored from sqlite, top-1 member`,
  );
  console.log(
    `  latency all     p50 ${ms(percentile(all, 0.5))} ms  p95 ${ms(percentile(all, 0.95))} ms  ` +
      `max ${ms(percentile(all, 1))} ms`,
  );
  console.log(`  latency genuine p50 ${ms(percentile(gLat, 0.5))} ms  p95 ${ms(percentile(gLat, 0.95))} ms`);
  console.log(`  latency open    p50 ${ms(percentile(oLat, 0.5))} ms  p95 ${ms(percentile(oLat, 0.95))} ms`);
  console.log(
    `  per query: prefilter (scan, pool scoring, selection) ${ms(prefilterMs)} ms, fetch ${K} floats + rescore ` +
      `the rest`,
  );
  console.log(
    `  recall@1 (genuine, vs exact): ${hits}/${genuine.length} = ${recall.toFixed(4)} ` +
      `(exact top-1 is the probe's source for ${sourceIsTop}/${genuine.length})`,
  );
  console.log(
    `  open-set decision agreement at cosine ${MATCH_THRESHOLD}: ${agree}/${open.length} = ` +
      `${agreement.toFixed(4)} (exact search finds a match ≥ ${MATCH_THRESHOLD} for ${openOver.length})`,
  );
  console.log(
    `  Hamming rank of exact top-1 (pool ${POOL} must cover): genuine ${ranks(genuineRanks)}; open-set matches ${ranks(openRanks)}`,
  );
  console.log(
    `  asymmetric rank in the pool (candidates ${K} must cover): genuine ${ranks(genuineRefined)}; ` +
      `open-set matches ${ranks(openRefined)}`,
  );
  console.log(
    `  exact search: sqlite-vec float KNN ${ms(sqliteExactMs)} ms/query, JS brute force ` +
      `${ms(truthMs / probes.length)} ms/query`,
  );
  console.log(
    `  index memory: ${codeMb.toFixed(1)} MiB of codes, ${(index.memoryBytes / 2 ** 20).toFixed(1)} MiB wasm ` +
      `memory (with scratch and growth headroom), rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
  );
  console.log(
    JSON.stringify({
      n: N,
      p50_ms: Number(percentile(all, 0.5).toFixed(3)),
      p95_ms: Number(percentile(all, 0.95).toFixed(3)),
      recall_at_1: Number(recall.toFixed(4)),
      dim: DIM,
      bits: index.bits,
      queries: probes.length,
      candidates: K,
      open_set_agreement: Number(agreement.toFixed(4)),
      open_set_exact_matches: openOver.length,
      prefilter_ms: Number(prefilterMs.toFixed(3)),
      sqlite_exact_ms: Number(sqliteExactMs.toFixed(1)),
      pool: POOL,
      genuine_hamming_rank_max: percentile(genuineRanks, 1),
      genuine_refined_rank_max: finite(percentile(genuineRefined, 1)),
      open_match_hamming_rank_max: openRanks.length > 0 ? percentile(openRanks, 1) : null,
      open_match_refined_rank_max: openRefined.length > 0 ? finite(percentile(openRefined, 1)) : null,
      wasm_memory_mb: Number((index.memoryBytes / 2 ** 20).toFixed(1)),
      store: 'encrypted',
    }),
  );
}

main();
