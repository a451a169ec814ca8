import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine.js';
import { verifyAudit } from '../store/audit.js';
import { testContext } from '../testing/api-context.js';
import { auditRefusal, flushRefusals, REFUSAL_ROWS_PER_MINUTE } from './refusal-audit.js';

/** An anonymous client cannot grow the audit log without bound with refused attempts. */
describe('audit rows of refused attempts', () => {
  let engine: Engine;
  const from = (address: string) => ({
    ...testContext(engine, null),
    client: { address, userAgent: 'curl/8' },
  });
  const rows = (action: string) =>
    engine.store.sql
      .prepare('SELECT subject, details FROM audit_log WHERE action = ? ORDER BY audit_id')
      .all(action) as { subject: string | null; details: string }[];

  beforeAll(() => {
    engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-refusals-')) });
  });
  afterAll(() => engine?.close());

  it('writes the first refusal per client and minute, and counts the rest into one row', () => {
    const t = Date.parse('2026-12-01T10:00:00Z');
    for (let i = 0; i < 50; i++)
      auditRefusal(from('10.0.0.7'), 'login_failed', `guess${i}`, 'unknown_user', t + i * 100);
    expect(rows('login_failed')).toHaveLength(1);
    expect(JSON.parse(rows('login_failed')[0]!.details)).toMatchObject({
      address: '10.0.0.7',
      user_agent: 'curl/8',
      success: false,
    });
    auditRefusal(from('10.0.0.7'), 'login_failed', 'late', 'unknown_user', t + 61_000);
    expect(rows('login_failed')).toHaveLength(2);
    expect(rows('login_failed_repeated').map((r) => JSON.parse(r.details))).toEqual([
      expect.objectContaining({ address: '10.0.0.7', count: 49 }),
    ]);
  });

  it('caps the rows a minute over all addresses, keeping a count of the rest', () => {
    const t = Date.parse('2026-12-01T11:00:00Z');
    const before = rows('login_failed').length;
    for (let i = 0; i < 500; i++)
      auditRefusal(from(`10.1.${i >> 8}.${i & 255}`), 'login_failed', 'x', 'unknown_user', t);
    expect(rows('login_failed').length - before).toBeLessThanOrEqual(REFUSAL_ROWS_PER_MINUTE);
    auditRefusal(from('10.9.9.9'), 'login_failed', 'x', 'unknown_user', t + 60_000);
    const suppressed = rows('audit_refusals_suppressed').map(
      (r) => JSON.parse(r.details) as { count: number },
    );
    expect(suppressed.at(-1)!.count).toBe(500 - REFUSAL_ROWS_PER_MINUTE);
    flushRefusals(engine.store);
    expect(verifyAudit(engine.store.sql).ok).toBe(true);
  });
});
