import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { MethodName, Params, Result, RpcError, SessionUser, UnknownView } from '../contract/contract.js';
import { ROLE_PERMISSIONS } from '../contract/roles.js';
import { Engine, type IdentifiedFace } from '../engine/engine.js';
import { hasCrop } from '../privacy/crops.js';
import { verifyAudit } from '../store/audit.js';
import { getUnknown } from '../store/unknowns.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import type { ApiContext } from './context.js';
import { Api } from './dispatch.js';
import { handlers } from './handlers/index.js';
import { testContext } from '../testing/api-context.js';

const celeba = (id: string, f: string) => asset('faces', 'celeba', id, f);
const P = (f: string) => celeba('07203', f);
const Q = celeba('07205', '018774.jpg');
const S = celeba('07207', '001321.jpg');
const T = (f: string) => celeba('07201', f);
const PASSPHRASE = 'correct horse battery';

const admin: SessionUser = { username: 't', role: 'admin', permissions: [...ROLE_PERMISSIONS.admin] };
const viewer: SessionUser = { username: 'v', role: 'viewer', permissions: [...ROLE_PERMISSIONS.viewer] };

function contextFor(engine: Engine, user: SessionUser = admin): ApiContext {
  return testContext(engine, user);
}

describeWithAssets('review queue of unknown persons through the contract', () => {
  const api = new Api(handlers);
  let dir: string;
  let engine: Engine;

  async function call<M extends MethodName>(method: M, params: Params<M>, ctx = contextFor(engine)) {
    const out = await api.call(ctx, { method, params });
    if (!out.ok) throw new Error(`${method} failed: ${out.error.code} ${out.error.message}`);
    return out.result as Result<M>;
  }
  async function refused<M extends MethodName>(method: M, params: Params<M>, ctx = contextFor(engine)) {
    const out = await api.call(ctx, { method, params });
    if (out.ok) throw new Error(`${method} unexpectedly succeeded`);
    return out.error as RpcError;
  }
  /** Sees a stranger the way the engine does: the face's own UNKNOWN_ id (new or recurring). */
  async function sighting(photo: string, cameraId: string): Promise<IdentifiedFace> {
    const faces = await engine.identify(photo, { cameraId });
    const face = faces
      .filter((f) => f.unknown_id)
      .sort(
        (a, b) =>
          (b.bbox[2] - b.bbox[0]) * (b.bbox[3] - b.bbox[1]) -
          (a.bbox[2] - a.bbox[0]) * (a.bbox[3] - a.bbox[1]),
      )[0];
    if (!face) throw new Error(`no unknown face in ${photo}`);
    return face;
  }
  const auditRows = () =>
    engine.store.sql
      .prepare('SELECT actor, action, subject, details FROM audit_log ORDER BY audit_id')
      .all() as {
      actor: string;
      action: string;
      subject: string | null;
      details: string;
    }[];

  let p: string; // seen twice in the hall
  let q: string; // seen once in the lobby, after p
  let s: string; // seen once in the lobby
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-review-'));
    engine = Engine.open({ dataDir: dir, passphrase: PASSPHRASE, actor: 'test' });
    const first = await sighting(P('007200.jpg'), 'hall');
    expect(first.type).toBe('new_unknown');
    p = first.unknown_id!;
    const again = await sighting(P('007444.jpg'), 'hall');
    expect(again).toMatchObject({ type: 'recurring_unknown', unknown_id: p });
    const sq = await sighting(Q, 'lobby');
    expect(sq.type).toBe('new_unknown');
    q = sq.unknown_id!;
    const ss = await sighting(S, 'lobby');
    expect(ss.type).toBe('new_unknown');
    s = ss.unknown_id!;
  }, 120_000);
  afterAll(() => engine?.close());

  it('lists the queue newest first or most frequent first, with cameras and crops', async () => {
    const newest = await call('unknowns.list', { sort: 'newest' });
    const ids = newest.map((u) => u.unknown_id);
    for (let i = 1; i < newest.length; i++)
      expect(newest[i - 1]!.last_seen >= newest[i]!.last_seen).toBe(true);
    expect(ids.indexOf(s)).toBeLessThan(ids.indexOf(q));
    expect(ids.indexOf(q)).toBeLessThan(ids.indexOf(p));

    const frequent = await call('unknowns.list', { sort: 'frequent', status: 'all' });
    for (let i = 1; i < frequent.length; i++)
      expect(frequent[i - 1]!.appearance_count >= frequent[i]!.appearance_count).toBe(true);
    const fp = frequent.find((u) => u.unknown_id === p)!;
    expect(fp).toMatchObject({ status: 'active', appearance_count: 2, cameras: ['hall'], has_crop: true });
    expect(frequent.findIndex((u) => u.unknown_id === p)).toBeLessThan(
      frequent.findIndex((u) => u.unknown_id === q),
    );
    expect(await call('unknowns.list', { status: 'identified' })).toEqual([]);

    const detail = await call('unknowns.get', { id: p });
    expect(detail.sightings).toHaveLength(2);
    expect(
      detail.sightings.every((a) => a.person_id === p && a.name === null && a.camera_id === 'hall'),
    ).toBe(true);
    expect(detail.sightings[0]!.last_seen >= detail.sightings[1]!.last_seen).toBe(true);
    expect((await refused('unknowns.get', { id: 'UNKNOWN_nope' })).code).toBe('NOT_FOUND');
  });

  it('decrypts the crop for a permitted user, audits the viewing; no engine opens without the passphrase', async () => {
    const crop = await call('unknowns.crop', { id: q });
    expect(crop.mime).toBe('image/jpeg');
    const jpeg = Buffer.from(crop.data, 'base64');
    expect(jpeg.length).toBeGreaterThan(1000);
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    const viewed = auditRows().filter((r) => r.action === 'crop_viewed');
    expect(viewed).toEqual([{ actor: 'user:t', action: 'crop_viewed', subject: q, details: '{}' }]);

    const denied = await refused('unknowns.crop', { id: q }, contextFor(engine, viewer));
    expect(denied.code).toBe('FORBIDDEN');

    // The passphrase locks the whole data folder, so there is no engine whose crops are locked.
    expect(() => Engine.open({ dataDir: dir })).toThrow(/locked with a passphrase/);
  });

  it('identifies a stranger: case closed with name and type, crop deleted at once, no name in the audit', async () => {
    const v = await call('unknowns.identify', {
      id: q,
      name: 'Quentin Marsh',
      type: 'visitor',
      notes: 'Visited flat 4B',
    });
    expect(v).toMatchObject({
      unknown_id: q,
      status: 'identified',
      identified_as: 'Quentin Marsh (visitor)',
      has_crop: false,
    });
    expect(hasCrop(engine.store, q)).toBe(false);
    expect(getUnknown(engine.store.sql, q)!.notes).toBe('Visited flat 4B');
    const err = await refused('unknowns.crop', { id: q });
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toMatch(/No face crop is kept/);
    const rows = auditRows();
    expect(rows.find((r) => r.action === 'unknown_identified' && r.subject === q)).toMatchObject({
      actor: 'user:t',
      details: JSON.stringify({ type: 'visitor' }),
    });
    expect(JSON.stringify(rows)).not.toMatch(/Quentin|4B/);
    expect((await refused('unknowns.identify', { id: q, name: 'X', type: 'staff' })).code).toBe('CONFLICT');
    expect((await call('unknowns.list', { status: 'identified' })).map((u) => u.unknown_id)).toEqual([q]);
    expect((await call('unknowns.list', {})).some((u) => u.unknown_id === q)).toBe(false);
  });

  it('merges one unknown into another: sightings, cameras and counts move, the merged id is gone', async () => {
    const sCount = getUnknown(engine.store.sql, s)!.appearance_count;
    const kept: UnknownView = await call('unknowns.merge', { keep: p, merge: s });
    expect(kept).toMatchObject({ unknown_id: p, appearance_count: 2 + sCount, cameras: ['hall', 'lobby'] });
    expect(getUnknown(engine.store.sql, s)).toBeUndefined();
    expect(hasCrop(engine.store, s)).toBe(false);
    const detail = await call('unknowns.get', { id: p });
    expect(detail.sightings).toHaveLength(2 + sCount);
    expect(detail.sightings.filter((a) => a.camera_id === 'lobby')).toHaveLength(sCount);
    expect(
      engine.store.sql.prepare('SELECT COUNT(*) FROM appearances WHERE person_id = ?').pluck().get(s),
    ).toBe(0);
    expect(auditRows().at(-1)).toMatchObject({ actor: 'user:t', action: 'unknowns_merged', subject: p });
    expect((await refused('unknowns.merge', { keep: p, merge: p })).code).toBe('INVALID_INPUT');
    expect((await refused('unknowns.merge', { keep: p, merge: q })).code).toBe('CONFLICT');
  });

  it('takes a wrongly attributed sighting away and recomputes count, cameras and times', async () => {
    const before = await call('unknowns.get', { id: p });
    const wrong = before.sightings.find((a) => a.camera_id === 'lobby')!;
    const after = await call('unknowns.notThisPerson', { id: p, appearance_id: wrong.appearance_id });
    const rest = before.sightings.filter((a) => a.appearance_id !== wrong.appearance_id);
    expect(after.appearance_count).toBe(rest.length);
    expect(after.sightings.map((a) => a.appearance_id)).toEqual(rest.map((a) => a.appearance_id));
    expect(after.cameras).toEqual([...new Set(rest.map((a) => a.camera_id))]);
    expect(after.first_seen).toBe(rest.map((a) => a.first_seen).sort()[0]);
    expect(after.last_seen).toBe(
      rest
        .map((a) => a.last_seen)
        .sort()
        .at(-1),
    );
    expect(getUnknown(engine.store.sql, p)!.appearance_count).toBe(rest.length);
    const again = await refused('unknowns.notThisPerson', { id: p, appearance_id: wrong.appearance_id });
    expect(again.code).toBe('NOT_FOUND');
    expect(auditRows().at(-1)).toMatchObject({ action: 'unknown_sighting_removed', subject: p });
  });

  it('dismisses a case with notes; the crop goes with it', async () => {
    expect(hasCrop(engine.store, p)).toBe(true);
    const v = await call('unknowns.dismiss', { id: p, notes: 'delivery driver' });
    expect(v).toMatchObject({ status: 'dismissed', has_crop: false, identified_as: null });
    expect(getUnknown(engine.store.sql, p)!.notes).toBe('delivery driver');
    expect(auditRows().at(-1)).toMatchObject({ actor: 'user:t', action: 'unknown_dismissed', subject: p });
  });

  it('converts an unknown into a member from its stored embeddings; later photos name the member', async () => {
    const first = await sighting(T('001085.jpg'), 'hall');
    expect(first.type).toBe('new_unknown');
    const t = first.unknown_id!;
    const second = await sighting(T('007710.jpg'), 'hall');
    expect(second.unknown_id).toBe(t);
    const shots = engine.store.vectors.vectorsOf('unknown', t).length;
    expect(shots).toBeGreaterThanOrEqual(1);
    const unknownsIndexed = engine.store.vectors.count('unknown');
    const membersIndexed = engine.store.vectors.count('member');

    const r = await call('unknowns.convert', {
      id: t,
      member: { name: 'Tess Lane', apartment: '2A', member_type: 'staff', notes: 'night shift' },
    });
    expect(r.member_id).toMatch(/^MEMBER_[0-9a-f]{10}$/);
    expect(r.embeddings_count).toBe(shots);
    // The vectors were re-labelled, not copied: the unknown has none left, the member has them + a centroid.
    expect(engine.store.vectors.vectorsOf('unknown', t)).toHaveLength(0);
    expect(engine.store.vectors.vectorsOf('member', r.member_id)).toHaveLength(shots + 1);
    // ...and the in-memory index follows: the shots match as the member, not only the new centroid.
    expect(engine.store.vectors.count('unknown')).toBe(unknownsIndexed - shots);
    expect(engine.store.vectors.count('member')).toBe(membersIndexed + shots + 1);
    expect(
      engine.store.sql
        .prepare("SELECT COUNT(*) FROM face_vectors WHERE kind = 'member' AND person_id = ?")
        .pluck()
        .get(r.member_id),
    ).toBe(shots + 1);
    const member = engine.store.sql.prepare('SELECT * FROM members WHERE member_id = ?').get(r.member_id) as {
      name: string;
      apartment: string;
      member_type: string;
      notes: string;
    };
    expect(member).toMatchObject({
      name: 'Tess Lane',
      apartment: '2A',
      member_type: 'staff',
      notes: 'night shift',
    });
    expect(getUnknown(engine.store.sql, t)).toMatchObject({
      status: 'identified',
      identified_as: r.member_id,
    });
    expect(hasCrop(engine.store, t)).toBe(false);
    expect(
      auditRows().find((a) => a.action === 'member_registered' && a.subject === r.member_id),
    ).toMatchObject({
      actor: 'user:t',
    });
    expect(JSON.parse(auditRows().find((a) => a.subject === r.member_id)!.details)).toMatchObject({
      source: 'unknown',
    });

    const later = (await engine.identify(T('021650.jpg'))).find((f) => f.member_id === r.member_id);
    expect(later).toMatchObject({ type: 'known_member', name: 'Tess Lane' });
    expect((await refused('unknowns.convert', { id: t, member: { name: 'Again' } })).code).toBe('CONFLICT');

    // The re-labelling is durable: a fresh engine on the same folder names the member too.
    engine.close();
    engine = Engine.open({ dataDir: dir, passphrase: PASSPHRASE });
    const reopened = (await engine.identify(T('030251.jpg'))).find((f) => f.type === 'known_member');
    expect(reopened?.member_id).toBe(r.member_id);
    expect(verifyAudit(engine.store.sql).ok).toBe(true);
  }, 120_000);

  it('identifies an unknown as an existing member: faces, sightings and alerts move, audited, history kept', async () => {
    const U = (f: string) => celeba('07211', f);
    const enrolled = await engine.enroll({ name: 'Uma Reyes' }, [celeba('07209', '002993.jpg')], {
      actor: 'test',
    });
    const memberId = enrolled.member_id;
    const first = await sighting(U('000989.jpg'), 'hall');
    expect(first.type).toBe('new_unknown');
    const u = first.unknown_id!;
    await sighting(U('007603.jpg'), 'lobby');
    const before = (await call('members.get', { id: memberId })).member;
    const sightingsOfU = engine.store.sql
      .prepare("SELECT COUNT(*) FROM appearances WHERE person_kind = 'unknown' AND person_id = ?")
      .pluck()
      .get(u) as number;
    expect(sightingsOfU).toBeGreaterThanOrEqual(1);
    const insert = engine.store.sql.prepare(
      "INSERT INTO alerts (type, priority, status, person_kind, person_id, camera_id, message, created_at) VALUES ('new_unknown', 'high', ?, 'unknown', ?, 'hall', 'A new unknown person', ?)",
    );
    const open = Number(insert.run('open', u, new Date().toISOString()).lastInsertRowid);
    const acked = Number(insert.run('acknowledged', u, new Date().toISOString()).lastInsertRowid);

    // The dialog's candidates: the member list, and the detail's similar members (maybe none here).
    const detail = await call('unknowns.get', { id: u });
    expect(Array.isArray(detail.similar_members)).toBe(true);
    expect(detail.recognition_threshold).toBeGreaterThan(0);

    const sent: unknown[] = [];
    const ctx = { ...contextFor(engine), broadcast: (e: unknown) => sent.push(e) } as ApiContext;
    expect((await refused('unknowns.assign', { id: u, member_id: 'MEMBER_nobody' })).code).toBe('NOT_FOUND');
    const r = await call('unknowns.assign', { id: u, member_id: memberId, notes: 'seen at the desk' }, ctx);
    expect(r).toMatchObject({ member_id: memberId, sightings_moved: sightingsOfU, alerts_resolved: 2 });
    expect(r.embeddings_added).toBeGreaterThanOrEqual(1);
    expect(r.unknown).toMatchObject({ status: 'identified', identified_as: memberId, has_crop: false });

    // Sightings are the member's now, counted on the member; none is left with the unknown.
    const moved = engine.store.sql
      .prepare("SELECT COUNT(*) FROM appearances WHERE person_kind = 'member' AND person_id = ?")
      .pluck()
      .get(memberId) as number;
    expect(moved).toBeGreaterThanOrEqual(sightingsOfU);
    expect((await call('unknowns.get', { id: u })).sightings).toHaveLength(0);
    const after = (await call('members.get', { id: memberId })).member;
    expect(after.total_appearances).toBe(before.total_appearances + sightingsOfU);
    expect(after.embeddings_count).toBeGreaterThan(before.embeddings_count);

    // Both alerts are resolved, with a note, under the member; every console is told.
    const alerts = await call('alerts.list', {});
    for (const id of [open, acked])
      expect(alerts.find((a) => a.alert_id === id)).toMatchObject({
        status: 'resolved',
        person_kind: 'member',
        person_id: memberId,
        person_name: 'Uma Reyes',
        camera_name: 'hall',
        notes: expect.stringContaining(`${u} was identified as ${memberId}`),
      });
    expect(sent).toContainEqual({ type: 'alert_status', alert_ids: [open, acked], status: 'resolved' });
    const audit = auditRows().find((a) => a.action === 'unknown_assigned' && a.subject === u)!;
    expect(JSON.parse(audit.details)).toMatchObject({ member: memberId, sightings: sightingsOfU, alerts: 2 });
    expect(audit.details).not.toContain('Uma');

    // The next photo of that face is the member: the review converged.
    const later = (await engine.identify(U('011143.jpg'))).find((f) => f.member_id === memberId);
    expect(later).toMatchObject({ type: 'known_member', name: 'Uma Reyes' });
    expect((await refused('unknowns.assign', { id: u, member_id: memberId })).code).toBe('CONFLICT');

    // History: identified as the member, by whom; dismissed and merged cases are there too.
    const history = await call('unknowns.history', { query: 'uma' });
    expect(history).toContainEqual(
      expect.objectContaining({
        unknown_id: u,
        outcome: 'identified',
        into_id: memberId,
        into_name: 'Uma Reyes',
        by: 'user:t',
      }),
    );
    const all = await call('unknowns.history', {});
    expect(new Set(all.map((h) => h.outcome))).toEqual(new Set(['identified', 'dismissed', 'merged']));
    expect(verifyAudit(engine.store.sql).ok).toBe(true);
  }, 120_000);

  it('acknowledges or resolves many alerts at once and skips those already handled', async () => {
    const insert = engine.store.sql.prepare(
      "INSERT INTO alerts (type, priority, status, camera_id, message, created_at) VALUES ('camera_offline', 'high', 'open', 'gate', 'Camera offline', ?)",
    );
    const ids = [1, 2, 3].map(() => Number(insert.run(new Date().toISOString()).lastInsertRowid));
    const sent: unknown[] = [];
    const ctx = { ...contextFor(engine), broadcast: (e: unknown) => sent.push(e) } as ApiContext;
    await call('alerts.acknowledge', { id: ids[0]! }, ctx);
    expect(await call('alerts.bulk', { ids, action: 'acknowledge', notes: 'round' }, ctx)).toEqual({
      changed: 2,
      skipped: 1,
    });
    expect(sent.at(-1)).toEqual({ type: 'alert_status', alert_ids: ids.slice(1), status: 'acknowledged' });
    expect(await call('alerts.bulk', { ids, action: 'resolve' }, ctx)).toEqual({ changed: 3, skipped: 0 });
    expect(
      (await call('alerts.list', { status: 'resolved' })).filter((a) => ids.includes(a.alert_id)),
    ).toHaveLength(3);
    expect((await refused('alerts.bulk', { ids, action: 'resolve' }, contextFor(engine, viewer))).code).toBe(
      'FORBIDDEN',
    );
  });
});
