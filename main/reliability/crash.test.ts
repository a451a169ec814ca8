import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Engine } from '../engine/engine.js';
import { ASSETS, describeWithAssets } from '../testing/assets.js';
import { checkStore, runCrashHarness, type CrashSpec, type CrashSummary } from './crash-harness.js';

/**
 * 30 SIGKILLs (10 per workload, two workers at a time to fit a 2-core machine in about a
 * minute); `npm run bench:crash` runs 210 and more. VIGIL_CRASH_SEED replays a failure.
 */
const RUNS = 30;
const seed = Number(process.env.VIGIL_CRASH_SEED ?? Date.now() % 2 ** 31);

describeWithAssets('crash safety under SIGKILL', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'vigil-crash-test-'));
  let summary: CrashSummary;
  afterAll(() => {
    if (summary?.failures.length === 0) rmSync(workDir, { recursive: true, force: true });
  });

  it(`survives ${RUNS} kills during enrollment, sighting storms and erasure, losing nothing (seed ${seed})`, async () => {
    summary = await runCrashHarness({ runs: RUNS, seed, assetsDir: ASSETS, workDir, parallel: 2 });
    console.log(`crash harness seed ${seed}: ${JSON.stringify(summary)}`);
    expect(summary.failures, `seed ${seed}`).toEqual([]);
    expect(summary).toMatchObject({
      runs: RUNS,
      integrity_failures: 0,
      records_lost: 0,
      half_enrolled: 0,
      orphans: 0,
      worker_errors: 0,
    });
    // The kill lands mid-work, and every workload wrote (and had checked) acknowledged records.
    expect(summary.killed).toBeGreaterThanOrEqual(RUNS * 0.8);
    for (const w of Object.values(summary.by_workload)) {
      expect(w.runs).toBe(RUNS / 3);
      expect(w.acked).toBeGreaterThan(0);
    }
  }, 300_000);

  it('the checks find a lost write, a half-enrolled member, an orphan and a tampered audit row', () => {
    const spec = JSON.parse(readFileSync(join(workDir, 'template', 'spec.json'), 'utf8')) as CrashSpec;
    const dir = join(workDir, 'broken');
    cpSync(join(workDir, 'template', 'data'), dir, { recursive: true });
    const intact = checkStore(dir, spec, []);
    expect(intact).toMatchObject({ integrity: 'ok', lost: [], halfEnrolled: [], orphans: [] });
    expect(intact.audit.ok).toBe(true);

    const engine = Engine.open({ dataDir: dir, passphrase: spec.passphrase });
    const member = spec.template.members[0]!;
    const centroid = engine.store.sql
      .prepare('SELECT embedding_id FROM embeddings WHERE person_id = ? AND is_centroid = 1')
      .pluck()
      .get(member) as number;
    const shots = engine.store.sql
      .prepare('SELECT COUNT(*) FROM embeddings WHERE person_id = ? AND is_centroid = 0')
      .pluck()
      .get(member) as number;
    expect(shots).toBeGreaterThan(0);
    engine.store.sql.prepare('DELETE FROM embeddings WHERE embedding_id = ?').run(centroid);
    engine.store.sql
      .prepare(
        "INSERT INTO appearances (person_kind, person_id, source, first_seen, last_seen, confidence, bbox) VALUES ('member', 'MEMBER_gone', 'camera', 'x', 'x', 1, '[]')",
      )
      .run();
    engine.store.sql.prepare("UPDATE audit_log SET details = '{}' WHERE audit_id = 2").run();
    engine.close();

    const broken = checkStore(dir, spec, ['ACK appearance 999999 ' + member, 'ACK member MEMBER_never 2']);
    expect(broken.audit).toMatchObject({ ok: false, firstBad: 2 });
    expect(broken.lost).toEqual([
      'acknowledged appearance 999999 of ' + member,
      'acknowledged member MEMBER_never',
      'audit entry of enrolling MEMBER_never',
    ]);
    expect(broken.halfEnrolled).toEqual([
      `member ${member} has ${shots} face vectors and 0 centroids`,
      `vector ${centroid} has no embedding row`,
    ]);
    expect(broken.orphans).toEqual([expect.stringMatching(/^appearance \d+ of MEMBER_gone$/)]);
  });
});
