import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { packageRoot } from '../paths.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import {
  listImages,
  outOfSample,
  runProductPath,
  type ProbeResult,
  type ProductRun,
} from './product-path.js';

const CLI = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');
const PEOPLE = ['07201', '07203', '07205'];
const ENROLL = 3;
const PROBES = 2;

function vigil(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

interface CliFace {
  bbox: number[];
  candidates: { name: string; similarity: number }[];
}

describeWithAssets('bench:accuracy measures what the CLI does', () => {
  let dataset: string;
  let cliData: string;
  let run: ProductRun;
  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error('Build first (npm run build): the CLI runs from dist/.');
    // A small labelled folder of real photos: the same files for both paths.
    dataset = mkdtempSync(join(tmpdir(), 'vigil-acc-set-'));
    cliData = mkdtempSync(join(tmpdir(), 'vigil-acc-cli-'));
    for (const p of PEOPLE) {
      mkdirSync(join(dataset, p));
      for (const f of listImages(asset('faces', 'celeba', p)).slice(0, ENROLL + PROBES))
        symlinkSync(f, join(dataset, p, f.split('/').pop()!));
    }
    run = await runProductPath({ datasetDir: dataset, distractorDir: null, enrollCount: ENROLL });
  }, 240_000);
  afterAll(() => {
    rmSync(dataset, { recursive: true, force: true });
    rmSync(cliData, { recursive: true, force: true });
  });

  it('enroll → identify through the CLI gives the bench path its top candidate and similarity', () => {
    for (const p of PEOPLE) {
      const photos = listImages(join(dataset, p)).slice(0, ENROLL);
      vigil(['enroll', '--data-dir', cliData, '--name', p, '--json', ...photos]);
    }
    expect(run.enrolled.size).toBe(PEOPLE.length);
    expect(run.probes).toHaveLength(PEOPLE.length * PROBES);
    for (const probe of run.probes) {
      const [out] = vigil(['identify', '--data-dir', cliData, '--json', probe.image]);
      const faces = (out as { faces: CliFace[] }).faces;
      const area = (f: CliFace) => (f.bbox[2]! - f.bbox[0]!) * (f.bbox[3]! - f.bbox[1]!);
      const subject = [...faces].sort((a, b) => area(b) - area(a))[0]!;
      expect(probe.top).not.toBeNull();
      expect(subject.candidates[0]!.name).toBe(probe.top!.person);
      expect(subject.candidates[0]!.similarity).toBeCloseTo(probe.top!.similarity, 4);
    }
  }, 240_000);

  // Runs on the folder the test above enrolled through the CLI.
  it('vigil calibrate says how many more members it needs on this small site', () => {
    const r = spawnSync(
      process.execPath,
      [CLI, 'calibrate', '--data-dir', cliData, '--far', '0.01', '--json'],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ far: 0.01, threshold: null, expected_accept_rate: null });
    // Each stored shot against its owner's other shots, and against every other member.
    expect(out.genuine_pairs).toBeGreaterThan(0);
    expect(out.genuine_pairs).toBeLessThanOrEqual(PEOPLE.length * ENROLL);
    expect(out.impostor_pairs).toBeGreaterThanOrEqual(Number(out.genuine_pairs) * (PEOPLE.length - 1));
    expect(typeof out.current_threshold).toBe('number');
    expect(out.needs).toMatch(/2 more member/);
    const bad = spawnSync(process.execPath, [CLI, 'calibrate', '--data-dir', cliData, '--far', '2'], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^vigil: --far takes a rate between 0 and 1/);
  });

  it('reports thresholds calibrated on people it does not report', () => {
    const fig = outOfSample(run, 0.01, 'split');
    // Half the people calibrate: the reported probes are only the other half's.
    expect(fig.reportedProbes).toBeGreaterThan(0);
    expect(fig.reportedProbes).toBeLessThan(run.probes.length);
    const k = outOfSample(run, 0.01, 'k-fold');
    expect(k.reportedProbes).toBe(run.probes.length);
  });

  it('calibrates on the distractors alone when asked: known probes’ wrong members then do not count', () => {
    // Figures alone (no models): 20 people, 400 distractor identities with spread-out scores.
    const probe = (i: number, impostor: number): ProbeResult => ({
      truth: `p${i % 20}`,
      image: `p${i}.jpg`,
      top: { person: `p${i % 20}`, similarity: 0.6 },
      impostor,
    });
    const distractors: ProbeResult[] = Array.from({ length: 400 }, (_, i) => ({
      truth: null,
      image: `d${i}.jpg`,
      top: { person: 'p0', similarity: i / 1000 },
      impostor: null,
    }));
    const strangersLike = {
      ...run,
      probes: Array.from({ length: 100 }, (_, i) => probe(i, 0.1)),
      distractors,
    };
    const lookAlikes = { ...run, probes: Array.from({ length: 100 }, (_, i) => probe(i, 0.55)), distractors };
    const alone = outOfSample(strangersLike, 0.01, 'k-fold', 5, 'distractors');
    expect(alone.threshold).toBeGreaterThan(0.38);
    expect(outOfSample(lookAlikes, 0.01, 'k-fold', 5, 'distractors').threshold).toBe(alone.threshold);
    // Counted ('all', the headline), look-alike probes push the threshold above every distractor.
    expect(outOfSample(lookAlikes, 0.01, 'k-fold').threshold).toBeGreaterThan(0.5);
  });
});
