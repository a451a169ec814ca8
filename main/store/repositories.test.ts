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
});
