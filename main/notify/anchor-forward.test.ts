import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine.js';
import { appendAudit, forwardAuditAnchor, type AuditAnchor } from '../store/audit.js';
import { anchorForwarder, forwardTargetProblem } from './anchor-forward.js';

/** Each new head of the audit chain reaches a syslog collector or a webhook off the machine. */
describe('forwarding the audit anchor', () => {
  let engine: Engine;
  beforeAll(() => {
    engine = Engine.open({ dataDir: mkdtempSync(join(tmpdir(), 'vigil-forward-')) });
  });
  afterAll(() => engine?.close());

  it('posts the latest head to a webhook', async () => {
    const got: { anchor: AuditAnchor }[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        got.push(JSON.parse(body) as { anchor: AuditAnchor });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const port = (hook.address() as AddressInfo).port;
    forwardAuditAnchor(engine.store.sql, anchorForwarder(`http://127.0.0.1:${port}/audit`, 50));
    for (let i = 0; i < 3; i++)
      appendAudit(engine.store.sql, { actor: 'cli', action: 'member_viewed', subject: `M${i}` });
    await expect.poll(() => got.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const last = engine.store.sql
      .prepare('SELECT audit_id, hash FROM audit_log ORDER BY audit_id DESC LIMIT 1')
      .get() as {
      audit_id: number;
      hash: string;
    };
    await expect.poll(() => got.at(-1)!.anchor.last_id, { timeout: 10_000 }).toBe(last.audit_id);
    expect(got.at(-1)!.anchor).toMatchObject({
      hash: last.hash,
      mac: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    forwardAuditAnchor(engine.store.sql, null);
    hook.close();
  });

  it('sends the head to a syslog collector over UDP', async () => {
    const lines: string[] = [];
    const collector = createSocket('udp4');
    collector.on('message', (m) => lines.push(m.toString()));
    await new Promise<void>((r) => collector.bind(0, '127.0.0.1', r));
    const port = collector.address().port;
    forwardAuditAnchor(engine.store.sql, anchorForwarder(`syslog://127.0.0.1:${port}`, 50));
    appendAudit(engine.store.sql, { actor: 'cli', action: 'member_viewed', subject: 'S' });
    await expect.poll(() => lines.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(lines[0]).toMatch(
      /^<86>1 \S+ \S+ vigil - audit-anchor - last_id=\d+ count=\d+ hash=k1:[0-9a-f]{64} mac=/,
    );
    forwardAuditAnchor(engine.store.sql, null);
    collector.close();
  });

  it('names a target it cannot use', () => {
    expect(forwardTargetProblem('syslog://logs.example:514')).toBeNull();
    expect(forwardTargetProblem('https://siem.example/hook')).toBeNull();
    expect(forwardTargetProblem('ftp://x')).toMatch(/takes syslog/);
    expect(forwardTargetProblem('not a url')).toMatch(/takes syslog/);
  });
});
