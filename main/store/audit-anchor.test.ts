import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine.js';
import { readKeyFile, writeKeyFile } from '../privacy/key-file.js';
import { storeKeyForReading } from '../privacy/keys.js';
import { modelById, packByName } from '../catalogue/manifest.js';
import { packageRoot } from '../paths.js';
import { appendAudit, AUDIT_ANCHOR_FILE, verifyAudit } from './audit.js';
import { DB_FILE, openDatabase } from './open.js';

/**
 * The audit log against someone who holds the data folder, database key included, but not the
 * master key: they can delete and edit rows, yet `vigil audit verify` notices.
 */
const CLI = join(packageRoot(), 'dist', 'main', 'cli', 'vigil.js');

function folderWithLog(rows: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-audit-'));
  const engine = Engine.open({ dataDir: dir });
  for (let i = 0; i < rows; i++)
    appendAudit(engine.store.sql, { actor: 'cli', action: 'member_viewed', subject: `M${i}` });
  engine.close();
  return dir;
}

/** The store opened with its database key only, as the attacker has it. */
function withStoreKey<T>(dir: string, fn: (db: ReturnType<typeof openDatabase>) => T): T {
  const recognizer = modelById(packByName('default').recognizer);
  const recognizerId = recognizer.id;
  const embeddingDim = Number(recognizer.output.size);
  const db = openDatabase(dir, { recognizerId, embeddingDim, key: storeKeyForReading(dir, {}) });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function verify(dir: string) {
  const engine = Engine.open({ dataDir: dir });
  try {
    return verifyAudit(engine.store.sql);
  } finally {
    engine.close();
  }
}

describe('tamper-evident audit log', () => {
  it('keys the chain and anchors its head beside the store', () => {
    const dir = folderWithLog(6);
    const v = verify(dir);
    expect(v).toMatchObject({ ok: true, anchor: 'ok' });
    const anchor = JSON.parse(readFileSync(join(dir, AUDIT_ANCHOR_FILE), 'utf8')) as { count: number };
    expect(anchor.count).toBe(v.rows);
    withStoreKey(dir, (db) => {
      const hashes = db.prepare('SELECT hash FROM audit_log').pluck().all() as string[];
      expect(hashes.every((h) => h.startsWith('k1:'))).toBe(true);
    });
  });

  it('fails after a row is deleted from the middle', () => {
    const dir = folderWithLog(6);
    withStoreKey(dir, (db) => db.prepare('DELETE FROM audit_log WHERE audit_id = 3').run());
    expect(verify(dir)).toMatchObject({ ok: false, firstBad: 4 });
    if (existsSync(CLI)) {
      const r = spawnSync(process.execPath, [CLI, 'audit', 'verify', '--data-dir', dir], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/audit chain broken at row 4/);
    }
  });

  it('fails after the tail is truncated, though the rest still chains', () => {
    const dir = folderWithLog(6);
    const rows = verify(dir).rows;
    withStoreKey(dir, (db) => db.prepare('DELETE FROM audit_log WHERE audit_id > ?').run(rows - 2));
    expect(verify(dir)).toMatchObject({ ok: false, anchor: 'mismatch' });
    if (existsSync(CLI)) {
      const r = spawnSync(process.execPath, [CLI, 'audit', 'verify', '--data-dir', dir], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/rows were removed/);
    }
  });

  it('fails when rows are re-hashed without the key, or the anchor is rewritten or deleted', () => {
    const dir = folderWithLog(4);
    // An attacker re-chains the log with plain SHA-256 after editing a row.
    withStoreKey(dir, (db) => {
      db.prepare('DELETE FROM audit_log').run();
      for (let i = 0; i < 5; i++)
        appendAudit(db, { actor: 'cli', action: 'member_viewed', subject: `X${i}` });
    });
    expect(verify(dir)).toMatchObject({ ok: false, problem: expect.stringMatching(/without the audit key/) });

    const dir2 = folderWithLog(4);
    const file = join(dir2, AUDIT_ANCHOR_FILE);
    const a = JSON.parse(readFileSync(file, 'utf8')) as { count: number };
    writeFileSync(file, JSON.stringify({ ...a, count: a.count - 1 }));
    expect(verify(dir2)).toMatchObject({ ok: false, anchor: 'forged' });
    rmSync(file);
    expect(verify(dir2)).toMatchObject({ ok: false, anchor: 'missing' });
  });

  it('keeps an unkeyed chain from before the key and keys what follows', () => {
    const dir = folderWithLog(0);
    // The folder as an older version left it: no audit key, an unkeyed chain, no anchor.
    const file = readKeyFile(dir)!;
    delete file.audit;
    delete file.audit_legacy_until;
    writeKeyFile(dir, file);
    rmSync(join(dir, AUDIT_ANCHOR_FILE), { force: true });
    withStoreKey(dir, (db) => {
      db.prepare('DELETE FROM audit_log').run();
      for (let i = 0; i < 3; i++)
        appendAudit(db, { actor: 'cli', action: 'member_viewed', subject: `L${i}` });
    });
    expect(verify(dir)).toMatchObject({ ok: true, anchor: 'ok' });
    expect(readKeyFile(dir)!.audit_legacy_until).toBeGreaterThan(0);
    // An unkeyed row added after the key existed does not pass.
    withStoreKey(dir, (db) => appendAudit(db, { actor: 'cli', action: 'member_viewed', subject: 'late' }));
    expect(verify(dir)).toMatchObject({ ok: false });
  });

  it('keeps the data folder 0700 and its database and key files 0600, even when they were looser', () => {
    if (process.platform === 'win32') return;
    const dir = folderWithLog(1);
    chmodSync(dir, 0o755);
    chmodSync(join(dir, DB_FILE), 0o644);
    chmodSync(join(dir, 'keys.json'), 0o644);
    verify(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, DB_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'keys.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, AUDIT_ANCHOR_FILE)).mode & 0o777).toBe(0o600);
  });
});
