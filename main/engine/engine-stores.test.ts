import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eraseSubject, exportSubject } from '../services/subjects.js';
import { asset, HAVE_ASSETS } from '../testing/assets.js';
import { describeEachStore, freshSharedLocation } from '../testing/store-kinds.js';
import { Engine } from './engine.js';

/**
 * The engine's own rules on both stores, through the code every command and camera uses:
 * enrollment and identification, a stranger's sealed crop, a case closed, a person erased, the
 * audit chain. Store-level suites check the repositories; this one checks what sits on them.
 */
const PASSPHRASE = 'engine on both stores';
const A = (f: string) => asset('faces', 'celeba', '07201', f);
const STRANGER = asset('faces', 'celeba', '07205', '018774.jpg');

describeEachStore('the engine', (kind) => {
  let engine: Engine;

  beforeAll(async () => {
    if (!HAVE_ASSETS) throw new Error('the shared test assets are missing');
    const dataDir = mkdtempSync(join(tmpdir(), `vigil-engine-${kind}-`));
    engine = Engine.open({
      dataDir,
      passphrase: PASSPHRASE,
      actor: 'test',
      ...(kind === 'postgres' ? { store: await freshSharedLocation() } : {}),
    });
  }, 120_000);
  afterAll(() => engine?.close());

  it('enrolls, identifies, keeps a stranger sealed, closes the case and erases a member without a trace', async () => {
    expect(engine.store.dialect).toBe(kind);
    const enrolled = await engine.enroll({ name: 'Both Stores', email: 'both@example.org' }, [
      A('001085.jpg'),
      A('007710.jpg'),
      A('017588.jpg'),
    ]);
    expect(enrolled.embeddings_count).toBeGreaterThan(0);
    const [known] = await engine.identify(A('021650.jpg'));
    expect(known).toMatchObject({ type: 'known_member', member_id: enrolled.member_id, name: 'Both Stores' });

    const [stranger] = await engine.identify(STRANGER);
    expect(stranger?.type).toBe('new_unknown');
    const unknownId = stranger!.unknown_id!;
    // The same stranger again: the identity recurs.
    const [again] = await engine.identify(STRANGER);
    expect(again).toMatchObject({ type: 'recurring_unknown', unknown_id: unknownId });
    const crop = engine.readCrop(unknownId);
    expect(crop.subarray(0, 2).toString('hex')).toBe('ffd8');
    engine.resolveUnknown(unknownId, 'dismissed');
    expect(() => engine.readCrop(unknownId)).toThrow();
    expect(
      engine.store.vectors
        .searchPeople('unknown', engine.store.vectors.vectorsOf('member', enrolled.member_id)[0]!.vector, 5)
        .map((m) => m.personId),
    ).not.toContain(unknownId);

    const exported = exportSubject(engine, enrolled.member_id, 'test');
    expect(JSON.stringify(exported)).toContain('both@example.org');
    const probe = engine.store.vectors.vectorsOf('member', enrolled.member_id)[0]!.vector;
    const erased = eraseSubject(engine, enrolled.member_id, 'test');
    expect(erased.vectors).toBeGreaterThan(0);
    expect(engine.store.members.get(enrolled.member_id)).toBeUndefined();
    expect(engine.store.vectors.searchPeople('member', probe, 5)).toEqual([]);
    const [after] = await engine.identify(A('021650.jpg'));
    expect(after?.type).not.toBe('known_member');
    expect(JSON.stringify(engine.store.audit.list({ limit: 500 }))).not.toContain('Both Stores');
    expect(engine.store.audit.verify().ok).toBe(true);
  }, 180_000);
});
