/**
 * Crash safety under SIGKILL: `npm run bench:crash -- --runs 210 [--seed S] [--parallel 1]`.
 * Each run copies a prepared store, lets a worker enroll, write a sighting storm or erase people,
 * kills it after 50–1500 ms, reopens the store and checks it (see reliability/crash-harness.ts).
 * Prints one line per run and ends with one JSON line.
 */
import { runCrashHarness } from '../reliability/crash-harness.js';
import { benchArgs } from './args.js';
import { assetsDir } from './assets.js';

const args = benchArgs({
  runs: { type: 'string', default: '210' },
  seed: { type: 'string' },
  parallel: { type: 'string', default: '1' },
});
const seed = args.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(args.seed);
console.log(`seed ${seed} (rerun with --seed ${seed})`);
const t0 = Date.now();
const s = await runCrashHarness({
  runs: Number(args.runs),
  seed,
  assetsDir: assetsDir(),
  parallel: Number(args.parallel),
  onRun: (r) => {
    const c = r.check;
    const bad =
      c.integrity !== 'ok' || !c.audit.ok || c.lost.length + c.halfEnrolled.length + c.orphans.length > 0;
    console.log(
      `run ${String(r.run).padStart(3)} ${r.workload.padEnd(6)} seed ${r.seed}: ${r.killed ? `killed after ${r.killAfterMs} ms` : 'finished before the kill'}, ${c.acks} writes acknowledged, ${c.lost.length} lost${bad ? ' FAILED' : ''}${r.workerError ? ` (worker: ${r.workerError})` : ''}`,
    );
  },
});
const minutes = (Date.now() - t0) / 60_000;
for (const [w, b] of Object.entries(s.by_workload))
  console.log(`${w.padEnd(6)} ${b.runs} runs, ${b.killed} killed, ${b.acked} acknowledged writes checked`);
console.log(
  `runs ${s.runs}, killed ${s.killed}, acknowledged writes ${s.acked}, records lost ${s.records_lost}, integrity failures ${s.integrity_failures}, half enrolled ${s.half_enrolled}, orphans ${s.orphans}, worker errors ${s.worker_errors} (${minutes.toFixed(1)} min)`,
);
for (const f of s.failures) console.log(`FAILED ${f}`);
console.log(
  JSON.stringify({
    runs: s.runs,
    killed: s.killed,
    integrity_failures: s.integrity_failures,
    records_lost: s.records_lost,
    half_enrolled: s.half_enrolled,
    orphans: s.orphans,
  }),
);
process.exit(
  s.integrity_failures + s.records_lost + s.half_enrolled + s.orphans + s.worker_errors > 0 ? 1 : 0,
);
