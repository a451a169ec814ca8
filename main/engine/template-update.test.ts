import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeImage } from '../photo/image.js';
import { dot } from '../match/similarity.js';
import { writeConfig } from '../store/config.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { analyseImage, largestFace, type AnalysedFace } from './analyze.js';
import { Engine } from './engine.js';
import { CONFIDENT_MARGIN, learnFromSighting, revertTemplateUpdate } from './template-update.js';

const photos = (p: string): string[] =>
  readdirSync(asset('faces', 'celeba', p))
    .sort()
    .map((f) => asset('faces', 'celeba', p, f));

/** Unit vector at cosine `c` to unit `a`, in the plane of `a` and `b`. */
function atCosine(a: Float32Array, b: Float32Array, c: number): Float32Array {
  const d = dot(a, b);
  const perp = b.map((v, i) => v - d * a[i]!);
  const n = Math.hypot(...perp);
  return a.map((v, i) => c * v + Math.sqrt(1 - c * c) * (perp[i]! / n));
}

describeWithAssets('templates learnt from live sightings', () => {
  let dir: string;
  let engine: Engine;
  let memberId: string;
  let faces: AnalysedFace[];
  let stranger: AnalysedFace;
  const shots = () => engine.store.vectors.vectorsOf('member', memberId).filter((v) => !v.isCentroid);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-template-'));
    engine = Engine.open({ dataDir: dir, encryptStore: false });
    writeConfig(engine.store.sql, 'max_embeddings_per_person', 4);
    const own = photos('07201');
    memberId = (await engine.enroll({ name: 'Ann' }, own.slice(0, 3))).member_id;
    await engine.enroll({ name: 'Bob' }, photos('07205').slice(0, 3));
    const models = await engine.loadModels();
    const analyse = async (f: string) => largestFace(await analyseImage(models, await decodeImage(f)))!;
    faces = [];
    for (const f of own.slice(3)) faces.push(await analyse(f));
    stranger = await analyse(photos('07203')[0]!);
  }, 120_000);
  afterAll(() => {
    engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses impostor sightings just below, at and just above the threshold', () => {
    const t = engine.thresholds();
    const center = engine.store.vectors.vectorsOf('member', memberId).find((v) => v.isCentroid)!.vector;
    const before = shots().length;
    for (const c of [t.recognition - 0.02, t.recognition, t.recognition + CONFIDENT_MARGIN / 2]) {
      // A stranger's real embedding pulled until it scores c against the member's centroid.
      const embedding = atCosine(center, stranger.embedding, c);
      const out = learnFromSighting(
        engine.store,
        { memberId, embedding, quality: stranger.quality, appearanceId: null },
        t,
      );
      expect(out.updated).toBe(false);
    }
    // The stranger's own face, attributed to the member by mistake, teaches nothing either.
    expect(
      learnFromSighting(
        engine.store,
        { memberId, embedding: stranger.embedding, quality: stranger.quality, appearanceId: null },
        t,
      ).updated,
    ).toBe(false);
    expect(shots()).toHaveLength(before);
  });

  it('never learns from a sighting an operator corrected', () => {
    const f = faces.find((x) => dot(x.embedding, shots()[0]!.vector) > 0.6) ?? faces[0]!;
    const out = learnFromSighting(
      engine.store,
      { memberId, embedding: f.embedding, quality: f.quality, appearanceId: 7, corrected: true },
      engine.thresholds(),
    );
    expect(out).toEqual({ updated: false, reason: 'corrected by an operator' });
  });

  it('learns confident sightings within max_embeddings_per_person, audited and reversible', () => {
    const t = engine.thresholds();
    let learnt = 0;
    let lastAdded = 0;
    for (const [i, f] of faces.entries()) {
      const out = learnFromSighting(
        engine.store,
        { memberId, embedding: f.embedding, quality: f.quality, appearanceId: 100 + i },
        t,
      );
      if (out.updated) {
        learnt++;
        lastAdded = out.added;
      }
      expect(shots().length).toBeLessThanOrEqual(4);
    }
    expect(learnt).toBeGreaterThan(0);
    const audits = engine.store.sql
      .prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'template_updated' AND subject = ?")
      .pluck()
      .get(memberId);
    expect(audits).toBe(learnt);
    const before = shots().map((s) => s.id);
    expect(before).toContain(lastAdded);
    expect(revertTemplateUpdate(engine.store, { embeddingId: lastAdded }, 'test')).toBe(1);
    const after = shots().map((s) => s.id);
    expect(after).not.toContain(lastAdded);
    expect(after.length).toBeGreaterThanOrEqual(before.length - 1);
  });
});
