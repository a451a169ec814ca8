import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachStore, freshStore } from '../testing/store-kinds.js';
import type { Store } from './store.js';

const T0 = '2026-03-01T10:00:00.000Z';
const T1 = '2026-03-01T10:00:05.000Z';
const T2 = '2026-03-01T10:00:09.000Z';

describeEachStore('the sighting, template and health repositories', (kind) => {
  let store: Store;
  beforeEach(async () => {
    store = await freshStore(kind);
  });
  afterEach(() => store.close());

  const sighting = (kind: 'member' | 'unknown', id: string, cameraId = 'gate'): number =>
    store.appearances.insert({
      person_kind: kind,
      person_id: id,
      camera_id: cameraId,
      source: 'camera',
      first_seen: T0,
      last_seen: T1,
      confidence: 0.8,
      bbox: [1, 2, 3, 4],
    });

  it('moves the end of a visit only forward, for the appearance and the person', () => {
    store.unknowns.insert('U1', T1, 'gate', 0.7, 'r');
    const a = sighting('unknown', 'U1');
    store.sightings.extendAppearance(a, T0);
    store.sightings.extendUnknownSeen('U1', T0);
    expect(store.appearances.list()[0]!.last_seen).toBe(T1);
    expect(store.unknowns.get('U1')!.last_seen).toBe(T1);
    store.sightings.extendAppearance(a, T2);
    store.sightings.extendUnknownSeen('U1', T2);
    expect(store.appearances.list()[0]!.last_seen).toBe(T2);
    expect(store.unknowns.get('U1')!.last_seen).toBe(T2);
    // setAppearanceEnd is the one that may move it back (a track that was extended too far).
    store.sightings.setAppearanceEnd(a, T0);
    expect(store.appearances.list()[0]!.last_seen).toBe(T0);
  });

  it('closes only an active case, and finds it among the recently dismissed', () => {
    store.unknowns.insert('U1', T0, null, 0.7, 'r');
    expect(store.sightings.isActiveUnknown('U1')).toBe(true);
    expect(store.sightings.closeUnknown('U1', 'dismissed', null, T1)).toBe(true);
    expect(store.sightings.closeUnknown('U1', 'identified', 'MEMBER_x', T2)).toBe(false);
    expect(store.sightings.isActiveUnknown('U1')).toBe(false);
    expect(store.unknowns.get('U1')).toMatchObject({ status: 'dismissed', identified_as: null });
    expect(store.sightings.dismissedSince(T0)).toEqual([{ id: 'U1', closed: T1 }]);
    expect(store.sightings.dismissedSince(T2)).toEqual([]);
  });

  it('moves a visit from a stranger to a member and counts what is left', () => {
    store.members.insert('MEMBER_a', { name: 'Ann' }, 'r', 0.9);
    store.unknowns.insert('U1', T0, 'gate', 0.7, 'r');
    const a = sighting('unknown', 'U1');
    const b = sighting('unknown', 'U1', 'door');
    store.sightings.setPossibleMember(a, 'MEMBER_a', 0.33);
    store.sightings.moveToMember(a, 'U1', 'MEMBER_a', 0.61);
    // Only a row still attributed to that stranger moves.
    store.sightings.moveToMember(b, 'U2', 'MEMBER_a', 0.61);
    const rows = store.appearances.list();
    expect(rows.find((r) => r.appearance_id === a)).toMatchObject({
      person_kind: 'member',
      person_id: 'MEMBER_a',
      confidence: 0.61,
    });
    expect(rows.find((r) => r.appearance_id === b)).toMatchObject({
      person_kind: 'unknown',
      person_id: 'U1',
    });
    expect(store.appearances.countOfUnknown('U1')).toBe(1);
    expect(store.sightings.countAppearances()).toBe(2);
    expect(store.sightings.countAppearances({ cameraId: 'door', from: T0, to: T2 })).toBe(1);
    expect(store.sightings.countAppearances({ cameraId: 'door', from: T1, to: T2 })).toBe(0);
  });

  it('rolls a failed transaction back whole, immediate or not', () => {
    for (const mode of ['deferred', 'immediate'] as const) {
      expect(() =>
        store.transaction(() => {
          store.unknowns.insert(`U_${mode}`, T0, null, 0.5, 'r');
          store.audit.append({ actor: 'test', action: 'unknown_detected', subject: `U_${mode}` });
          throw new Error('half-way');
        }, mode),
      ).toThrow('half-way');
      expect(store.unknowns.get(`U_${mode}`)).toBeUndefined();
    }
    expect(store.audit.verify()).toMatchObject({ ok: true, rows: 0 });
  });

  it('reports counts, open alerts and the templates a sighting may replace, learnt shots first', () => {
    store.members.insert('MEMBER_a', { name: 'Ann' }, 'r', 0.9);
    const unit = (i: number) => Float32Array.from({ length: 8 }, (_, d) => (d === i ? 1 : 0));
    const enrolled = store.vectors.add('member', 'MEMBER_a', unit(0), { quality: 0.4 });
    const learnt = store.vectors.add('member', 'MEMBER_a', unit(1), {
      quality: 0.9,
      learnt: { appearanceId: 7 },
    });
    store.vectors.add('member', 'MEMBER_a', unit(2), { isCentroid: true });
    expect(store.templates.replaceableShots('MEMBER_a').map((s) => s.id)).toEqual([learnt, enrolled]);
    expect(store.templates.learntShots({ appearanceId: 7 })).toEqual([{ id: learnt, memberId: 'MEMBER_a' }]);
    expect(store.templates.learntShots({ embeddingId: enrolled })).toEqual([]);
    expect(store.health.counts()).toEqual({ members: 1, unknown_persons: 0, embeddings: 3 });
    expect(store.health.openAlerts()).toEqual({ total: 0, urgent: 0 });
    expect(store.health.lastSystemError()).toBeNull();
    expect(store.health.integrity()).toBe('ok');
  });
});
