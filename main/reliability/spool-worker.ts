/**
 * One victim of the spool harness (spool-harness.ts): writes live sightings, extensions, strangers
 * and alerts through the engine's BufferedWriter while the store is away (or comes and goes, and
 * loses commit answers), until it is killed with SIGKILL; or replays a spool left by such a run.
 * After each write the writer acknowledged (made in the store, or sealed in the spool and on the
 * disk) it prints one line on stdout, synchronously:
 *   READY                         the kill timer may start
 *   ACK sighting I                a member sighting first seen at T0 + I s
 *   ACK extend J MS               sighting J's end moved to T0 + MS ms (at least)
 *   ACK unknown I UNKNOWN_x       a new stranger, first seen at T0 + I s
 *   ACK alert I                   the alert whose message ends with "#I"
 *   DONE                          nothing left to do (not killed)
 * Usage: node spool-worker.js write|mixed|flush DATA_DIR SEED
 *   write: the store is away throughout; mixed: it is here, away, or loses answers, at random,
 *   with flushes between; flush: the store is here and the writer replays what it finds.
 */
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { BufferedWriter } from '../engine/buffered-writer.js';
import { Engine } from '../engine/engine.js';
import { planUnknownSighting, type Bbox } from '../engine/sightings.js';
import { awayStore } from '../testing/away-store.js';
import { mulberry32 } from '../util/random.js';
import { SPOOL_CAMERA, SPOOL_MEMBER, SPOOL_T0 } from './spool-harness.js';

const say = (line: string): void => {
  // A synchronous write to the pipe: once it returns, the line is the parent's to read. The pipe
  // may be full for a moment (EAGAIN): wait for the parent to read, never drop the line.
  const buf = Buffer.from(`${line}\n`);
  for (let off = 0; off < buf.length;) {
    try {
      off += writeSync(1, buf, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }
};

const [mode, dataDir, seedArg] = process.argv.slice(2) as ['write' | 'mixed' | 'flush', string, string];
const rand = mulberry32(Number(seedArg));
const engine = Engine.open({ dataDir, actor: 'harness' });
const away = awayStore(engine, mode === 'write' ? 'down' : 'up');
const writer = new BufferedWriter(away.engine, { dir: join(dataDir, 'spool'), retryMs: 3_600_000 });
const bbox: Bbox = [10, 10, 90, 110];
const at = (i: number) => SPOOL_T0 + i * 1000;

function randomFace(dim: number): Float32Array {
  const v = new Float32Array(dim);
  let n = 0;
  for (let i = 0; i < dim; i++) {
    v[i] = rand() * 2 - 1;
    n += v[i]! * v[i]!;
  }
  n = Math.sqrt(n);
  for (let i = 0; i < dim; i++) v[i]! /= n;
  return v;
}

say('READY');
if (mode === 'flush') {
  writer.flush();
} else {
  const mine: { i: number; id: number }[] = [];
  for (let i = 0; i < 20_000; i++) {
    // A node writes between frames: the event loop turns (the audit anchor follows its chain).
    await new Promise((resolve) => setImmediate(resolve));
    if (mode === 'mixed') {
      const r = rand();
      if (r < 0.08) away.mode = 'lose-ack';
      else if (r < 0.16) away.mode = 'down';
      else if (r < 0.3) {
        away.mode = 'up';
        writer.flush();
      }
    }
    const r = rand();
    if (r < 0.4 || mine.length === 0) {
      const id = writer.recordMember({
        memberId: SPOOL_MEMBER,
        cameraId: SPOOL_CAMERA,
        firstSeen: at(i),
        lastSeen: at(i) + 200,
        similarity: 0.8,
        bbox,
      });
      if (id === undefined) continue;
      mine.push({ i, id });
      say(`ACK sighting ${i}`);
    } else if (r < 0.6) {
      const open = mine[Math.floor(rand() * mine.length)]!;
      const end = open.i * 1000 + 300 + i;
      writer.extend({ appearanceId: open.id, kind: 'member', personId: SPOOL_MEMBER }, SPOOL_T0 + end);
      say(`ACK extend ${open.i} ${end}`);
    } else if (r < 0.8) {
      const face = randomFace(engine.store.vectors.dim);
      const s = {
        cameraId: SPOOL_CAMERA,
        firstSeen: at(i),
        lastSeen: at(i) + 400,
        bbox,
        shots: [{ embedding: face, quality: 0.9 }],
        nearest: writer.nearestUnknown(face),
        unknownThreshold: 0.99,
      };
      const plan = planUnknownSighting(s);
      if (writer.recordUnknown(s, plan) === undefined) continue;
      say(`ACK unknown ${i} ${plan.unknownId}`);
    } else {
      writer.insertAlert({
        type: 'camera_offline',
        priority: 'high',
        personKind: null,
        personId: null,
        cameraId: SPOOL_CAMERA,
        message: `Camera ${SPOOL_CAMERA} is offline #${i}`,
        createdAt: new Date(at(i)).toISOString(),
      });
      say(`ACK alert ${i}`);
    }
  }
}
writer.close();
engine.close();
say('DONE');
