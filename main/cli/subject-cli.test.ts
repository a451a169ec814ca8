import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { Engine } from '../engine/engine.js';
import { packageRoot } from '../paths.js';
import { asset, describeWithAssets } from '../testing/assets.js';
import { pdfText } from '../testing/documents.js';

const CLI = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');
const A = (f: string) => asset('faces', 'celeba', '07201', f);
const NAME = 'Thaddeus Wrenfield-Oakhurst';

function vigil(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describeWithAssets('vigil subject, consent and audit commands', () => {
  let dir: string;
  let id: string;
  const run = (...args: string[]) => vigil([...args, '--data-dir', dir]);
  const json = (...args: string[]) => {
    const r = run(...args, '--json');
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  // The CLI encrypts the store at rest; an engine opened on the same folder holds its key.
  const withStore = <T>(fn: (e: Engine) => T): T => {
    const e = Engine.open({ dataDir: dir });
    try {
      return fn(e);
    } finally {
      e.close();
    }
  };

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error('Build first (npx tsc -p tsconfig.json): the CLI runs from dist/.');
    dir = mkdtempSync(join(tmpdir(), 'vigil-subject-cli-'));
    const r = run('enroll', '--json', '--name', NAME, A('001085.jpg'), A('007710.jpg'), A('017588.jpg'));
    expect(r.code, r.stderr).toBe(0);
    id = (JSON.parse(r.stdout) as { member_id: string }).member_id;
  });

  it('records consent and exports the subject as JSON (stdout or file) and as PDF', async () => {
    const consent = json('consent', 'record', id, '--text', 'I agree to be recognised at the door.');
    expect(consent).toMatchObject({ subject_id: id, consent_id: expect.any(Number) });

    const out = json('subject', 'export', id);
    expect(out).toMatchObject({ subject_id: id, kind: 'member', personal: { name: NAME } });
    expect((out.embeddings as { count: number }).count).toBe(4);
    expect(out.consents).toMatchObject([
      { text: 'I agree to be recognised at the door.', withdrawn_at: null },
    ]);
    expect(JSON.stringify(out)).not.toMatch(/\[(-?\d+\.\d+,){8}/);

    const file = join(dir, 'subject.json');
    expect(json('subject', 'export', id, '--out', file)).toMatchObject({ out: file, format: 'json' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      subject_id: id,
      personal: { name: NAME },
    });

    const pdf = join(dir, 'subject.pdf');
    expect(json('subject', 'export', id, '--out', pdf)).toMatchObject({ format: 'pdf' });
    const { text } = await pdfText(readFileSync(pdf));
    expect(text).toContain(NAME);
    expect(text).toContain(id);
    expect(text).toContain('I agree to be recognised at the door.');
  });

  it('restricts and lifts the restriction', () => {
    expect(json('subject', 'restrict', id)).toEqual({ subject_id: id, restricted: true });
    expect(json('members', 'show', id)).toMatchObject({ status: 'restricted' });
    expect(json('subject', 'restrict', id, '--lift')).toEqual({ subject_id: id, restricted: false });
    expect(json('members', 'show', id)).toMatchObject({ status: 'active' });
  });

  it('verifies the audit chain: intact on a fresh store, names the tampered row otherwise', () => {
    const fresh = mkdtempSync(join(tmpdir(), 'vigil-audit-'));
    const empty = vigil(['audit', 'verify', '--data-dir', fresh]);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout.trim()).toBe('audit chain intact: 0 rows');

    const n = withStore((e) => e.store.sql.prepare('SELECT COUNT(*) FROM audit_log').pluck().get() as number);
    expect(n).toBeGreaterThan(5);
    const ok = run('audit', 'verify');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe(`audit chain intact: ${n} rows, anchor matches`);
    expect(json('audit', 'verify')).toEqual({ ok: true, rows: n, first_bad: null, anchor: 'ok' });

    const target = withStore((e) => {
      const row = e.store.sql
        .prepare("SELECT audit_id FROM audit_log WHERE action = 'consent_recorded'")
        .pluck()
        .get() as number;
      e.store.sql.prepare('UPDATE audit_log SET actor = ? WHERE audit_id = ?').run('someone-else', row);
      return row;
    });
    const bad = run('audit', 'verify');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`row ${target}`);
    const verdict = run('audit', 'verify', '--json');
    expect(verdict.code).toBe(1);
    expect(JSON.parse(verdict.stdout)).toEqual({
      ok: false,
      rows: target,
      first_bad: target,
      anchor: null,
      problem: 'it was changed',
    });
  });

  it('withdrawing consent erases the member; erasing again is an error; usage errors exit 2', () => {
    expect(json('consent', 'withdraw', id)).toEqual({ subject_id: id, withdrawn: 1, erased: true });
    expect(
      (json('members', 'list') as unknown as { member_id: string }[]).map((m) => m.member_id),
    ).not.toContain(id);
    expect(withStore((e) => e.store.sql.prepare('SELECT COUNT(*) FROM members').pluck().get())).toBe(0);
    const again = run('subject', 'erase', id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`No person with id ${id}`);
    expect(run('subject', 'erase').code).toBe(2);
    expect(run('consent', 'record', id).code).toBe(2);
    expect(run('audit', 'check').code).toBe(2);
  });
});
