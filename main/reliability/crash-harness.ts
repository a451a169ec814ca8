import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage } from '../photo/image.js';
import type { Box } from '../detect/types.js';
import { Engine } from '../engine/engine.js';
import { isVigilError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { recordConsent } from '../services/subjects.js';
import { mulberry32 } from '../util/random.js';
import { SightingWriter } from './sighting-writer.js';

/**
 * Crash safety, proven by killing: a child process (crash-worker.ts) enrolls real faces, writes a
 * storm of sightings and alerts, or erases people, printing an ACK line after each commit; the
 * parent kills it with SIGKILL at a random moment, reopens the store and checks that it is
 * intact (integrity_check, audit chain), that no member is half enrolled, that nothing of an
 * erased person remains, and that every acknowledged write is there.
 */

export type Workload = 'enroll' | 'storm' | 'erase';
export const WORKLOADS: readonly Workload[] = ['enroll', 'storm', 'erase'];

/** What a worker needs besides its data folder; also what the template folder holds. */
export interface CrashSpec {
  passphrase: string;
  /** Photos of one person each, for enrollment. */
  photoGroups: string[][];
  /** A real photo and a face in it, cut out as the crop of each new unknown person. */
  cropSource: { path: string; box: Box };
  /** Committed in the template before any worker ran: all of it must survive unless erased. */
  template: {
    members: string[];
    unknowns: string[];
    appearances: { id: number; person: string }[];
    alerts: { id: number; person: string | null }[];
    crops: string[];
  };
}

export interface StoreCheck {
  integrity: string;
  audit: { ok: boolean; rows: number; firstBad: number | null };
  acks: number;
  /** Acknowledged (or template) writes that are missing, as sentences. */
  lost: string[];
  /** Members without face vectors or centroid, vector rows without a vector and vice versa. */
  halfEnrolled: string[];
  /** Rows of people who no longer exist, or remnants of an acknowledged erasure. */
  orphans: string[];
}

export interface RunResult {
  run: number;
  workload: Workload;
  seed: number;
  killed: boolean;
  /** After READY. */
  killAfterMs: number;
  ms: number;
  check: StoreCheck;
  /** The worker failed on its own (not killed): its stderr. */
  workerError: string | null;
  dataDir: string;
}

export interface CrashSummary {
  seed: number;
  runs: number;
  killed: number;
  integrity_failures: number;
  records_lost: number;
  half_enrolled: number;
  orphans: number;
  worker_errors: number;
  acked: number;
  by_workload: Record<Workload, { runs: number; killed: number; acked: number }>;
  /** The first problems found, as sentences naming the run, its seed and its data folder. */
  failures: string[];
}

export interface CrashOptions {
  runs: number;
  seed: number;
  /** ../shared/assets: real faces for enrollment and the crop. */
  assetsDir: string;
  /** Where the template and each run's data folder go (a new temporary folder by default). */
  workDir?: string;
  killDelayMs?: [number, number];
  workloads?: readonly Workload[];
  /** Runs at a time (each is one worker process). */
  parallel?: number;
  onRun?: (r: RunResult) => void;
}

const PASSPHRASE = 'crash harness passphrase';

/** A worker of this folder as built JavaScript (under the test runner this module is TypeScript). */
export function workerScript(name = 'crash-worker'): string {
  const js = join(packageRoot(), 'dist', 'main', 'reliability', `${name}.js`);
  if (!existsSync(js)) throw new Error(`crash worker not built: ${js} (run npm run build)`);
  return js;
}

/**
 * The store every run starts from: members enrolled from real photos (two on the watch list,
 * all with consent), strangers identified in real photos (with encrypted crops), and a few dozen
 * more strangers, sightings and alerts written as the live pipeline writes them.
 */
export async function prepareTemplate(dir: string, assetsDir: string): Promise<CrashSpec> {
  const dataDir = join(dir, 'data');
  const engine = Engine.open({ dataDir, passphrase: PASSPHRASE, actor: 'harness' });
  try {
    const celeba = join(assetsDir, 'faces', 'celeba');
    const people = readdirSync(celeba).sort();
    const photosOf = (p: string, n: number) =>
      readdirSync(join(celeba, p))
        .sort()
        .slice(0, n)
        .map((f) => join(celeba, p, f));
    const photoGroups: string[][] = [];
    const members: string[] = [];
    let k = 0;
    for (; k < people.length && members.length < 5; k++) {
      const photos = photosOf(people[k]!, 2);
      try {
        const r = await engine.enroll({ name: `Template member ${members.length + 1}` }, photos);
        members.push(r.member_id);
        photoGroups.push(photos);
      } catch (e) {
        if (!isVigilError(e)) throw e;
      }
    }
    if (members.length < 5) throw new Error(`only ${members.length} members could be enrolled`);
    engine.store.members.setAccess(members[0]!, { watchlist: true });
    engine.store.members.setAccess(members[1]!, { watchlist: true });
    for (const m of members)
      recordConsent(engine, m, 'Recorded for the crash harness.', 'console', 'harness');
    let cropSource: CrashSpec['cropSource'] | undefined;
    for (let found = 0; k < people.length && found < 3; k++) {
      const photo = photosOf(people[k]!, 1)[0]!;
      const faces = await engine.identify(photo, { cameraId: 'crash-cam' });
      const stranger = faces.find((f) => f.type === 'new_unknown');
      if (!stranger) continue;
      found++;
      cropSource ??= { path: photo, box: stranger.bbox };
    }
    if (!cropSource) throw new Error('no stranger was found in the photos');
    const frame = (await decodeImage(cropSource.path)).image;
    const rand = mulberry32(1);
    const writer = new SightingWriter(engine, frame, cropSource.box, rand, () => {});
    for (let i = 0; i < 30; i++) await writer.next('new');
    for (let i = 0; i < 40; i++) await writer.next();
    const rows = engine.store.inspection;
    const spec: CrashSpec = {
      passphrase: PASSPHRASE,
      photoGroups,
      cropSource,
      template: {
        members: rows.memberIds(),
        unknowns: rows.unknownIds(),
        appearances: rows.appearanceOwners(),
        alerts: rows.alertOwners(),
        crops: rows.cropIds(),
      },
    };
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
    return spec;
  } finally {
    engine.close();
  }
}

/** Reopens a data folder as a restart would and checks it against the worker's journal. */
export function checkStore(dataDir: string, spec: CrashSpec, journal: string[]): StoreCheck {
  const engine = Engine.open({ dataDir, passphrase: spec.passphrase, actor: 'harness-check' });
  try {
    const rows = engine.store.inspection;
    const check: StoreCheck = {
      integrity: engine.store.health.integrity(),
      audit: engine.store.audit.verify(),
      acks: 0,
      lost: [],
      halfEnrolled: [],
      orphans: [],
    };
    const members = new Set(rows.memberIds());
    const unknowns = new Set(rows.unknownIds());
    const exists = (p: string) => members.has(p) || unknowns.has(p);

    // Half-written people and vectors.
    const vectorsOf = rows.memberVectorCounts();
    for (const m of members) {
      const v = vectorsOf.get(m);
      if (!v || v.shots < 1 || v.centroids !== 1)
        check.halfEnrolled.push(
          `member ${m} has ${v?.shots ?? 0} face vectors and ${v?.centroids ?? 0} centroids`,
        );
    }
    for (const id of rows.embeddingsWithoutVector())
      check.halfEnrolled.push(`embedding row ${id} has no vector`);
    const embeddingRows = new Set(rows.embeddingIds());
    for (const id of rows.vectorIds())
      if (!embeddingRows.has(id)) check.halfEnrolled.push(`vector ${id} has no embedding row`);

    // Rows of people who are not there.
    const personless = (what: string, owned: { id: number | string; person: string | null }[]) => {
      for (const r of owned)
        if (r.person !== null && !exists(r.person))
          check.orphans.push(`${what} ${String(r.id)} of ${String(r.person)}`);
    };
    personless('embedding', rows.embeddingOwners());
    personless('appearance', rows.appearanceOwners());
    personless('alert', rows.alertOwners());
    personless(
      'crop',
      rows.cropIds().map((id) => ({ id, person: id })),
    );

    // Every acknowledged write, and everything the template held, unless its person was erased.
    const tried = new Set<string>();
    for (const line of journal) if (line.startsWith('TRY erase ')) tried.add(line.split(' ')[2]!);
    const gone = (p: string | null) => p !== null && tried.has(p) && !exists(p);
    const audited = (action: string, subject: string) => rows.audited(action, subject);
    const lost = (what: string) => check.lost.push(what);
    for (const p of [...spec.template.members, ...spec.template.unknowns])
      if (!exists(p) && !tried.has(p)) lost(`template person ${p}`);
    for (const a of spec.template.appearances)
      if (!rows.hasAppearance(a.id) && !gone(a.person)) lost(`template appearance ${a.id}`);
    for (const a of spec.template.alerts)
      if (!rows.hasAlert(a.id) && !gone(a.person)) lost(`template alert ${a.id}`);
    for (const c of spec.template.crops) if (!rows.hasCrop(c) && !gone(c)) lost(`template crop ${c}`);
    for (const line of journal) {
      const [tag, kind, id, extra] = line.split(' ') as [string, string, string, string | undefined];
      if (tag !== 'ACK') continue;
      check.acks++;
      switch (kind) {
        case 'member': {
          const v = vectorsOf.get(id);
          if (!members.has(id)) {
            if (!tried.has(id)) lost(`acknowledged member ${id}`);
          } else if (v?.shots !== Number(extra) || v.centroids !== 1) {
            lost(`member ${id}: ${v?.shots ?? 0} of ${extra} acknowledged face vectors`);
          }
          if (!audited('member_registered', id)) lost(`audit entry of enrolling ${id}`);
          break;
        }
        case 'appearance':
          if (!rows.hasAppearance(Number(id), extra) && !gone(extra!))
            lost(`acknowledged appearance ${id} of ${extra}`);
          break;
        case 'unknown':
          if (!unknowns.has(id) && !gone(id)) lost(`acknowledged unknown person ${id}`);
          if (!audited('unknown_detected', id)) lost(`audit entry of detecting ${id}`);
          break;
        case 'crop':
          if (!rows.hasCrop(id) && !gone(id)) lost(`acknowledged crop of ${id}`);
          break;
        case 'alert': {
          const person = extra === '-' ? null : extra!;
          if (!rows.hasAlert(Number(id)) && !gone(person)) lost(`acknowledged alert ${id}`);
          break;
        }
        case 'erased': {
          if (exists(id)) lost(`acknowledged erasure of ${id}: the person is still there`);
          const traces = rows.traces(id);
          if (traces) check.orphans.push(`${traces} rows of erased ${id}`);
          if (!audited('member_deleted', id) && !audited('subject_erased', id))
            lost(`audit entry of erasing ${id}`);
          break;
        }
        default:
          lost(`unreadable journal line "${line}"`);
      }
    }
    return check;
  } finally {
    engine.close();
  }
}

function runWorker(
  workload: Workload,
  dataDir: string,
  seed: number,
  specPath: string,
  killAfterMs: number,
): Promise<VictimResult> {
  return runVictim(workerScript(), [workload, dataDir, String(seed), specPath], killAfterMs);
}

export interface VictimResult {
  /** Whole lines it printed (a line cut off by the kill was never acknowledged). */
  journal: string[];
  killed: boolean;
  error: string | null;
}

/**
 * Runs one built worker script (`node SCRIPT ARGS…`) that prints READY, then ACK lines after
 * each durable write, and DONE when it finishes; SIGKILLs it `killAfterMs` after READY.
 */
export function runVictim(script: string, args: string[], killAfterMs: number): Promise<VictimResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let killed = false;
    let timer: NodeJS.Timeout | undefined;
    // A worker that never gets ready (or hangs) is killed and reported.
    const deadline = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!timer && out.startsWith('READY\n')) {
        timer = setTimeout(() => {
          killed = child.exitCode === null;
          child.kill('SIGKILL');
        }, killAfterMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(deadline);
      // A line cut off by the kill was never acknowledged.
      const journal = out
        .slice(0, out.lastIndexOf('\n') + 1)
        .split('\n')
        .filter(Boolean);
      const ok = (killed && signal === 'SIGKILL') || (code === 0 && journal.at(-1) === 'DONE');
      resolve({ journal, killed, error: ok ? null : `exit ${code ?? signal}: ${err.trim()}` });
    });
  });
}

/** Prepares the template, then runs, kills and checks `runs` workers, round-robin over the workloads. */
export async function runCrashHarness(opts: CrashOptions): Promise<CrashSummary> {
  const workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), 'vigil-crash-'));
  mkdirSync(workDir, { recursive: true });
  const templateDir = join(workDir, 'template');
  mkdirSync(templateDir, { recursive: true });
  const spec = await prepareTemplate(templateDir, opts.assetsDir);
  const specPath = join(templateDir, 'spec.json');
  const workloads = opts.workloads ?? WORKLOADS;
  const [minDelay, maxDelay] = opts.killDelayMs ?? [50, 1500];
  const summary: CrashSummary = {
    seed: opts.seed,
    runs: 0,
    killed: 0,
    integrity_failures: 0,
    records_lost: 0,
    half_enrolled: 0,
    orphans: 0,
    worker_errors: 0,
    acked: 0,
    by_workload: {
      enroll: { runs: 0, killed: 0, acked: 0 },
      storm: { runs: 0, killed: 0, acked: 0 },
      erase: { runs: 0, killed: 0, acked: 0 },
    },
    failures: [],
  };
  const one = async (run: number): Promise<void> => {
    const workload = workloads[run % workloads.length]!;
    const seed = (opts.seed + Math.imul(run + 1, 0x9e3779b1)) >>> 0;
    const killAfterMs = Math.round(minDelay + mulberry32(seed ^ 0x5bd1e995)() * (maxDelay - minDelay));
    const dataDir = join(workDir, `run-${run}-${workload}`);
    cpSync(join(templateDir, 'data'), dataDir, { recursive: true });
    const t0 = Date.now();
    const w = await runWorker(workload, dataDir, seed, specPath, killAfterMs);
    let check: StoreCheck;
    try {
      check = checkStore(dataDir, spec, w.journal);
    } catch (e) {
      // A store that cannot even be reopened is the worst integrity failure.
      const why = `cannot be reopened: ${(e as Error).message}`;
      check = {
        integrity: why,
        audit: { ok: false, rows: 0, firstBad: null },
        acks: 0,
        lost: [],
        halfEnrolled: [],
        orphans: [],
      };
    }
    const result: RunResult = {
      run,
      workload,
      seed,
      killed: w.killed,
      killAfterMs,
      ms: Date.now() - t0,
      check,
      workerError: w.error,
      dataDir,
    };
    const s = summary;
    s.runs++;
    s.by_workload[workload].runs++;
    if (w.killed) {
      s.killed++;
      s.by_workload[workload].killed++;
    }
    s.acked += check.acks;
    s.by_workload[workload].acked += check.acks;
    const integrityOk = check.integrity === 'ok' && check.audit.ok;
    if (!integrityOk) s.integrity_failures++;
    s.records_lost += check.lost.length;
    s.half_enrolled += check.halfEnrolled.length;
    s.orphans += check.orphans.length;
    if (w.error) s.worker_errors++;
    const problems = [
      ...(integrityOk
        ? []
        : [
            `integrity ${check.integrity}, audit chain ${check.audit.ok ? 'ok' : `broken at row ${check.audit.firstBad}`}`,
          ]),
      ...check.lost.map((l) => `lost: ${l}`),
      ...check.halfEnrolled.map((h) => `half enrolled: ${h}`),
      ...check.orphans.map((o) => `orphan: ${o}`),
      ...(w.error ? [`worker failed: ${w.error}`] : []),
    ];
    if (problems.length === 0) rmSync(dataDir, { recursive: true, force: true });
    else if (s.failures.length < 20)
      s.failures.push(
        `run ${run} (${workload}, seed ${seed}, data ${dataDir}): ${problems.slice(0, 5).join('; ')}`,
      );
    opts.onRun?.(result);
  };
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, opts.parallel ?? 1) }, async () => {
    while (next < opts.runs) await one(next++);
  });
  await Promise.all(lanes);
  // A folder of our own is removed when nothing failed (failed runs' folders are kept to inspect).
  if (!opts.workDir && summary.failures.length === 0) rmSync(workDir, { recursive: true, force: true });
  return summary;
}
