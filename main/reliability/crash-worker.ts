/**
 * One victim of the crash harness (see crash-harness.ts): opens a data folder and writes to it
 * as the engine does until it is killed with SIGKILL. After each write has committed it prints
 * one journal line on stdout, synchronously, so whatever the parent read was acknowledged:
 *   READY                              models loaded, photos read: the kill timer may start
 *   ACK member MEMBER_x 2              enrolled with 2 face vectors (and a centroid)
 *   ACK appearance 123 MEMBER_x        an appearance row of that person
 *   ACK unknown UNKNOWN_x              a new unknown person
 *   ACK crop UNKNOWN_x                 that person's encrypted crop
 *   ACK alert 45 UNKNOWN_x             an alert row (person '-' when none)
 *   TRY erase MEMBER_x delete          an erasure starts (it may or may not commit)
 *   ACK erased MEMBER_x                it committed
 *   DONE                               nothing left to do (not killed)
 * Usage: node crash-worker.js WORKLOAD DATA_DIR SEED SPEC_JSON
 */
import { readFileSync, writeSync } from 'node:fs';
import { decodeImage } from '../photo/image.js';
import { Engine } from '../engine/engine.js';
import { isVigilError } from '../errors.js';
import { eraseSubject } from '../services/subjects.js';
import { mulberry32 } from '../util/random.js';
import type { CrashSpec, Workload } from './crash-harness.js';
import { SightingWriter } from './sighting-writer.js';

const say = (line: string): void => {
  // A synchronous write to the pipe: once it returns, the line is the parent's to read.
  writeSync(1, `${line}\n`);
};

const [workload, dataDir, seedArg, specPath] = process.argv.slice(2) as [Workload, string, string, string];
const spec = JSON.parse(readFileSync(specPath, 'utf8')) as CrashSpec;
const rand = mulberry32(Number(seedArg));
const engine = Engine.open({ dataDir, passphrase: spec.passphrase, actor: 'harness' });

async function sightings(): Promise<SightingWriter> {
  const frame = (await decodeImage(spec.cropSource.path)).image;
  return new SightingWriter(engine, frame, spec.cropSource.box, rand, say);
}

async function enrollLoop(): Promise<void> {
  await engine.loadModels();
  const groups = spec.photoGroups.map((g) => g.map((path) => ({ label: path, data: readFileSync(path) })));
  say('READY');
  for (let i = 0; ; i++) {
    const group = groups[Math.floor(rand() * groups.length)]!;
    const photos = group.slice(0, 1 + Math.floor(rand() * group.length));
    try {
      const r = await engine.enroll({ name: `Crash member ${seedArg}-${i}` }, photos);
      say(`ACK member ${r.member_id} ${r.embeddings_count}`);
    } catch (e) {
      if (!isVigilError(e)) throw e;
    }
  }
}

async function stormLoop(): Promise<void> {
  const writer = await sightings();
  say('READY');
  for (let i = 0; i < 20_000; i++) await writer.next();
}

async function eraseLoop(): Promise<void> {
  const writer = await sightings();
  const subjects = engine.store.inspection.subjectIds();
  subjects.sort();
  for (let i = subjects.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [subjects[i], subjects[j]] = [subjects[j]!, subjects[i]!];
  }
  say('READY');
  for (const id of subjects) {
    // The pipeline keeps writing while people are erased.
    for (let k = Math.floor(rand() * 3); k > 0; k--) await writer.next();
    const how = id.startsWith('MEMBER_') && rand() < 0.5 ? 'delete' : 'erase';
    say(`TRY erase ${id} ${how}`);
    if (how === 'delete') engine.deleteMember(id, 'harness');
    else eraseSubject(engine, id, 'harness');
    say(`ACK erased ${id}`);
  }
}

const loops: Record<Workload, () => Promise<void>> = {
  enroll: enrollLoop,
  storm: stormLoop,
  erase: eraseLoop,
};
await loops[workload]();
engine.close();
say('DONE');
