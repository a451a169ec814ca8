import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { MethodName, Params, Result, SessionUser } from '../contract/contract.js';
import { ROLE_PERMISSIONS } from '../contract/roles.js';
import { Engine } from '../engine/engine.js';
import { modelById, packByName, param } from '../catalogue/manifest.js';
import { insertAppearance } from '../store/appearances.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import type { ApiContext } from './context.js';
import { Api } from './dispatch.js';
import { handlers } from './handlers/index.js';
import { testContext } from '../testing/api-context.js';

const A = (f: string) => asset('faces', 'celeba', '07201', f);
const b64 = (path: string) => readFileSync(path).toString('base64');
const ADMIN: SessionUser = { username: 'ann', role: 'admin', permissions: [...ROLE_PERMISSIONS.admin] };

/** The console's calls through the real dispatcher and handlers, on a real data folder and models. */
describeWithAssets('console API handlers', () => {
  let engine: Engine;
  const api = new Api(handlers);
  const ctx = (): ApiContext => testContext(engine, ADMIN);
  async function call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    const out = await api.call(ctx(), { method, params });
    if (!out.ok) throw new Error(`${out.error.code}: ${out.error.message}`);
    return out.result as Result<M>;
  }
  const fails = async (method: MethodName, params: unknown) => {
    const out = await api.call(ctx(), { method, params });
    expect(out.ok).toBe(false);
    return out.ok ? null : out.error;
  };

  beforeAll(() => {
    engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-api-')) });
  });
  afterAll(() => engine?.close());

  let memberId = '';
  it('checks photos one by one with a sentence, then enrolls from uploaded bytes with consent', async () => {
    const [first, second] = ['001085.jpg', '007710.jpg'].map(A) as [string, string];
    const good = await call('members.checkPhoto', { photo: { name: 'a.jpg', data: b64(first) } });
    expect(good).toMatchObject({ ok: true, reason: null });
    expect(good.face_px).toBeGreaterThan(60);
    expect(good.liveness).toBeNull();
    // A live capture is also judged by the pack's anti-spoofing model, with its own threshold.
    const live = await call('members.checkPhoto', {
      photo: { name: 'cam.jpg', data: b64(first) },
      live: true,
    });
    const model = modelById(packByName('default').liveness!);
    expect(live.liveness).toBeGreaterThanOrEqual(0);
    expect(live.liveness).toBeLessThanOrEqual(1);
    expect(live.ok).toBe(live.liveness! >= param(model, 'real_threshold', 0.5));
    if (!live.ok) expect(live.reason).toMatch(/photo or a screen/);
    const bad = await call('members.checkPhoto', {
      photo: { name: 'x.jpg', data: Buffer.from('not an image').toString('base64') },
    });
    expect(bad.ok).toBe(false);
    expect(bad.reason).toMatch(/not a readable|damaged/);
    const out = await call('members.enroll', {
      member: { name: 'Grace Hopper', apartment: '4B', member_type: 'staff' },
      photos: [
        { name: 'a.jpg', data: b64(first) },
        { name: 'b.jpg', data: b64(second) },
      ],
      consent: { text: 'I agree to be recognised at the entrance.', method: 'console' },
    });
    memberId = out.member_id;
    expect(out.embeddings_count).toBe(2);
    const consent = engine.store.sql.prepare('SELECT * FROM consents WHERE subject_id = ?').get(memberId) as {
      method: string;
      given_by: string;
    };
    expect(consent).toMatchObject({ method: 'console', given_by: 'user:ann' });
    const audit = engine.store.sql
      .prepare("SELECT actor FROM audit_log WHERE action = 'member_registered' AND subject = ?")
      .get(memberId) as { actor: string };
    expect(audit.actor).toBe('user:ann');
    const consentAudit = engine.store.sql
      .prepare("SELECT actor FROM audit_log WHERE action = 'consent_recorded' AND subject = ?")
      .get(memberId) as { actor: string } | undefined;
    expect(consentAudit?.actor).toBe('user:ann');
  });

  it('searches, pages, edits and suspends members', async () => {
    const page = await call('members.list', { query: 'hopper' });
    expect(page.total).toBe(1);
    expect(page.items[0]).toMatchObject({ member_id: memberId, member_type: 'staff', embeddings_count: 2 });
    expect((await call('members.list', { query: 'nobody%' })).total).toBe(0);
    const edited = await call('members.update', { id: memberId, fields: { apartment: '5C' } });
    expect(edited.apartment).toBe('5C');
    const suspended = await call('members.setStatus', {
      id: memberId,
      status: 'suspended',
      allowed_hours: '07:00-19:00',
    });
    expect(suspended).toMatchObject({ status: 'suspended', allowed_hours: '07:00-19:00' });
    expect(
      (await fails('members.setStatus', { id: memberId, allowed_hours: '25:00-26:00' }))?.message,
    ).toMatch(/HH:MM-HH:MM/);
    expect((await fails('members.get', { id: 'MEMBER_none' }))?.code).toBe('NOT_FOUND');
  });

  it('adds, tests, edits and removes cameras, with credentials masked', async () => {
    const clip = asset('videos', 'short_hamilton_clip.mp4');
    const probe = await call('cameras.test', { url: clip });
    expect(probe).toMatchObject({ ok: true, width: 640, height: 360 });
    const refused = await call('cameras.test', { url: 'rtsp://127.0.0.1:9/none' });
    expect(refused.ok).toBe(false);
    expect(refused.message).toMatch(/refused|reach/);
    await call('cameras.add', { id: 'gate', name: 'Gate', url: 'rtsp://guard:s3cret@10.0.0.9/stream' });
    const listed = await call('cameras.list', {});
    expect(listed[0]).toMatchObject({ camera_id: 'gate', state: 'offline' });
    expect(listed[0]!.url).not.toContain('s3cret');
    const edited = await call('cameras.update', {
      id: 'gate',
      name: 'Main gate',
      recognition_threshold: 0.5,
    });
    expect(edited).toMatchObject({ name: 'Main gate', recognition_threshold: 0.5 });
    expect((await fails('cameras.add', { id: 'gate', name: 'Again', url: clip }))?.message).toMatch(
      /already exists/,
    );
    await call('cameras.remove', { id: 'gate' });
    expect(await call('cameras.list', {})).toEqual([]);
  });

  it('lists, acknowledges and resolves alerts once each', async () => {
    const id = Number(
      engine.store.sql
        .prepare(
          "INSERT INTO alerts (type, priority, person_kind, person_id, camera_id, message, created_at) VALUES ('new_unknown', 'high', 'unknown', 'UNKNOWN_x', 'gate', 'A new unknown person', ?)",
        )
        .run(new Date().toISOString()).lastInsertRowid,
    );
    expect((await call('alerts.list', { status: 'open' })).map((a) => a.alert_id)).toContain(id);
    expect(await call('alerts.list', { priority: 'critical' })).toEqual([]);
    const acked = await call('alerts.acknowledge', { id, notes: 'checked the gate' });
    expect(acked).toMatchObject({
      status: 'acknowledged',
      acknowledged_by: 'ann',
      notes: 'checked the gate',
    });
    expect((await fails('alerts.acknowledge', { id }))?.code).toBe('CONFLICT');
    expect((await call('alerts.resolve', { id })).status).toBe('resolved');
  });

  it('summarises the dashboard in local days and hours', async () => {
    const now = new Date();
    for (const kind of ['member', 'unknown', 'unknown'] as const)
      insertAppearance(engine.store.sql, {
        person_kind: kind,
        person_id: kind === 'member' ? memberId : 'UNKNOWN_x',
        camera_id: 'gate',
        source: 'camera',
        first_seen: now.toISOString(),
        last_seen: now.toISOString(),
        confidence: 0.8,
        bbox: [0, 0, 10, 10],
      });
    const s = await call('dashboard.summary', { days: 7 });
    expect(s.days).toHaveLength(7);
    expect(s.days.at(-1)).toMatchObject({ known: 1, unknown: 2 });
    expect(s.busiest_hours[now.getHours()]).toBe(3);
    expect(s.per_camera).toEqual([{ camera_id: 'gate', count: 3 }]);
    expect(s.totals).toMatchObject({ members: 1, appearances_today: 3 });
  });

  it('validates settings, masks secrets and keeps them when the masked form is saved back', async () => {
    const smtp = { host: 'mail.local', port: 25, from: 'vigil@site', to: ['guard@site'], pass: 'hunter22' };
    await call('settings.set', { key: 'alert_channels', value: { smtp } });
    const shown = await call('settings.get', {});
    expect(JSON.stringify(shown.values)).not.toContain('hunter22');
    await call('settings.set', { key: 'alert_channels', value: shown.values.alert_channels });
    const stored = JSON.parse(
      (
        engine.store.sql.prepare("SELECT value FROM system_config WHERE key = 'alert_channels'").get() as {
          value: string;
        }
      ).value,
    ) as { smtp: { pass: string } };
    expect(stored.smtp.pass).toBe('hunter22');
    expect((await fails('settings.set', { key: 'retention_days', value: 'forever' }))?.message).toMatch(
      /retention_days/,
    );
    expect((await fails('settings.set', { key: 'no_such', value: 1 }))?.message).toMatch(/no setting/);
    const verdict = await call('audit.verify', {});
    expect(verdict).toMatchObject({ ok: true, first_bad: null });
    expect((await call('audit.list', { limit: 5 })).length).toBe(5);
  });
});
