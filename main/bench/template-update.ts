/**
 * Do templates learnt from live sightings help, and do they drift? Each person is enrolled from 3
 * photos with Engine.enroll; their next photos arrive as live sightings in file order and teach the
 * template through learnFromSighting exactly when the product would name them; their last photos
 * are probed before and after. LFW distractors arrive as sightings too: none may teach anyone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage } from '../photo/image.js';
import { analyseImage, largestFace, type AnalysedFace } from '../engine/analyze.js';
import { Engine } from '../engine/engine.js';
import { learnFromSighting } from '../engine/template-update.js';
import { VigilError } from '../errors.js';
import { benchArgs, round } from './args.js';
import { assetsDir } from './assets.js';
import { listImages, listPeople } from './product-path.js';

const args = benchArgs({
  dataset: { type: 'string', default: 'celeba' },
  people: { type: 'string', default: '150' },
  distractors: { type: 'string', default: '300' },
});
const datasetDir = join(assetsDir(), 'faces', args.dataset);
const dataDir = mkdtempSync(join(tmpdir(), 'vigil-template-bench-'));
const engine = Engine.open({ dataDir, passphrase: 'bench-template' });
try {
  const models = await engine.loadModels();
  const face = async (f: string): Promise<AnalysedFace | undefined> => {
    try {
      return largestFace(await analyseImage(models, await decodeImage(f)));
    } catch {
      return undefined;
    }
  };
  const sightings: { truth: string; face: AnalysedFace }[] = [];
  const probes: { truth: string; face: AnalysedFace | undefined }[] = [];
  const memberOf = new Map<string, string>();
  for (const p of listPeople(datasetDir).slice(0, Number(args.people))) {
    const files = listImages(join(datasetDir, p));
    try {
      const r = await engine.enroll({ name: p }, files.slice(0, 3));
      memberOf.set(r.member_id, p);
    } catch (e) {
      if (!(e instanceof VigilError)) throw e;
    }
    const rest = files.slice(3);
    const half = Math.ceil(rest.length / 2);
    for (const f of rest.slice(0, half)) {
      const x = await face(f);
      if (x) sightings.push({ truth: p, face: x });
    }
    for (const f of rest.slice(half)) probes.push({ truth: p, face: await face(f) });
  }
  const t = engine.thresholds();
  const score = () => {
    let right = 0;
    let accepted = 0;
    for (const pr of probes) {
      const top = pr.face && engine.store.vectors.searchPeople('member', pr.face.embedding, 1)[0];
      if (top && memberOf.get(top.personId) === pr.truth) {
        right++;
        if (top.similarity >= t.recognition) accepted++;
      }
    }
    return { rank1: right / probes.length, accepted: accepted / probes.length };
  };
  const before = score();
  let named = 0;
  let learnt = 0;
  let wrong = 0;
  for (const s of sightings) {
    const top = engine.store.vectors.searchPeople('member', s.face.embedding, 1)[0];
    if (!top || top.similarity < t.recognition) continue;
    named++;
    const out = learnFromSighting(
      engine.store,
      {
        memberId: top.personId,
        embedding: s.face.embedding,
        quality: s.face.quality,
        appearanceId: null,
      },
      t,
    );
    if (out.updated) {
      learnt++;
      if (memberOf.get(top.personId) !== s.truth) wrong++;
    }
  }
  const after = score();
  let strangersNamed = 0;
  let strangersLearnt = 0;
  const lfw = join(assetsDir(), 'faces', 'lfw_distractors');
  for (const d of listPeople(lfw).slice(0, Number(args.distractors))) {
    for (const f of listImages(join(lfw, d))) {
      const x = await face(f);
      const top = x && engine.store.vectors.searchPeople('member', x.embedding, 1)[0];
      if (!x || !top || top.similarity < t.recognition) continue;
      strangersNamed++;
      const out = learnFromSighting(
        engine.store,
        {
          memberId: top.personId,
          embedding: x.embedding,
          quality: x.quality,
          appearanceId: null,
        },
        t,
      );
      if (out.updated) strangersLearnt++;
    }
  }
  console.log(
    `people             ${memberOf.size} enrolled from 3 photos; ${sightings.length} sightings, ${probes.length} probes`,
  );
  console.log(
    `before             rank-1 ${round(before.rank1)}, accepted at ${t.recognition} ${round(before.accepted)}`,
  );
  console.log(`sightings          ${named} named, ${learnt} taught a template (${wrong} the wrong member)`);
  console.log(
    `after              rank-1 ${round(after.rank1)}, accepted at ${t.recognition} ${round(after.accepted)}`,
  );
  console.log(
    `strangers          ${strangersNamed} LFW faces named as a member, ${strangersLearnt} taught a template`,
  );
  console.log(
    JSON.stringify({
      people: memberOf.size,
      sightings: sightings.length,
      probes: probes.length,
      rank1_before: round(before.rank1),
      rank1_after: round(after.rank1),
      accept_before: round(before.accepted),
      accept_after: round(after.accepted),
      learnt,
      learnt_wrong_member: wrong,
      strangers_named: strangersNamed,
      strangers_learnt: strangersLearnt,
    }),
  );
} finally {
  engine.close();
  rmSync(dataDir, { recursive: true, force: true });
}
