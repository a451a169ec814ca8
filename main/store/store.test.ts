import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { l2normalize } from '../embed/arcface.js';
import { describeEachStore, freshStore, storeOpener } from '../testing/store-kinds.js';
import { appendAudit, verifyAudit } from './audit.js';
import { MIGRATIONS } from './migrations.js';
import { openDatabase, schemaVersion } from './open.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'vigil-store-'));
const rand = (dim: number, seed: number) => {
  let s = seed;
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    v[i] = s / 2 ** 31 - 0.5;
  }
  return l2normalize(v);
};

describe('store', () => {
  it('migrates once, binds the folder to its recognizer and refuses another', () => {
    const dir = fresh();
    const db = openDatabase(dir, { recognizerId: 'rec-a', embeddingDim: 8 });
    expect(schemaVersion(db)).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('secure_delete', { simple: true })).toBe(1);
    db.close();
    openDatabase(dir, { recognizerId: 'rec-a', embeddingDim: 8 }).close();
    expect(() => openDatabase(dir, { recognizerId: 'rec-b', embeddingDim: 8 })).toThrow(
      /holds faces enrolled with recognizer rec-a, but rec-b is selected/,
    );
  });
});

describeEachStore('store', (kind) => {
  it('hash-chains the audit log and names the first altered or removed row', async () => {
    const store = await freshStore(kind);
    const db = store.sql;
    for (let i = 0; i < 5; i++)
      appendAudit(db, { actor: 'cli', action: 'member_registered', subject: `M${i}` });
    expect(verifyAudit(db)).toEqual({ ok: true, rows: 5, firstBad: null });
    db.prepare("UPDATE audit_log SET subject = 'X' WHERE audit_id = 3").run();
    expect(verifyAudit(db)).toMatchObject({ ok: false, firstBad: 3 });
    db.prepare("UPDATE audit_log SET subject = 'M2' WHERE audit_id = 3").run();
    db.prepare('DELETE FROM audit_log WHERE audit_id = 2').run();
    expect(verifyAudit(db)).toMatchObject({ ok: false, firstBad: 3 });
    store.close();
  });

  it('searches people by their best vector, filters by kind and survives a reopen', async () => {
    // Fewer people on the shared store: each write is a round trip to the server.
    const people = kind === 'sqlite' ? 300 : 60;
    const open = await storeOpener(kind, 64);
    let store = open();
    let vs = store.vectors;
    const now = new Date().toISOString();
    store.transaction(() => {
      for (let p = 0; p < people; p++) {
        store.sql
          .prepare(
            "INSERT INTO members (member_id, name, recognizer, created_at, updated_at) VALUES (?, 'n', 'r', ?, ?)",
          )
          .run(`M${p}`, now, now);
        for (let k = 0; k < 3; k++) vs.add('member', `M${p}`, rand(64, p * 10 + k + 1), {});
      }
      store.sql
        .prepare(
          "INSERT INTO unknown_persons (unknown_id, first_seen, last_seen, recognizer, created_at) VALUES ('U1', ?, ?, 'r', ?)",
        )
        .run(now, now, now);
      vs.add('unknown', 'U1', rand(64, 99_999), {});
    });
    const probe = rand(64, 42 * 10 + 2);
    const top = vs.searchPeople('member', probe, 3);
    expect(top[0]).toMatchObject({ personId: 'M42', similarity: expect.closeTo(1, 5) });
    expect(top).toHaveLength(3);
    expect(vs.searchPeople('unknown', probe, 3).map((m) => m.personId)).toEqual(['U1']);
    store.close();
    store = open();
    vs = store.vectors;
    expect(vs.count('member')).toBe(people * 3);
    store.sql.prepare("UPDATE members SET status = 'restricted' WHERE member_id = 'M42'").run();
    vs.forget('member', 'M42');
    expect(vs.searchPeople('member', probe, 1)[0]!.personId).not.toBe('M42');
    store.transaction(() => vs.removePerson('member', 'M41'));
    expect(store.sql.prepare("SELECT COUNT(*) FROM face_vectors WHERE person_id = 'M41'").pluck().get()).toBe(
      0,
    );
    store.close();
    store = open();
    expect(store.vectors.count('member')).toBe(people * 3 - 6);
    store.close();
  });
});
