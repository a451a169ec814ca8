/**
 * Recognition accuracy measured through the product: members are enrolled with Engine.enroll (the
 * code behind `vigil enroll`: quality gate, photo selection, stored shots and centroid) into a
 * real encrypted store, and every probe is identified with Engine.identify (the code behind
 * `vigil identify`: prefilter, exact rescoring, bands). Nothing here embeds or matches by itself.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, type IdentifiedFace } from '../engine/engine.js';
import { largestFace } from '../engine/analyze.js';
import { VigilError } from '../errors.js';
import { rateAtOrAbove, thresholdAtFar } from '../decide/far.js';

const IMAGE = /\.(jpe?g|png|webp|bmp|tiff?)$/i;

export function listImages(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => IMAGE.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export function listPeople(dir: string): string[] {
  return readdirSync(dir)
    .filter((d) => statSync(join(dir, d)).isDirectory())
    .sort();
}

/** One identified probe: the top member candidate of its largest face, null when no face was found. */
export interface ProbeResult {
  /** The person the photo shows (folder name), null for a distractor. */
  truth: string | null;
  image: string;
  top: { person: string; similarity: number } | null;
  /** Best similarity to a member who is not `truth` (an impostor comparison). */
  impostor: number | null;
}

export interface ProductRun {
  enrolled: Map<string, string>;
  enrollFailures: number;
  rejectedPhotos: number;
  rejectReasons: Map<string, number>;
  probes: ProbeResult[];
  distractors: ProbeResult[];
}

/** The subject of a labelled photo is its largest face (as in the datasets' own labels). */
export function subjectFace(faces: IdentifiedFace[]): IdentifiedFace | undefined {
  return largestFace(faces.map((f) => ({ ...f, box: f.bbox }))) as IdentifiedFace | undefined;
}

function probeResult(
  truth: string | null,
  image: string,
  faces: IdentifiedFace[],
  personOf: Map<string, string>,
): ProbeResult {
  const face = subjectFace(faces);
  const cands = (face?.candidates ?? []).map((c) => ({
    person: personOf.get(c.member_id) ?? c.member_id,
    similarity: c.similarity,
  }));
  const top = cands[0] ?? null;
  const impostor = cands.find((c) => c.person !== truth)?.similarity ?? null;
  return { truth, image, top, impostor };
}

export interface ProductRunOptions {
  datasetDir: string;
  distractorDir: string | null;
  enrollCount: number;
  people?: number;
  pack?: string;
  /** Called after every 25 people, for progress on stderr. */
  progress?: (done: number, total: number) => void;
}

/**
 * Enrolls the first `enrollCount` photos of each person through Engine.enroll, then identifies
 * every other photo and every distractor through Engine.identify, in a fresh encrypted data folder
 * that is deleted afterwards.
 */
export async function runProductPath(opts: ProductRunOptions): Promise<ProductRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-accuracy-'));
  const engine = Engine.open({ dataDir, pack: opts.pack ?? 'default', passphrase: 'bench-accuracy' });
  try {
    let people = listPeople(opts.datasetDir);
    if (opts.people) people = people.slice(0, opts.people);
    const enrolled = new Map<string, string>();
    const personOf = new Map<string, string>();
    const rejectReasons = new Map<string, number>();
    let enrollFailures = 0;
    let rejectedPhotos = 0;
    const probeFiles: { person: string; file: string }[] = [];
    for (const [i, person] of people.entries()) {
      const files = listImages(join(opts.datasetDir, person));
      const enrollFiles = files.slice(0, opts.enrollCount);
      for (const file of files.slice(opts.enrollCount)) probeFiles.push({ person, file });
      try {
        const r = await engine.enroll(
          { name: person, apartment: null, email: null, phone: null },
          enrollFiles,
        );
        enrolled.set(person, r.member_id);
        personOf.set(r.member_id, person);
        rejectedPhotos += r.rejected.length;
        for (const x of r.rejected) rejectReasons.set(x.reason, (rejectReasons.get(x.reason) ?? 0) + 1);
      } catch (e) {
        if (!(e instanceof VigilError)) throw e;
        enrollFailures++;
        rejectedPhotos += enrollFiles.length;
      }
      if ((i + 1) % 25 === 0) opts.progress?.(i + 1, people.length);
    }
    const identifyOne = async (truth: string | null, file: string): Promise<ProbeResult> => {
      try {
        return probeResult(truth, file, await engine.identify(file), personOf);
      } catch (e) {
        if (!(e instanceof VigilError)) throw e;
        return { truth, image: file, top: null, impostor: null };
      }
    };
    const probes: ProbeResult[] = [];
    for (const p of probeFiles) probes.push(await identifyOne(p.person, p.file));
    const distractors: ProbeResult[] = [];
    if (opts.distractorDir) {
      for (const d of listPeople(opts.distractorDir))
        for (const f of listImages(join(opts.distractorDir, d))) distractors.push(await identifyOne(null, f));
    }
    return { enrolled, enrollFailures, rejectedPhotos, rejectReasons, probes, distractors };
  } finally {
    engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export interface OpenSetFigures {
  rank1: number;
  accepted: number;
  distractorAccepted: number;
  /** Mean of the thresholds used (one per fold, or the single one of a split). */
  threshold: number;
  reportedProbes: number;
  reportedDistractors: number;
}

const correct = (r: ProbeResult): boolean => r.top !== null && r.top.person === r.truth;

/** Figures over `probes` and `distractors` at `threshold` (no face counts as a miss). */
export function figuresAt(
  probes: readonly ProbeResult[],
  distractors: readonly ProbeResult[],
  threshold: number,
): Omit<OpenSetFigures, 'threshold' | 'reportedProbes' | 'reportedDistractors'> {
  const n = Math.max(1, probes.length);
  return {
    rank1: probes.filter(correct).length / n,
    accepted: probes.filter((r) => correct(r) && r.top!.similarity >= threshold).length / n,
    distractorAccepted: rateAtOrAbove(
      distractors.map((d) => d.top?.similarity ?? -1),
      threshold,
    ),
  };
}

/**
 * Which impostor scores a threshold is calibrated on. 'all': every distractor's best member and
 * every known probe's best member other than themselves (the headline figure). 'distractors': the
 * distractors' only, the population the target's "distractors accepted" counts; a known probe's
 * best wrong member is a look-alike harder than a stranger, so 'all' asks for a higher threshold.
 */
export type ImpostorSet = 'all' | 'distractors';

/** The calibration part's impostor scores (see ImpostorSet). */
function impostorScores(
  probes: readonly ProbeResult[],
  distractors: readonly ProbeResult[],
  set: ImpostorSet,
): number[] {
  return [
    ...distractors.flatMap((d) => (d.top ? [d.top.similarity] : [])),
    ...(set === 'all' ? probes.flatMap((p) => (p.impostor !== null ? [p.impostor] : [])) : []),
  ];
}

const hash = (name: string): number => {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
};

/**
 * Folds of identities: shuffled by a stable hash (so folds do not follow folder order), then dealt
 * round-robin so every fold gets its share. A distractor photo is its own identity.
 */
function foldsOf(run: ProductRun, k: number): (r: ProbeResult) => number {
  const keyOf = (r: ProbeResult): string => r.truth ?? `distractor:${r.image}`;
  const fold = new Map<string, number>();
  const dealt = (keys: string[]): void =>
    [...new Set(keys)]
      .sort((a, b) => hash(a) - hash(b) || a.localeCompare(b))
      .forEach((key, i) => fold.set(key, i % k));
  dealt(run.probes.map(keyOf));
  dealt(run.distractors.map(keyOf));
  return (r) => fold.get(keyOf(r))!;
}

/**
 * Out-of-sample open-set figures. k-fold: people (and distractor identities) are split into k folds;
 * each fold is reported at the threshold calibrated, at `far`, on the other folds' impostor scores.
 * split: one half of the people calibrates, only the other half is reported.
 */
export function outOfSample(
  run: ProductRun,
  far: number,
  mode: 'k-fold' | 'split',
  k = 5,
  impostors: ImpostorSet = 'all',
): OpenSetFigures {
  const folds = mode === 'split' ? 2 : k;
  const personFold = foldsOf(run, folds);
  const reported = mode === 'split' ? [1] : [...Array(folds).keys()];
  let rank1 = 0;
  let accepted = 0;
  let distractorAccepted = 0;
  let thresholdSum = 0;
  let nProbes = 0;
  let nDistractors = 0;
  for (const f of reported) {
    const calib = (r: ProbeResult): boolean => personFold(r) !== f;
    const threshold = thresholdAtFar(
      impostorScores(run.probes.filter(calib), run.distractors.filter(calib), impostors),
      far,
    );
    const probes = run.probes.filter((r) => !calib(r));
    const distractors = run.distractors.filter((r) => !calib(r));
    const fig = figuresAt(probes, distractors, threshold);
    rank1 += fig.rank1 * probes.length;
    accepted += fig.accepted * probes.length;
    if (distractors.length > 0) distractorAccepted += fig.distractorAccepted * distractors.length;
    thresholdSum += threshold;
    nProbes += probes.length;
    nDistractors += distractors.length;
  }
  return {
    rank1: rank1 / Math.max(1, nProbes),
    accepted: accepted / Math.max(1, nProbes),
    distractorAccepted: nDistractors > 0 ? distractorAccepted / nDistractors : NaN,
    threshold: thresholdSum / reported.length,
    reportedProbes: nProbes,
    reportedDistractors: nDistractors,
  };
}
