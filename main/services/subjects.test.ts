import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ApiContext } from '../api/context.js';
import { Api } from '../api/dispatch.js';
import { handlers } from '../api/handlers/index.js';
import type { SubjectExport } from '../contract/contract.js';
import { ROLE_PERMISSIONS, type Role } from '../contract/roles.js';
import { Engine } from '../engine/engine.js';
import { AlertEngine } from '../notify/alerts.js';
import { verifyAudit } from '../store/audit.js';
import { getMember, setMemberAccess } from '../store/members.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { pdfText } from '../testing/documents.js';
import {
  eraseSubject,
  exportSubject,
  recordConsent,
  restrictSubject,
  subjectPdf,
  withdrawConsent,
  type SubjectData,
} from './subjects.js';
import { testContext } from '../testing/api-context.js';

const A = (f: string) => asset('faces', 'celeba', '07201', f);
const B = (f: string) => asset('faces', 'celeba', '07203', f);
const C = (f: string) => asset('faces', 'celeba', '07205', f);

const NAME = 'Zephyrine Quillbottom-Vasquez';
const EMAIL = 'zq.vasquez@example.org';
const OTHER = 'Orla Brightwater-Fennimore';

const FILES = ['vigil.db', 'vigil.db-wal', 'vigil.db-shm'];

describeWithAssets('data-subject rights on real photos', () => {
  let dir: string;
  let engine: Engine;
  let api: Api;
  let x: string;
  let y: string;
  let unknown: string;

  // The erasure checks read the raw database files, so the store stays plaintext (encryption at
  // rest would hide the bytes whether or not they were erased); the crops are still encrypted.
  const open = () => Engine.open({ dataDir: dir, actor: 'test', encryptStore: false });
  const raw = () =>
    Buffer.concat(
      FILES.map((f) => join(dir, f)).map((f) => (existsSync(f) ? readFileSync(f) : Buffer.alloc(0))),
    );
  const floats = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const ctx = (role: Role): ApiContext =>
    testContext(
      engine,
      { username: `${role}1`, role, permissions: [...ROLE_PERMISSIONS[role]] },
      { session: 's' },
    );
  const call = async (role: Role, method: string, params: unknown) => api.call(ctx(role), { method, params });
  const vectorBytes = (id: string) =>
    engine.store.sql
      .prepare(
        `SELECT e.embedding_id AS id, e.code AS code, v.embedding AS vec FROM embeddings e
         JOIN face_vectors v ON v.embedding_id = e.embedding_id WHERE e.person_id = ? ORDER BY e.embedding_id`,
      )
      .all(id) as { id: number; code: Buffer; vec: Buffer }[];
  const matches = (vec: Buffer, kind: 'member' | 'unknown' = 'member') =>
    engine.store.vectors.searchPeople(kind, floats(vec), 5).map((m) => m.personId);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-subject-'));
    engine = open();
    api = new Api(handlers);
    x = (
      await engine.enroll({ name: NAME, email: EMAIL, phone: '+44 7700 900123' }, [
        A('001085.jpg'),
        A('007710.jpg'),
        A('017588.jpg'),
      ])
    ).member_id;
    y = (await engine.enroll({ name: OTHER }, [C('018774.jpg'), C('020711.jpg'), C('032425.jpg')])).member_id;
    expect((await engine.identify(A('021650.jpg'))).some((f) => f.member_id === x)).toBe(true);
    const first = (await engine.identify(B('007200.jpg'))).find((f) => f.type === 'new_unknown');
    unknown = first!.unknown_id!;
    await engine.identify(B('007444.jpg'));
    setMemberAccess(engine.store.sql, x, { watchlist: true });
    const alerts = new AlertEngine(engine.store, []);
    alerts.handle({
      type: 'recognition',
      camera_id: 'gate',
      track_id: 1,
      kind: 'known_member',
      member_id: x,
      name: NAME,
      confidence: 0.8,
      bbox: [0, 0, 1, 1],
      frame_at: 0,
      at: 0,
    });
    await alerts.flush();
    recordConsent(engine, x, `I, ${NAME}, agree to face recognition at the gate.`, 'kiosk', 'user:kiosk1');
  });
  afterAll(() => engine?.close());

  let exported: SubjectData;

  it('exports everything held about a member through the API, and never a vector', async () => {
    const r = await call('admin', 'subjects.export', { id: x });
    expect(r.ok).toBe(true);
    const out = (r as { result: SubjectExport }).result;
    expect(out).toMatchObject({ subject_id: x, kind: 'member' });
    expect(Buffer.from(out.pdf, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    exported = out.json as SubjectData;
    expect(exported.personal).toMatchObject({ member_id: x, name: NAME, email: EMAIL, watchlist: 1 });
    expect(exported.embeddings.count).toBe(4);
    expect(exported.embeddings.items.filter((e) => e.centroid)).toHaveLength(1);
    expect(exported.embeddings.items.every((e) => !Number.isNaN(Date.parse(e.created_at)))).toBe(true);
    expect(exported.appearances).toHaveLength(1);
    expect(exported.alerts.map((a) => a.type)).toEqual(['unauthorized_access']);
    expect(exported.consents).toMatchObject([{ method: 'kiosk', withdrawn_at: null }]);
    expect(exported.audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['member_registered', 'consent_recorded']),
    );
    // No array of numbers anywhere, and none of the stored floats in any form.
    const json = JSON.stringify(exported);
    const numericArrays: number[][] = [];
    JSON.parse(json, (_k, v: unknown) => {
      if (Array.isArray(v) && v.length > 4 && v.every((n) => typeof n === 'number')) numericArrays.push(v);
      return v;
    });
    expect(numericArrays).toEqual([]);
    for (const { vec } of vectorBytes(x)) {
      for (const f of floats(vec).slice(0, 16)) expect(json).not.toContain(String(f));
      expect(json).not.toContain(vec.toString('base64').slice(0, 24));
    }
    const last = engine.store.sql.prepare('SELECT * FROM audit_log ORDER BY audit_id DESC LIMIT 1').get() as {
      action: string;
      subject: string;
      details: string;
    };
    expect(last).toMatchObject({ action: 'subject_exported', subject: x });
    expect(last.details).not.toContain(NAME);
  });

  it('renders the export as a PDF whose text a reader can extract', async () => {
    const { text } = await pdfText(await subjectPdf(exported));
    for (const s of [
      `Personal data held about ${x}`,
      NAME,
      EMAIL,
      'Face templates',
      '4 stored',
      'unauthorized_access',
    ])
      expect(text).toContain(s);
    expect(text).toContain('agree to face recognition at the gate');
    const vec = vectorBytes(x)[0]!.vec;
    expect(text).not.toContain(String(vec.readFloatLE(0)));
  });

  it('restricts a member: kept, but out of matching, also after a restart; lifting brings them back', async () => {
    const [shot] = vectorBytes(y);
    expect(matches(shot!.vec)[0]).toBe(y);
    restrictSubject(engine, y, true, 'test');
    expect(getMember(engine.store.sql, y)?.status).toBe('restricted');
    expect(matches(shot!.vec)).not.toContain(y);
    const flags = engine.store.sql
      .prepare("SELECT DISTINCT active FROM face_vectors WHERE person_id = ? AND kind = 'member'")
      .pluck()
      .all(y);
    expect(flags).toEqual([0]);
    engine.close();
    engine = open();
    expect(matches(shot!.vec)).not.toContain(y);
    const lift = await call('admin', 'subjects.restrict', { id: y, restricted: false });
    expect(lift.ok).toBe(true);
    expect(getMember(engine.store.sql, y)?.status).toBe('active');
    expect(matches(shot!.vec)[0]).toBe(y);
    const actions = engine.store.sql
      .prepare('SELECT action FROM audit_log WHERE subject = ? ORDER BY audit_id')
      .pluck()
      .all(y);
    expect(actions.slice(-2)).toEqual(['subject_restricted', 'subject_restriction_lifted']);
  });

  it('erases a member: neither name, e-mail nor face template remains anywhere in the database files', async () => {
    const stored = vectorBytes(x);
    expect(stored).toHaveLength(4);
    const before = raw();
    // The store must be plaintext for this test to mean anything.
    expect(before.includes(Buffer.from(NAME, 'utf8'))).toBe(true);
    expect(stored.every((s) => before.includes(s.vec))).toBe(true);
    expect(matches(stored[0]!.vec)[0]).toBe(x);

    const refused = await call('security', 'subjects.erase', { id: x });
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const r = await call('admin', 'subjects.erase', { id: x });
    expect(r).toEqual({ ok: true, result: { ok: true } });

    expect(statSync(join(dir, 'vigil.db-wal')).size).toBe(0);
    const after = raw();
    for (const needle of [NAME, 'Quillbottom', EMAIL, '900123'])
      expect(after.includes(Buffer.from(needle, 'utf8')), needle).toBe(false);
    for (const s of stored) {
      expect(after.includes(s.vec)).toBe(false);
      expect(after.includes(s.vec.subarray(0, 32))).toBe(false);
      expect(after.includes(s.code)).toBe(false);
    }
    expect(matches(stored[0]!.vec)).not.toContain(x);
    const left = (sql: string) => engine.store.sql.prepare(sql).pluck().get(x) as number;
    expect(left('SELECT COUNT(*) FROM members WHERE member_id = ?')).toBe(0);
    expect(left('SELECT COUNT(*) FROM embeddings WHERE person_id = ?')).toBe(0);
    expect(left('SELECT COUNT(*) FROM face_vectors WHERE person_id = ?')).toBe(0);
    expect(left('SELECT COUNT(*) FROM appearances WHERE person_id = ?')).toBe(0);
    expect(left('SELECT COUNT(*) FROM alerts WHERE person_id = ?')).toBe(0);
    expect(left('SELECT COUNT(*) FROM consents WHERE subject_id = ?')).toBe(0);
    const audit = engine.store.sql
      .prepare("SELECT * FROM audit_log WHERE action = 'subject_erased' AND subject = ?")
      .get(x) as { actor: string; details: string };
    expect(audit.actor).toBe('user:admin1');
    expect(JSON.parse(audit.details)).toMatchObject({
      kind: 'member',
      vectors: 4,
      appearances: 1,
      alerts: 1,
      consents: 1,
    });
    expect(verifyAudit(engine.store.sql).ok).toBe(true);
    // What remains about the id is the audit trail, which holds no personal field.
    expect(exportSubject(engine, x).personal).toBeNull();

    engine.close();
    engine = open();
    expect(matches(stored[0]!.vec)).not.toContain(x);
    expect(matches(vectorBytes(y)[0]!.vec)[0]).toBe(y);
  });

  it('withdrawing consent erases an unknown person, crypto-shredding their crop, and keeps the consent record', async () => {
    const crop = engine.store.sql
      .prepare('SELECT wrapped_key, ciphertext FROM unknown_crops WHERE unknown_id = ?')
      .get(unknown) as { wrapped_key: Buffer; ciphertext: Buffer } | undefined;
    expect(crop).toBeDefined();
    const stored = vectorBytes(unknown);
    expect(stored.length).toBeGreaterThan(0);
    expect(matches(stored[0]!.vec, 'unknown')[0]).toBe(unknown);
    const rec = await call('admin', 'consent.record', { id: unknown, text: 'Agreed to be kept on file.' });
    expect(rec.ok).toBe(true);
    const w = await call('admin', 'consent.withdraw', { id: unknown });
    expect(w.ok).toBe(true);

    expect(
      engine.store.sql
        .prepare('SELECT COUNT(*) FROM unknown_persons WHERE unknown_id = ?')
        .pluck()
        .get(unknown),
    ).toBe(0);
    expect(
      engine.store.sql
        .prepare('SELECT COUNT(*) FROM unknown_crops WHERE unknown_id = ?')
        .pluck()
        .get(unknown),
    ).toBe(0);
    expect(matches(stored[0]!.vec, 'unknown')).not.toContain(unknown);
    const after = raw();
    expect(after.includes(crop!.wrapped_key)).toBe(false);
    expect(after.includes(crop!.ciphertext.subarray(0, 64))).toBe(false);
    for (const s of stored) expect(after.includes(s.vec)).toBe(false);
    const consent = engine.store.sql.prepare('SELECT * FROM consents WHERE subject_id = ?').get(unknown) as {
      text: string;
      given_by: string;
      withdrawn_at: string | null;
    };
    expect(consent).toMatchObject({ text: 'Agreed to be kept on file.', given_by: 'user:admin1' });
    expect(Date.parse(consent.withdrawn_at!)).not.toBeNaN();
    const actions = engine.store.sql
      .prepare('SELECT action FROM audit_log WHERE subject = ? ORDER BY audit_id')
      .pluck()
      .all(unknown);
    expect(actions.slice(-3)).toEqual(['consent_recorded', 'consent_withdrawn', 'subject_erased']);
    // Withdrawing again finds no open consent.
    expect(() => withdrawConsent(engine, unknown, 'test')).toThrow(/No consent/);
  });

  it("redacts a member's name from the consent text kept after withdrawal", () => {
    recordConsent(engine, y, `Consent given by ${OTHER} (orla).`, 'console', 'user:admin1');
    // Every vector the member had (kept shots and their centroid), however many enrollment kept.
    const held = engine.store.sql
      .prepare('SELECT COUNT(*) FROM embeddings WHERE person_id = ?')
      .pluck()
      .get(y);
    expect(held).toBeGreaterThan(1);
    const r = withdrawConsent(engine, y, 'user:admin1');
    expect(r.withdrawn).toBe(1);
    expect(r.erased).toMatchObject({ subject_id: y, vectors: held });
    const text = engine.store.sql.prepare('SELECT text FROM consents WHERE subject_id = ?').pluck().get(y);
    expect(text).toBe('Consent given by [erased] (orla).');
    expect(raw().includes(Buffer.from(OTHER))).toBe(false);
    expect(engine.store.vectors.count('member')).toBe(0);
    expect(verifyAudit(engine.store.sql).ok).toBe(true);
  });

  it('refuses unknown ids, restriction of an unknown person and erasure of nobody', () => {
    expect(() => eraseSubject(engine, 'MEMBER_0000000000', 'test')).toThrow(/No person/);
    expect(() => eraseSubject(engine, 'alice', 'test')).toThrow(/not a person id/);
    expect(() => restrictSubject(engine, 'UNKNOWN_20240101_00000000', true, 'test')).toThrow(/Only a member/);
    expect(() => recordConsent(engine, 'MEMBER_0000000000', 'x', 'console', 'test')).toThrow(/No person/);
    expect(() => exportSubject(engine, 'MEMBER_0000000000')).toThrow(/Nothing is held/);
  });
});
