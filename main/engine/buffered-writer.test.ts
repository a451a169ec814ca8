import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { awayStore } from '../testing/away-store.js';
import { BufferedWriter, type StoreNotice } from './buffered-writer.js';
import { Engine } from './engine.js';
import { planUnknownSighting, type Bbox, type UnknownSighting } from './sightings.js';

/**
 * The buffered writer against the real embedded store, made unreachable through a wrapper that
 * throws STORE_UNREACHABLE as the shared store's bridge does when PostgreSQL is away (the bridge
 * is not merged yet; see testing/away-store.ts). Each write it lets through is a real transaction.
 */

const bbox: Bbox = [10, 20, 110, 140];
const T0 = Date.parse('2026-11-30T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function unit(dim: number, seed: number): Float32Array {
  const v = new Float32Array(dim);
  let n = 0;
  for (let i = 0; i < dim; i++) {
    v[i] = Math.sin(seed * 7.31 + i * 0.77) + Math.cos(seed * 1.7 * i);
    n += v[i]! * v[i]!;
  }
  n = Math.sqrt(n);
  for (let i = 0; i < dim; i++) v[i]! /= n;
  return v;
}

/** The stored operation ids (test-only SQL: the repositories keep them to themselves). */
const opIds = (engine: Engine, table: 'appearances' | 'alerts'): string[] =>
  engine.store.sql.prepare(`SELECT op_id FROM ${table} ORDER BY rowid`).pluck().all() as string[];

const opened: { engine: Engine; writer?: BufferedWriter }[] = [];
afterEach(() => {
  for (const o of opened.splice(0)) {
    o.writer?.close();
    o.engine.close();
  }
});

function setup(opts: { maxBytes?: number } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-bw-'));
  const engine = Engine.open({ dataDir });
  engine.store.members.insert('MEMBER_spool1', { name: 'Spool Member' }, engine.recognizer.id, 0.9);
  const away = awayStore(engine);
  const dir = join(dataDir, 'spool');
  const writer = new BufferedWriter(away.engine, { dir, retryMs: 60_000, ...opts });
  const o: { engine: Engine; writer?: BufferedWriter } = { engine, writer };
  opened.push(o);
  const notices: StoreNotice[] = [];
  writer.on('away', (n) => notices.push(n));
  writer.on('back', (n) => notices.push(n));
  return { dataDir, engine, away, writer, dir, notices, o };
}

const member = (i: number) => ({
  memberId: 'MEMBER_spool1',
  cameraId: 'cam-1',
  firstSeen: T0 + i * 10_000,
  lastSeen: T0 + i * 10_000 + 2000,
  similarity: 0.81,
  bbox,
});

describe('the buffered writer', () => {
  it('with the store here writes at once, with an operation id, and spools nothing', () => {
    const { engine, writer, dir } = setup();
    const id = writer.recordMember(member(0))!;
    expect(id).toBeGreaterThan(0);
    writer.extend({ appearanceId: id, kind: 'member', personId: 'MEMBER_spool1' }, T0 + 9000);
    const alert = writer.insertAlert({
      type: 'unauthorized_access',
      priority: 'critical',
      personKind: 'member',
      personId: 'MEMBER_spool1',
      cameraId: 'cam-1',
      message: 'seen',
      createdAt: iso(T0),
    });
    expect(alert).toBeGreaterThan(0);
    const rows = engine.store.appearances.list();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ appearance_id: id, last_seen: iso(T0 + 9000) });
    expect(opIds(engine, 'appearances')).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/)]);
    expect(opIds(engine, 'alerts')).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/)]);
    // The operation id stays in the store: rows go out as before.
    expect(rows[0]).not.toHaveProperty('op_id');
    expect(engine.store.alerts.all()[0]).not.toHaveProperty('op_id');
    expect(writer.state()).toBe('ok');
    expect(writer.pending()).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });

  it('while the store is away keeps N sightings, their extensions, strangers and alerts, then writes each once', () => {
    const { engine, away, writer, dir, notices } = setup();
    away.mode = 'down';
    const N = 25;
    const ids: number[] = [];
    for (let i = 0; i < N; i++) {
      const id = writer.recordMember(member(i))!;
      ids.push(id);
      // Provisional while away: negative, and extendable.
      expect(id).toBeLessThan(0);
      writer.extend({ appearanceId: id, kind: 'member', personId: 'MEMBER_spool1' }, T0 + i * 10_000 + 5000);
    }
    // Only the first write tried the store: the rest went to the spool without a connection attempt.
    expect(away.refused).toBe(1);
    // A new stranger, seen again while away: the same id on this node (vectors kept in memory).
    const dim = engine.store.vectors.dim;
    const face = unit(dim, 3);
    const threshold = engine.thresholds().unknown;
    const first: UnknownSighting = {
      cameraId: 'cam-1',
      firstSeen: T0 + 500_000,
      lastSeen: T0 + 503_000,
      bbox,
      shots: [{ embedding: face, quality: 0.9 }],
      nearest: writer.nearestUnknown(face),
      unknownThreshold: threshold,
    };
    expect(first.nearest).toBeUndefined();
    const plan1 = planUnknownSighting(first);
    expect(plan1.kind).toBe('new_unknown');
    writer.recordUnknown(first, plan1);
    const again: UnknownSighting = {
      ...first,
      firstSeen: T0 + 600_000,
      lastSeen: T0 + 601_000,
      nearest: writer.nearestUnknown(face),
    };
    const plan2 = planUnknownSighting(again);
    expect(plan2).toMatchObject({ kind: 'recurring_unknown', unknownId: plan1.unknownId });
    writer.recordUnknown(again, plan2);
    expect(
      writer.insertAlert({
        type: 'new_unknown',
        priority: 'high',
        personKind: 'unknown',
        personId: plan1.unknownId,
        cameraId: 'cam-1',
        message: `New unknown person ${plan1.unknownId}`,
        createdAt: iso(T0 + 500_000),
      }),
    ).toBeUndefined();

    expect(writer.state()).toBe('away');
    expect(writer.pending()).toBe(2 * N + 3);
    expect(engine.store.appearances.list()).toHaveLength(0);
    // Sealed on disk: neither the stranger's id nor the member's is readable.
    const journal = readFileSync(join(dir, 'journal'));
    expect(journal.includes(Buffer.from(plan1.unknownId))).toBe(false);
    expect(journal.includes(Buffer.from('MEMBER_spool1'))).toBe(false);

    // Still away: a flush keeps everything.
    expect(writer.flush()).toBe(false);
    expect(writer.pending()).toBe(2 * N + 3);

    away.mode = 'up';
    expect(writer.flush()).toBe(true);
    expect(writer.state()).toBe('ok');
    expect(writer.pending()).toBe(0);
    expect(notices.map((n) => n.state)).toEqual(['away', 'ok']);
    const rows = engine.store.appearances.list();
    expect(rows).toHaveLength(N + 2);
    expect(new Set(opIds(engine, 'appearances')).size).toBe(N + 2);
    const members = rows.filter((r) => r.person_kind === 'member');
    expect(members.map((r) => r.last_seen)).toEqual(
      Array.from({ length: N }, (_, i) => iso(T0 + i * 10_000 + 5000)),
    );
    // Provisional ids now lead to the rows, so later extensions reach them.
    const real = writer.realId(ids[3]!)!;
    expect(real).toBe(members[3]!.appearance_id);
    writer.extend({ appearanceId: ids[3]!, kind: 'member', personId: 'MEMBER_spool1' }, T0 + 99_000);
    expect(engine.store.appearances.list().find((r) => r.appearance_id === real)!.last_seen).toBe(
      iso(T0 + 99_000),
    );
    expect(engine.store.members.get('MEMBER_spool1')!.total_appearances).toBe(N);
    const stranger = engine.store.unknowns.get(plan1.unknownId)!;
    expect(stranger).toMatchObject({ appearance_count: 2, status: 'active' });
    expect(engine.store.vectors.vectorsOf('unknown', plan1.unknownId).length).toBeGreaterThan(0);
    expect(engine.store.alerts.all().map((a) => a.person_id)).toEqual([plan1.unknownId]);
    expect(engine.store.audit.verify().ok).toBe(true);
    expect(statSync(join(dir, 'journal')).size).toBe(0);
  });

  it('writes a record once when its commit succeeded but the answer was lost', () => {
    const { engine, away, writer } = setup();
    away.mode = 'lose-ack';
    const id = writer.recordMember(member(0));
    // The row is in the store, but the node could not know: it kept the write.
    expect(id).toBeLessThan(0);
    expect(engine.store.appearances.list()).toHaveLength(1);
    expect(writer.pending()).toBe(1);
    writer.recordMember(member(1));
    // Replayed while answers are still lost: the first finds its row, and nothing leaves the spool.
    away.mode = 'lose-ack';
    expect(writer.flush()).toBe(false);
    expect(writer.pending()).toBe(2);
    away.mode = 'up';
    expect(writer.flush()).toBe(true);
    away.mode = 'lose-ack';
    expect(
      writer.insertAlert({
        type: 'camera_offline',
        priority: 'high',
        personKind: null,
        personId: null,
        cameraId: 'cam-1',
        message: 'Camera cam-1 is offline.',
        createdAt: iso(T0),
      }),
    ).toBeUndefined();
    away.mode = 'up';
    expect(writer.flush()).toBe(true);
    expect(engine.store.appearances.list().map((r) => r.first_seen)).toEqual([iso(T0), iso(T0 + 10_000)]);
    expect(engine.store.members.get('MEMBER_spool1')!.total_appearances).toBe(2);
    expect(engine.store.alerts.all()).toHaveLength(1);
  });

  it('replays what a previous run left, in a new writer on the same folder', () => {
    const { dataDir, engine, away, writer, o } = setup();
    away.mode = 'down';
    for (let i = 0; i < 5; i++) writer.recordMember(member(i));
    writer.close();
    delete o.writer;
    const next = new BufferedWriter(engine, { dir: join(dataDir, 'spool') });
    opened.push({ engine: engine, writer: next });
    expect(next.state()).toBe('away');
    expect(next.pending()).toBe(5);
    expect(next.flush()).toBe(true);
    expect(engine.store.appearances.list()).toHaveLength(5);
    // Flushed twice (a kill after the commits, before the cursor moved, replays them): still five.
    expect(next.flush()).toBe(true);
    expect(engine.store.appearances.list()).toHaveLength(5);
  });

  it('does not bring back the sightings and alerts of someone erased on another node meanwhile', () => {
    const { engine, away, writer } = setup();
    engine.store.members.insert('MEMBER_spool2', { name: 'Leaving' }, engine.recognizer.id, 0.9);
    away.mode = 'down';
    writer.recordMember(member(0));
    writer.recordMember({ ...member(1), memberId: 'MEMBER_spool2' });
    writer.insertAlert({
      type: 'unauthorized_access',
      priority: 'critical',
      personKind: 'member',
      personId: 'MEMBER_spool2',
      cameraId: 'cam-1',
      message: 'Watch-listed person MEMBER_spool2 seen on camera cam-1.',
      createdAt: iso(T0),
    });
    // Another node erases the member while this one cannot reach the store.
    engine.store.members.delete('MEMBER_spool2');
    away.mode = 'up';
    expect(writer.flush()).toBe(true);
    expect(engine.store.appearances.list().map((r) => r.person_id)).toEqual(['MEMBER_spool1']);
    expect(engine.store.alerts.all()).toEqual([]);
    expect(writer.droppedWrites()).toEqual({ member: 1, alert: 1 });
  });

  it('when its spool is full refuses extensions first and keeps alerts, warning once', () => {
    const { away, writer, engine } = setup({ maxBytes: 8_000 });
    const full: StoreNotice[] = [];
    writer.on('full', (n) => full.push(n));
    away.mode = 'down';
    let sightings = 0;
    while (writer.recordMember(member(sightings)) !== undefined) sightings++;
    const open = -1;
    writer.extend({ appearanceId: open, kind: 'member', personId: 'MEMBER_spool1' }, T0 + 1);
    expect(writer.droppedWrites()).toMatchObject({ member: 1, extend: 1 });
    // An alert still finds room.
    writer.insertAlert({
      type: 'new_unknown',
      priority: 'high',
      personKind: null,
      personId: null,
      cameraId: 'cam-1',
      message: 'm',
      createdAt: iso(T0),
    });
    expect(writer.droppedWrites().alert).toBeUndefined();
    expect(full).toHaveLength(1);
    away.mode = 'up';
    expect(writer.flush()).toBe(true);
    expect(engine.store.appearances.list()).toHaveLength(sightings);
    expect(engine.store.alerts.all()).toHaveLength(1);
  });
});
