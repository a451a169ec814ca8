import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareDemo } from '../demo/demo-camera.js';
import { Engine } from '../engine/engine.js';
import { startRuntime, type Runtime } from '../services/live-runtime.js';
import { packageRoot } from '../paths.js';
import { hasCrop } from '../privacy/crops.js';
import { findFfmpeg } from '../source/ffmpeg.js';
import { verifyAudit } from '../store/audit.js';
import { writeConfig } from '../store/config.js';
import { listMembers } from '../store/members.js';
import { listUnknowns } from '../store/unknowns.js';
import { restoreBackup } from './archive.js';
import { runScheduledBackup } from './schedule.js';

const CLI = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');
const PASSPHRASE = 'correct horse battery staple';

/** The CLI in its own process, as an operator runs it beside `vigil serve` (never blocking the camera). */
function vigil(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += String(d)));
    c.stderr.on('data', (d: Buffer) => (err += String(d)));
    // 'close', not 'exit': only then has all of its output been read.
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('backup while a camera runs, then restore', () => {
  let dir: string;
  let engine: Engine;
  let runtime: Runtime;
  const work = mkdtempSync(join(tmpdir(), 'vigil-backup-'));
  const file = join(work, 'site.vbak');

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error('Build first (npm run build): the CLI runs from dist/.');
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) throw new Error('ffmpeg is required (bash .ci/setup installs it)');
    dir = join(work, 'data');
    // The demo camera: a member and a stranger, looped, from drawn faces (no test assets needed).
    await prepareDemo({ dataDir: dir, ffmpeg: ffmpeg.path, pack: 'default', passphrase: PASSPHRASE });
    engine = Engine.open({ dataDir: dir, passphrase: PASSPHRASE });
    runtime = await startRuntime(engine, { pack: 'default', dataDir: dir, ffmpeg, onEvent: () => undefined });
    // Wait for the stranger to be stored with an encrypted crop.
    for (
      let i = 0;
      i < 90 && !listUnknowns(engine.store.sql).some((u) => hasCrop(engine.store, u.unknown_id));
      i++
    )
      await new Promise((r) => setTimeout(r, 1000));
  }, 150_000);

  afterAll(async () => {
    await runtime?.stop();
    engine?.close();
  });

  it('backs up online and restores the same members, unknowns, crops and audit chain', async () => {
    expect(listUnknowns(engine.store.sql).length).toBeGreaterThan(0);
    const framesBefore = runtime.pipeline!.stats().frames_analysed;
    const b = await vigil(['backup', '--data-dir', dir, '--out', file], { VIGIL_PASSPHRASE: PASSPHRASE });
    expect(b.err).toBe('');
    expect(b.code).toBe(0);
    // The camera kept running through the backup: it goes on analysing frames.
    await expect
      .poll(() => runtime.pipeline!.stats().frames_analysed, { timeout: 60_000, interval: 250 })
      .toBeGreaterThan(framesBefore);
    // Nothing in the file is readable without the key: no SQLite header, no member name.
    const bytes = readFileSync(file);
    expect(bytes.includes(Buffer.from('SQLite format 3'))).toBe(false);
    expect(bytes.includes(Buffer.from('Demo Member'))).toBe(false);

    const target = join(work, 'restored');
    const r = await vigil(['restore', file, '--data-dir', target, '--json'], {
      VIGIL_PASSPHRASE: PASSPHRASE,
    });
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as { audit: { ok: boolean; rows: number } };
    expect(summary.audit.ok).toBe(true);

    const restored = Engine.open({ dataDir: target, passphrase: PASSPHRASE });
    try {
      const ids = (e: Engine) => listMembers(e.store.sql).map((m) => [m.member_id, m.name]);
      expect(ids(restored)).toEqual(ids(engine));
      // Unknowns present at backup time (the live store may have gained sightings since).
      const restoredUnknowns = listUnknowns(restored.store.sql);
      expect(restoredUnknowns.length).toBeGreaterThan(0);
      const live = new Set(listUnknowns(engine.store.sql).map((u) => u.unknown_id));
      for (const u of restoredUnknowns) expect(live.has(u.unknown_id)).toBe(true);
      const withCrop = restoredUnknowns.filter((u) => hasCrop(restored.store, u.unknown_id));
      expect(withCrop.length).toBeGreaterThan(0);
      for (const u of withCrop) {
        const jpeg = restored.readCrop(u.unknown_id);
        expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
      }
      const audit = verifyAudit(restored.store.sql);
      expect(audit.ok).toBe(true);
      expect(audit.rows).toBe(summary.audit.rows);
      // The member still matches after the restore (vectors came along).
      const [face] = await restored.identify(join(dir, 'demo', 'member.jpg'));
      expect(face?.type).toBe('known_member');
    } finally {
      restored.close();
    }
  }, 120_000);

  it('refuses a wrong passphrase, an altered file and a folder that is not empty, leaving nothing behind', async () => {
    const wrong = join(work, 'wrong');
    const w = await vigil(['restore', file, '--data-dir', wrong], { VIGIL_PASSPHRASE: 'not the passphrase' });
    expect(w.code).toBe(1);
    expect(w.err).toMatch(/^vigil: Wrong passphrase/);
    expect(existsSync(wrong)).toBe(false);

    const altered = join(work, 'altered.vbak');
    const bytes = readFileSync(file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1000) ^ 0x01, bytes.length - 1000);
    writeFileSync(altered, bytes);
    const a = await vigil(['restore', altered, '--data-dir', join(work, 'altered')], {
      VIGIL_PASSPHRASE: PASSPHRASE,
    });
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/damaged or was altered/);
    expect(existsSync(join(work, 'altered'))).toBe(false);

    const n = await vigil(['restore', file, '--data-dir', dir], { VIGIL_PASSPHRASE: PASSPHRASE });
    expect(n.code).toBe(1);
    expect(n.err).toMatch(/is not empty/);

    const junk = join(work, 'junk.vbak');
    writeFileSync(junk, 'hello');
    const j = await vigil(['restore', junk, '--data-dir', join(work, 'junk')], {
      VIGIL_PASSPHRASE: PASSPHRASE,
    });
    expect(j.code).toBe(1);
    expect(j.err).toMatch(/not a Vigil backup/);
  }, 60_000);

  it('scheduled backups: one a day once the hour is reached, the newest N kept', async () => {
    const folder = join(work, 'scheduled');
    writeConfig(engine.store.sql, 'backup_schedule', { enabled: true, folder, keep: 2, hour: 3 });
    expect(await runScheduledBackup(engine, dir, new Date(2026, 0, 1, 2, 0))).toBeNull();
    for (const d of [1, 2, 3])
      expect(await runScheduledBackup(engine, dir, new Date(2026, 0, d, 4, 0))).toMatch(/\.vbak$/);
    // Already made today: nothing new.
    expect(await runScheduledBackup(engine, dir, new Date(2026, 0, 3, 5, 0))).toBeNull();
    writeFileSync(join(folder, 'notes.txt'), 'kept: not a backup of ours');
    await runScheduledBackup(engine, dir, new Date(2026, 0, 4, 4, 0));
    expect(readdirSync(folder).sort()).toEqual([
      'notes.txt',
      'vigil-backup-2026-01-03.vbak',
      'vigil-backup-2026-01-04.vbak',
    ]);
    // Made on the backup thread with its own read-only connection: a complete, restorable backup.
    const target = join(work, 'from-schedule');
    await restoreBackup(join(folder, 'vigil-backup-2026-01-04.vbak'), target, { passphrase: PASSPHRASE });
    const restored = Engine.open({ dataDir: target, passphrase: PASSPHRASE });
    try {
      expect(listMembers(restored.store.sql).map((m) => m.member_id)).toEqual(
        listMembers(engine.store.sql).map((m) => m.member_id),
      );
      expect(verifyAudit(restored.store.sql).ok).toBe(true);
    } finally {
      restored.close();
    }
  }, 60_000);
});
