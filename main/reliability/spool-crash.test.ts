import { expect, it } from 'vitest';
import { runSpoolHarness, type SpoolSummary } from './spool-harness.js';

/**
 * SIGKILL while the shared store is away (the store made unreachable by a seam, testing/away-store.ts,
 * until the shared store's bridge is merged): 12 kills of a node writing through its spool, half of
 * them followed by a kill in the middle of the replay. Nothing acknowledged may be lost, nothing
 * written twice. VIGIL_CRASH_SEED replays a failure; `npm run bench:crash` runs more.
 */
const RUNS = 12;
const seed = Number(process.env.VIGIL_CRASH_SEED ?? Date.now() % 2 ** 31);

it(`a node killed while its store is away loses no acknowledged write and writes none twice (seed ${seed})`, async () => {
  const summary: SpoolSummary = await runSpoolHarness({ runs: RUNS, seed, parallel: 2 });
  console.log(`spool harness seed ${seed}: ${JSON.stringify(summary)}`);
  expect(summary.failures, `seed ${seed}`).toEqual([]);
  expect(summary).toMatchObject({ runs: RUNS, records_lost: 0, duplicates: 0, worker_errors: 0 });
  // The kills land mid-work, some in the middle of a replay, after real acknowledged writes.
  expect(summary.killed).toBeGreaterThanOrEqual(RUNS * 0.8);
  expect(summary.flushes_killed).toBeGreaterThan(0);
  expect(summary.acked).toBeGreaterThan(RUNS * 20);
}, 300_000);
