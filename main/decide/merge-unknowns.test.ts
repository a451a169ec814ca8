import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { l2normalize } from '../embed/arcface.js';
import { insertAppearance } from '../store/appearances.js';
import { verifyAudit } from '../store/audit.js';
import { openDatabase } from '../store/open.js';
import { insertUnknown, listUnknowns } from '../store/unknowns.js';
import { Store } from '../store/store.js';
import { VectorStore } from '../store/vectors.js';
import { mulberry32 } from '../util/random.js';
import { mergeUnknownFragments } from './merge-unknowns.js';

const DIM = 64;
const rand = mulberry32(7);
const person = () => l2normalize(Float32Array.from({ length: DIM }, () => rand() - 0.5));
/** Another view of the same face: the person's vector plus noise (cosine ≈ 0.8). */
const view = (p: Float32Array) => l2normalize(p.map((v) => v + (rand() - 0.5) * 0.12));

describe('merging unknown fragments', () => {
  it('stitches fragments of one stranger together and leaves different people apart', () => {
    const db = openDatabase(mkdtempSync(join(tmpdir(), 'vigil-merge-')), {
      recognizerId: 'r',
      embeddingDim: DIM,
    });
    const vs = new VectorStore(db, DIM);
    const store = new Store(db, vs);
    const alice = person();
    const bob = person();
    const add = (id: string, cam: string, at: string, shots: Float32Array[], seen: number) => {
      insertUnknown(db, id, at, cam, 0.8, 'r');
      for (let k = 1; k < seen; k++) {
        db.prepare(
          'UPDATE unknown_persons SET appearance_count = appearance_count + 1 WHERE unknown_id = ?',
        ).run(id);
      }
      for (const s of shots) vs.add('unknown', id, s, { quality: 0.8 });
      insertAppearance(db, {
        person_kind: 'unknown',
        person_id: id,
        camera_id: cam,
        source: 'camera',
        first_seen: at,
        last_seen: at,
        confidence: 0.9,
        bbox: [0, 0, 1, 1],
      });
    };
    add('UNKNOWN_A1', 'hall', '2026-11-28T10:00:00.000Z', [view(alice), view(alice), view(alice)], 3);
    add('UNKNOWN_A2', 'lobby', '2026-11-28T09:00:00.000Z', [view(alice)], 1);
    add('UNKNOWN_B1', 'hall', '2026-11-28T11:00:00.000Z', [view(bob), view(bob)], 2);
    const merged = mergeUnknownFragments(store, 0.45, 5);
    expect(merged).toEqual([{ kept: 'UNKNOWN_A1', merged: 'UNKNOWN_A2', similarity: expect.any(Number) }]);
    const rows = listUnknowns(db);
    expect(rows.map((r) => r.unknown_id).sort()).toEqual(['UNKNOWN_A1', 'UNKNOWN_B1']);
    const a = rows.find((r) => r.unknown_id === 'UNKNOWN_A1')!;
    expect(a.appearance_count).toBe(4);
    expect(JSON.parse(a.cameras)).toEqual(['hall', 'lobby']);
    expect(a.first_seen).toBe('2026-11-28T09:00:00.000Z');
    expect(vs.vectorsOf('unknown', 'UNKNOWN_A1')).toHaveLength(4);
    expect(vs.vectorsOf('unknown', 'UNKNOWN_A2')).toHaveLength(0);
    expect(db.prepare("SELECT COUNT(*) FROM appearances WHERE person_id = 'UNKNOWN_A2'").pluck().get()).toBe(
      0,
    );
    expect(vs.searchPeople('unknown', view(alice), 1)[0]!.personId).toBe('UNKNOWN_A1');
    expect(mergeUnknownFragments(store, 0.45, 5)).toEqual([]);
    expect(verifyAudit(db).ok).toBe(true);
  });
});
