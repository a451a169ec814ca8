import { expect, it } from 'vitest';
import { describeEachStore, freshStore } from '../testing/store-kinds.js';

const alert = (personId: string | null, cameraId: string | null, createdAt: string) => ({
  type: personId ? 'new_unknown' : 'camera_offline',
  priority: 'high' as const,
  personKind: personId ? ('unknown' as const) : null,
  personId,
  cameraId,
  message: 'm',
  createdAt,
});

describeEachStore('the repositories', (kind) => {
  it('keeps writes of several repositories in one transaction: all land or none do', async () => {
    const store = await freshStore(kind);
    expect(() =>
      store.transaction(() => {
        store.alerts.insert(alert(null, 'gate', '2026-12-01T10:00:00.000Z'));
        store.audit.append({ actor: 'test', action: 'alert_raised' });
        throw new Error('the second half failed');
      }, 'immediate'),
    ).toThrow('the second half failed');
    expect(store.alerts.all()).toEqual([]);
    expect(store.audit.lastId()).toBe(0);
    const id = store.transaction(() => {
      const id = store.alerts.insert(alert(null, 'gate', '2026-12-01T10:00:00.000Z'));
      store.audit.append({ actor: 'test', action: 'alert_raised', subject: String(id) });
      return id;
    });
    expect(store.alerts.get(id)).toMatchObject({ alert_id: id, status: 'open', camera_name: 'gate' });
    expect(store.audit.verify()).toEqual({ ok: true, rows: 1, firstBad: null });
    store.close();
  });

  it('filters the audit log by substrings taken literally, newest first', async () => {
    const store = await freshStore(kind);
    for (const actor of ['user:a_b', 'user:axb', 'user:a%b'])
      store.audit.append({ actor, action: 'member_viewed' });
    expect(store.audit.list({ actor: 'a_b', limit: 10 }).map((r) => r.actor)).toEqual(['user:a_b']);
    expect(store.audit.list({ actor: 'a%', limit: 10 }).map((r) => r.actor)).toEqual(['user:a%b']);
    expect(store.audit.list({ action: 'viewed', limit: 2 }).map((r) => r.actor)).toEqual([
      'user:a%b',
      'user:axb',
    ]);
    store.close();
  });

  it("lists alerts by equality filters, newest first, with the unknown person's crop as a flag", async () => {
    const store = await freshStore(kind);
    store.alerts.insert(alert('UNKNOWN_1', 'gate', '2026-12-01T10:00:00.000Z'));
    store.alerts.insert(alert('UNKNOWN_2', 'lobby', '2026-12-01T11:00:00.000Z'));
    store.alerts.insert(alert(null, 'gate', '2026-12-01T12:00:00.000Z'));
    store.unknowns.insert('UNKNOWN_1', '2026-12-01T10:00:00.000Z', 'gate', 0.9, 'r');
    const blob = Buffer.alloc(4);
    store.crops.put(
      'UNKNOWN_1',
      { key_iv: blob, key_tag: blob, wrapped_key: blob, iv: blob, tag: blob, ciphertext: blob },
      '2026-12-01T10:00:00.000Z',
      '2026-12-31T10:00:00.000Z',
    );
    expect(store.alerts.list({ camera_id: 'gate', limit: 10 }).map((a) => [a.person_id, a.has_crop])).toEqual(
      [
        [null, false],
        ['UNKNOWN_1', true],
      ],
    );
    expect(store.alerts.list({ type: 'new_unknown', limit: 1 }).map((a) => a.person_id)).toEqual([
      'UNKNOWN_2',
    ]);
    expect(store.alerts.unresolvedOf('unknown', 'UNKNOWN_1')).toHaveLength(1);
    store.alerts.resolveAllOf('unknown', 'UNKNOWN_1', 'closed with the case', '2026-12-01T13:00:00.000Z');
    expect(store.alerts.unresolvedOf('unknown', 'UNKNOWN_1')).toEqual([]);
    expect(store.alerts.list({ status: 'resolved', limit: 10 })).toMatchObject([
      { person_id: 'UNKNOWN_1', notes: 'closed with the case', resolved_at: '2026-12-01T13:00:00.000Z' },
    ]);
    store.close();
  });

  it('answers every aggregate alike: members, unknowns, subjects, reports, dashboard, crops, accounts, settings', async () => {
    const store = await freshStore(kind);
    const T = (m: number) => new Date(Date.UTC(2026, 11, 1, 10, m)).toISOString();
    store.members.insert('M_b', { name: 'bob', email: 'Bob@Example.org' }, 'r', 0.8);
    store.members.insert('M_a', { name: 'Ann', apartment: '4_2' }, 'r', 0.9);
    // Case-insensitive substring search with LIKE's wildcards taken literally; names ordered ignoring case.
    expect(store.members.search('EXAMPLE', 0, 10).items.map((m) => m.member_id)).toEqual(['M_b']);
    expect(store.members.search('4_2', 0, 10).total).toBe(1);
    expect(store.members.search('_', 0, 10).items.map((m) => m.member_id)).toEqual(['M_a', 'M_b']);
    expect(store.members.search('', 1, 1)).toMatchObject({ total: 2, items: [{ member_id: 'M_b' }] });
    expect(store.members.setAccess('M_a', { watchlist: true, allowedHours: '07:00-19:00' })).toBe(true);
    expect(store.members.get('M_a')).toMatchObject({ watchlist: 1, allowed_hours: '07:00-19:00' });
    store.members.recordSeen('M_a', T(5));
    store.members.recordSeen('M_a', T(1));
    expect(store.members.get('M_a')).toMatchObject({ last_seen: T(5), total_appearances: 2 });

    store.unknowns.insert('U1', T(0), 'gate', 0.5, 'r');
    store.unknowns.recordSeen('U1', T(9), 'door', 0.7);
    store.unknowns.insert('U2', T(2), 'lobby', 0.9, 'r');
    expect(store.unknowns.get('U1')).toMatchObject({
      appearance_count: 2,
      cameras: '["gate","door"]',
      best_quality: 0.7,
      last_seen: T(9),
    });
    const seen = (id: string, camera: string, m: number) =>
      store.appearances.insert({
        person_kind: 'unknown',
        person_id: id,
        camera_id: camera,
        source: 'camera',
        first_seen: T(m),
        last_seen: T(m + 1),
        confidence: 0.5,
        bbox: [0, 0, 1, 1],
      });
    seen('U1', 'gate', 0);
    seen('U2', 'lobby', 2);
    store.alerts.insert({ ...alert('U2', 'lobby', T(2)) });
    store.unknowns.mergeRows({
      keep: 'U1',
      drop: 'U2',
      appearances: 1,
      cameras: ['gate', 'door', 'lobby'],
      firstSeen: T(2),
      lastSeen: T(3),
      bestQuality: 0.9,
    });
    expect(store.unknowns.delete('U2')).toBe(true);
    expect(store.unknowns.get('U1')).toMatchObject({
      appearance_count: 3,
      first_seen: T(0),
      last_seen: T(9),
      best_quality: 0.9,
    });
    store.unknowns.recount('U1');
    expect(store.unknowns.get('U1')).toMatchObject({
      appearance_count: 2,
      cameras: '["gate","lobby"]',
      first_seen: T(0),
      last_seen: T(3),
    });

    // Reports filter by cameras given as a JSON array, or not at all.
    const q = { from: T(0), to: T(30), cameras: null };
    expect(store.reports.count('appearances', q)).toBe(2);
    expect(store.reports.count('appearances', { ...q, cameras: ['lobby'] })).toBe(1);
    expect(store.reports.count('unknowns', { ...q, cameras: ['lobby'] })).toBe(1);
    expect(store.reports.count('unknowns', { ...q, cameras: ['nowhere'] })).toBe(0);
    expect([...store.reports.rows('unknowns', q)]).toMatchObject([{ unknown_id: 'U1', in_range: 2 }]);
    expect([...store.reports.rows('unknowns', { ...q, cameras: ['gate'] })]).toMatchObject([{ in_range: 1 }]);
    expect(store.reports.count('alerts', { ...q, cameras: ['lobby'] })).toBe(1);

    // Subject requests read a JSON array of ids.
    expect(store.subjects.appearances(['U1', 'M_a']).map((a) => a.camera_id)).toEqual(['gate', 'lobby']);
    expect(store.subjects.alerts(['U1']).map((a) => a.type)).toEqual(['new_unknown']);
    const consent = store.subjects.addConsent('M_a', 'cctv', 'paper', T(0), 'admin');
    expect(store.subjects.openConsents('M_a')).toEqual([{ consent_id: consent, text: 'cctv' }]);
    store.subjects.withdrawConsent(consent, T(1), 'cctv (withdrawn)');
    expect(store.subjects.openConsents('M_a')).toEqual([]);
    expect(store.subjects.personal('member', 'M_a')).toMatchObject({ name: 'Ann', watchlist: 1 });
    expect(store.subjects.purgeJournal().busy).toBe(false);

    // The dashboard's flags are booleans, its counts numbers.
    expect(store.dashboard.totals(T(0))).toEqual({
      members: 2,
      unknowns_active: 1,
      alerts_open: 1,
      appearances_today: 2,
    });
    expect(
      store.dashboard.recentSightings(5).map((r) => [r.person_id, r.first_of_unknown, r.has_crop]),
    ).toEqual([
      ['U1', false, false],
      ['U1', true, false],
    ]);
    expect(
      store.dashboard
        .sightingsPerCamera(T(0))
        .sort((x, y) => String(x.camera_id).localeCompare(String(y.camera_id))),
    ).toEqual([
      { camera_id: 'gate', n: 1 },
      { camera_id: 'lobby', n: 1 },
    ]);

    // Crops: retention re-applied from the time taken, in the same ISO form.
    const blob = Buffer.from([1, 2, 3]);
    const crop = { key_iv: blob, key_tag: blob, wrapped_key: blob, iv: blob, tag: blob, ciphertext: blob };
    store.crops.put('U1', crop, '2026-12-01T10:00:00.000Z', '2026-12-02T10:00:00.000Z');
    expect(store.crops.reapplyRetention(30)).toBe(1);
    expect(store.crops.dates('U1')).toEqual({
      created_at: '2026-12-01T10:00:00.000Z',
      expires_at: '2026-12-31T10:00:00.000Z',
    });
    expect(store.crops.get('U1')).toMatchObject({ ciphertext: blob });
    expect(Buffer.isBuffer(store.crops.get('U1')!.ciphertext)).toBe(true);
    expect(store.crops.purgeExpired('2027-01-01T00:00:00.000Z')).toBe(1);

    // Accounts and sessions.
    store.users.insert({ username: 'root', role: 'admin', password_hash: 'h', at: T(0) });
    expect(store.users.addFailure('root')).toBe(1);
    expect(store.users.addFailure('nobody')).toBeUndefined();
    expect(store.users.countAdmins()).toBe(1);
    store.sessions.insert({ tokenHash: 't1', username: 'root', createdAt: T(0), expiresAt: T(10) });
    expect(store.sessions.find('t1')).toEqual({ expires_at: T(10), username: 'root', role: 'admin' });
    expect(store.sessions.deleteExpired(T(20))).toBe(1);

    // Settings, meta keys and raw system_config rows.
    store.settings.write('max_embeddings_per_person', 7);
    expect(store.settings.read('max_embeddings_per_person')).toBe(7);
    store.meta.write('keys_json', '{"v":1}');
    expect(store.meta.read('keys_json')).toBe('{"v":1}');
    expect(store.meta.read('nothing')).toBeUndefined();
    expect(store.settings.storedRows().map((r) => r.key)).toEqual(['max_embeddings_per_person']);

    // Health and the crash harness's questions.
    expect(store.health.schemaVersion()).toBeGreaterThan(0);
    expect(store.health.openAlerts()).toEqual({ total: 1, urgent: 1 });
    expect(store.inspection.traces('U1')).toBe(3);
    store.vectors.add(
      'member',
      'M_a',
      Float32Array.from({ length: 8 }, (_, i) => (i === 0 ? 1 : 0)),
      {},
    );
    expect([...store.inspection.memberVectorCounts()]).toEqual([['M_a', { shots: 1, centroids: 0 }]]);
    expect(store.inspection.embeddingsWithoutVector()).toEqual([]);
    store.close();
  });

  it('never matches a vector whose transaction rolled back, nested or not', async () => {
    const store = await freshStore(kind);
    const unit = (i: number) => Float32Array.from({ length: 8 }, (_, d) => (d === i ? 1 : 0));
    store.members.insert('M1', { name: 'Ann' }, 'r', 0.9);
    store.vectors.add('member', 'M1', unit(0), {});
    expect(() =>
      store.transaction(() => {
        store.vectors.add('member', 'M1', unit(1), {});
        throw new Error('enrollment failed');
      }, 'immediate'),
    ).toThrow('enrollment failed');
    expect(store.vectors.searchPeople('member', unit(1), 1).filter((m) => m.similarity > 0.5)).toEqual([]);
    expect(store.vectors.searchPeople('member', unit(0), 1)[0]).toMatchObject({ personId: 'M1' });
    store.transaction(() => {
      store.vectors.add('member', 'M1', unit(2), {});
      expect(() =>
        store.transaction(() => {
          store.vectors.add('member', 'M1', unit(3), {});
          throw new Error('inner failed');
        }),
      ).toThrow('inner failed');
    });
    expect(store.vectors.searchPeople('member', unit(2), 1)[0]!.similarity).toBeCloseTo(1, 5);
    expect(store.vectors.searchPeople('member', unit(3), 1).filter((m) => m.similarity > 0.5)).toEqual([]);
    expect(store.vectors.vectorsOf('member', 'M1')).toHaveLength(2);
    store.close();
  });
});
