import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferedWriter } from '../engine/buffered-writer.js';
import { Engine } from '../engine/engine.js';
import { mulberry32 } from '../util/random.js';
import { runVictim, workerScript } from './crash-harness.js';

/**
 * "A node killed with SIGKILL loses no acknowledged record", for a node whose shared store is
 * away: a child (spool-worker.ts) writes through the BufferedWriter with the store away (or coming
 * and going, losing commit answers) and is killed at a random moment; half the time a second child
 * is killed in the middle of replaying the spool; then the spool is replayed here and every
 * acknowledged write must be in the store exactly once, and no write at all twice.
 */

export const SPOOL_T0 = Date.parse('2026-11-30T08:00:00Z');
export const SPOOL_MEMBER = 'MEMBER_spoolharness';
export const SPOOL_CAMERA = 'spool-cam';

export interface SpoolRun {
  run: number;
  mode: 'write' | 'mixed';
  seed: number;
  killed: boolean;
  /** Whether a replay was killed too. */
  flushKilled: boolean;
  acks: number;
  /** Writes in the store after the final replay (appearances + alerts). */
  stored: number;
  lost: string[];
  duplicates: string[];
  workerError: string | null;
}

export interface SpoolSummary {
  runs: number;
  killed: number;
  flushes_killed: number;
  acked: number;
  records_lost: number;
  duplicates: number;
  worker_errors: number;
  failures: string[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Replays what the killed children left and checks the store against their acknowledgements. */
export function checkSpooled(
  dataDir: string,
  journal: string[],
): Pick<SpoolRun, 'stored' | 'lost' | 'duplicates'> {
  const engine = Engine.open({ dataDir, actor: 'harness-check' });
  const writer = new BufferedWriter(engine, { dir: join(dataDir, 'spool') });
  try {
    const lost: string[] = [];
    const duplicates: string[] = [];
    if (!writer.flush()) lost.push(`${writer.pending()} writes still spooled after the replay`);
    const rows = engine.store.appearances.list();
    const alerts = engine.store.alerts.all();
    const byStart = new Map<string, typeof rows>();
    for (const r of rows) byStart.set(r.first_seen, [...(byStart.get(r.first_seen) ?? []), r]);
    for (const [start, rs] of byStart)
      if (rs.length > 1) duplicates.push(`${rs.length} appearances first seen at ${start}`);
    const byMessage = new Map<string, number>();
    for (const a of alerts) byMessage.set(a.message, (byMessage.get(a.message) ?? 0) + 1);
    for (const [m, n] of byMessage) if (n > 1) duplicates.push(`${n} alerts "${m}"`);
    for (const line of journal) {
      const [tag, kind, a, b] = line.split(' ') as [string, string, string, string | undefined];
      if (tag !== 'ACK') continue;
      const i = Number(a);
      switch (kind) {
        case 'sighting':
          if (!byStart.has(iso(SPOOL_T0 + i * 1000))) lost.push(`acknowledged sighting ${i}`);
          break;
        case 'extend': {
          const row = byStart.get(iso(SPOOL_T0 + i * 1000))?.[0];
          if (!row || row.last_seen < iso(SPOOL_T0 + Number(b)))
            lost.push(`acknowledged end ${b} of sighting ${i}`);
          break;
        }
        case 'unknown':
          if (!engine.store.unknowns.get(b!)) lost.push(`acknowledged unknown person ${b}`);
          if (!byStart.get(iso(SPOOL_T0 + i * 1000))?.some((r) => r.person_id === b))
            lost.push(`acknowledged sighting ${i} of ${b}`);
          break;
        case 'alert':
          if (!byMessage.has(`Camera ${SPOOL_CAMERA} is offline #${i}`)) lost.push(`acknowledged alert ${i}`);
          break;
        default:
          lost.push(`unreadable journal line "${line}"`);
      }
    }
    if (engine.store.health.integrity() !== 'ok') lost.push('integrity check failed');
    if (!engine.store.audit.verify().ok) lost.push('audit chain broken');
    return { stored: rows.length + alerts.length, lost, duplicates };
  } finally {
    writer.close();
    engine.close();
  }
}

export async function runSpoolHarness(opts: {
  runs: number;
  seed: number;
  parallel?: number;
  killDelayMs?: [number, number];
  onRun?: (r: SpoolRun) => void;
}): Promise<SpoolSummary> {
  const workDir = mkdtempSync(join(tmpdir(), 'vigil-spool-crash-'));
  const script = workerScript('spool-worker');
  const [minDelay, maxDelay] = opts.killDelayMs ?? [50, 800];
  const summary: SpoolSummary = {
    runs: 0,
    killed: 0,
    flushes_killed: 0,
    acked: 0,
    records_lost: 0,
    duplicates: 0,
    worker_errors: 0,
    failures: [],
  };
  const one = async (run: number): Promise<void> => {
    const mode = run % 2 === 0 ? 'write' : 'mixed';
    const seed = (opts.seed + Math.imul(run + 1, 0x9e3779b1)) >>> 0;
    const r = mulberry32(seed ^ 0x5bd1e995);
    const dataDir = join(workDir, `run-${run}-${mode}`);
    mkdirSync(dataDir, { recursive: true });
    const template = Engine.open({ dataDir, actor: 'harness' });
    template.store.transaction(() => {
      template.store.members.insert(
        SPOOL_MEMBER,
        { name: 'Spool harness member' },
        template.recognizer.id,
        0.9,
      );
      // As in any folder in use, the audit chain has a head anchored beside the store.
      template.store.audit.append({ actor: 'harness', action: 'member_registered', subject: SPOOL_MEMBER });
    });
    template.close();
    const killAfter = Math.round(minDelay + r() * (maxDelay - minDelay));
    const w = await runVictim(script, [mode, dataDir, String(seed)], killAfter);
    let flushKilled = false;
    let flushError: string | null = null;
    if (run % 4 < 2) {
      // A replay killed in its middle: some records committed, the cursor maybe not moved past them.
      const f = await runVictim(script, ['flush', dataDir, String(seed)], Math.round(r() * 40));
      flushKilled = f.killed;
      flushError = f.error;
    }
    const check = checkSpooled(dataDir, w.journal);
    const result: SpoolRun = {
      run,
      mode,
      seed,
      killed: w.killed,
      flushKilled,
      acks: w.journal.filter((l) => l.startsWith('ACK ')).length,
      ...check,
      workerError: w.error ?? flushError,
    };
    summary.runs++;
    if (result.killed) summary.killed++;
    if (flushKilled) summary.flushes_killed++;
    summary.acked += result.acks;
    summary.records_lost += check.lost.length;
    summary.duplicates += check.duplicates.length;
    if (result.workerError) summary.worker_errors++;
    const problems = [
      ...check.lost,
      ...check.duplicates,
      ...(result.workerError ? [result.workerError] : []),
    ];
    if (problems.length === 0) rmSync(dataDir, { recursive: true, force: true });
    else if (summary.failures.length < 20)
      summary.failures.push(
        `run ${run} (${mode}, seed ${seed}, data ${dataDir}): ${problems.slice(0, 5).join('; ')}`,
      );
    opts.onRun?.(result);
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, opts.parallel ?? 1) }, async () => {
      while (next < opts.runs) await one(next++);
    }),
  );
  if (summary.failures.length === 0) rmSync(workDir, { recursive: true, force: true });
  return summary;
}
