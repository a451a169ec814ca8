import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sessionUser } from '../accounts/sessions.js';
import { Engine } from '../engine/engine.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { testContext } from '../testing/api-context.js';
import { Api, type CallOutcome } from './dispatch.js';
import { handlers } from './handlers/index.js';

/**
 * The enrollment kiosk is enforced by the engine, whatever page sends the request: a kiosk
 * identity enrolls members and visitors only, only with consent given at the kiosk, and each of
 * its enrollments is audited as one.
 */
describeWithAssets('the kiosk role at the engine', () => {
  let engine: Engine;
  const api = new Api(handlers);
  const kiosk = sessionUser('lobby', 'kiosk');
  const photo = () => ({
    name: 'face.jpg',
    data: readFileSync(asset('faces', 'celeba', '07201', '001085.jpg')).toString('base64'),
  });
  const consent = { text: 'I agree to be recognised at the door.', method: 'kiosk' as const };
  const enroll = (params: unknown, user = kiosk): Promise<CallOutcome> =>
    api.call(testContext(engine, user), { method: 'members.enroll', params });
  const members = () => engine.store.sql.prepare('SELECT COUNT(*) FROM members').pluck().get() as number;

  beforeAll(() => {
    engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-kiosk-')) });
  });
  afterAll(() => engine?.close());

  it('cannot enroll a staff member or a delivery, even with consent', async () => {
    for (const member_type of ['staff', 'delivery']) {
      const r = await enroll({ member: { name: 'Pat', member_type }, photos: [photo()], consent });
      expect(r).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(r.ok ? '' : r.error.message).toMatch(/members and visitors only/);
    }
    expect(members()).toBe(0);
  });

  it('cannot skip consent, or record it as given elsewhere', async () => {
    const none = await enroll({ member: { name: 'Pat' }, photos: [photo()] });
    expect(none).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(none.ok ? '' : none.error.message).toMatch(/consent/);
    const elsewhere = await enroll({
      member: { name: 'Pat' },
      photos: [photo()],
      consent: { ...consent, method: 'console' },
    });
    expect(elsewhere).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(members()).toBe(0);
  });

  it('enrolls a visitor with consent, audited as a kiosk enrollment', async () => {
    const r = await enroll({ member: { name: 'Val', member_type: 'visitor' }, photos: [photo()], consent });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const id = (r as { result: { member_id: string } }).result.member_id;
    const row = engine.store.sql
      .prepare("SELECT actor, subject, details FROM audit_log WHERE action = 'kiosk_enrollment'")
      .get() as { actor: string; subject: string; details: string };
    expect(row).toMatchObject({ actor: 'user:lobby', subject: id });
    expect(JSON.parse(row.details)).toMatchObject({ member_type: 'visitor' });
    expect(
      engine.store.sql.prepare('SELECT COUNT(*) FROM consents WHERE subject_id = ?').pluck().get(id),
    ).toBe(1);
  });

  it('leaves an administrator free to enroll staff from the console', async () => {
    const r = await enroll(
      { member: { name: 'Sam', member_type: 'staff' }, photos: [photo()] },
      sessionUser('admin', 'admin'),
    );
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });
});
