/**
 * A node killed while its shared store is away: `npm run bench:spool -- --runs 60 [--seed S]`.
 * Each run lets a worker write sightings, extensions, strangers and alerts through the buffered
 * writer with the store away (or coming and going, losing commit answers), kills it with SIGKILL,
 * every other pair of runs kills a replay too, then replays here and checks that every
 * acknowledged write is stored exactly once (see reliability/spool-harness.ts). Ends with one JSON line.
 */
import { runSpoolHarness } from '../reliability/spool-harness.js';
import { benchArgs } from './args.js';

const args = benchArgs({
  runs: { type: 'string', default: '60' },
  seed: { type: 'string' },
  parallel: { type: 'string', default: '1' },
});
const seed = args.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(args.seed);
console.log(`seed ${seed} (rerun with --seed ${seed})`);
const t0 = Date.now();
const s = await runSpoolHarness({
  runs: Number(args.runs),
  seed,
  parallel: Number(args.parallel),
  onRun: (r) =>
    console.log(
      `run ${String(r.run).padStart(3)} ${r.mode.padEnd(5)} seed ${r.seed}: ${r.killed ? 'killed' : 'finished before the kill'}${r.flushKilled ? ', replay killed' : ''}, ${r.acks} writes acknowledged, ${r.stored} stored, ${r.lost.length} lost, ${r.duplicates.length} duplicated${r.workerError ? ` (worker: ${r.workerError})` : ''}`,
    ),
});
console.log(
  `runs ${s.runs}, killed ${s.killed}, replays killed ${s.flushes_killed}, acknowledged writes ${s.acked}, records lost ${s.records_lost}, duplicates ${s.duplicates}, worker errors ${s.worker_errors} (${((Date.now() - t0) / 60_000).toFixed(1)} min)`,
);
for (const f of s.failures) console.log(`FAILED ${f}`);
console.log(
  JSON.stringify({
    runs: s.runs,
    killed: s.killed,
    replays_killed: s.flushes_killed,
    acknowledged: s.acked,
    records_lost: s.records_lost,
    duplicates: s.duplicates,
  }),
);
process.exit(s.records_lost + s.duplicates + s.worker_errors > 0 ? 1 : 0);
