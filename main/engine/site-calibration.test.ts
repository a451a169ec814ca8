import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeImage } from '../photo/image.js';
import { dot } from '../match/similarity.js';
import { readConfig } from '../store/config.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { analyseImage, largestFace } from './analyze.js';
import { Engine } from './engine.js';
import { applyThreshold, calibrate, siteScores } from './site-calibration.js';

const people = (): string[] => readdirSync(asset('faces', 'celeba')).sort();
const photos = (p: string): string[] =>
  readdirSync(asset('faces', 'celeba', p))
    .sort()
    .map((f) => asset('faces', 'celeba', p, f));

describeWithAssets('site calibration on real faces', () => {
  let dir: string;
  let engine: Engine;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-calibrate-'));
    engine = Engine.open({ dataDir: dir, encryptStore: false });
  });
  afterAll(() => {
    engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says what it needs instead of a threshold when there are too few members', async () => {
    await engine.enroll({ name: 'First' }, photos(people()[0]!).slice(0, 4));
    const c = calibrate(siteScores(engine.store), 0.01, 0.42);
    expect(c.threshold).toBeNull();
    expect(c.det).toEqual([]);
    expect(c.needs).toMatch(/4 more member/);
  }, 120_000);

  it('recommends a threshold whose FAR on held-back impostors is within 2× of the requested one', async () => {
    const all = people();
    // Members: the first 14 people (the one above included), 5 photos each. Held back: 14 others.
    for (const p of all.slice(1, 14)) await engine.enroll({ name: p }, photos(p).slice(0, 5));
    const far = 0.02;
    const c = calibrate(siteScores(engine.store), far, engine.thresholds().recognition);
    expect(c.needs).toBeNull();
    expect(c.threshold).not.toBeNull();
    expect(c.expected_accept_rate!).toBeGreaterThan(0.5);
    expect(c.det.length).toBeGreaterThan(10);

    const models = await engine.loadModels();
    const members = engine.store.sql.prepare('SELECT member_id FROM members').pluck().all() as string[];
    const shots = members.map((m) =>
      engine.store.vectors
        .vectorsOf('member', m)
        .filter((v) => !v.isCentroid)
        .map((v) => v.vector),
    );
    let pairs = 0;
    let accepted = 0;
    for (const p of all.slice(40, 54)) {
      for (const f of photos(p).slice(0, 6)) {
        const face = largestFace(await analyseImage(models, await decodeImage(f)));
        if (!face) continue;
        for (const s of shots) {
          pairs++;
          if (Math.max(...s.map((v) => dot(face.embedding, v))) >= c.threshold!) accepted++;
        }
      }
    }
    expect(pairs).toBeGreaterThan(500);
    const measured = accepted / pairs;
    expect(measured).toBeLessThanOrEqual(2 * far);
    expect(measured).toBeGreaterThanOrEqual(far / 2);
  }, 600_000);

  it('applies a threshold globally through the thresholds setting, audited', () => {
    applyThreshold(engine, 0.47, { actor: 'test', far: 0.01 });
    expect(readConfig(engine.store.sql, 'thresholds')[engine.recognizer.id]?.recognition).toBe(0.47);
    expect(engine.thresholds().recognition).toBe(0.47);
    const audit = engine.store.sql
      .prepare("SELECT details FROM audit_log WHERE action = 'threshold_calibrated'")
      .pluck()
      .get() as string;
    expect(JSON.parse(audit)).toMatchObject({ threshold: 0.47, far: 0.01 });
    expect(() => applyThreshold(engine, 1.5, { actor: 'test' })).toThrow(/between 0 and 1/);
  });
});
