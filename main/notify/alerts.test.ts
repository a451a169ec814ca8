import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../engine/events.js';
import { insertAppearance } from '../store/appearances.js';
import { openDatabase } from '../store/open.js';
import { Store } from '../store/store.js';
import { VectorStore } from '../store/vectors.js';
import { AlertEngine, acknowledgeAlert, resolveAlert } from './alerts.js';
import { channelsFrom } from './channels.js';

const sighting = (kind: 'new_unknown' | 'recurring_unknown', id: string, camera = 'cam1'): EngineEvent => ({
  type: 'recognition',
  camera_id: camera,
  track_id: 1,
  kind,
  unknown_id: id,
  name: id,
  confidence: 0.9,
  bbox: [0, 0, 10, 10],
  frame_at: Date.now(),
  at: Date.now(),
});

describe('alerts', () => {
  let hooks: { text: string; alert: { type: string } }[] = [];
  let mails: string[] = [];
  let http: Server;
  let smtp: SMTPServer;
  let webhookUrl = '';
  let smtpPort = 0;
  beforeAll(async () => {
    http = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(body));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    webhookUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/hook`;
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, cb) {
        let raw = '';
        stream.on('data', (c: Buffer) => (raw += c.toString()));
        stream.on('end', () => {
          mails.push(raw);
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    smtpPort = (smtp.server.address() as AddressInfo).port;
  });
  afterAll(() => {
    http?.close();
    smtp?.close();
  });

  function setup(rules = {}) {
    hooks = [];
    mails = [];
    const db = openDatabase(mkdtempSync(join(tmpdir(), 'vigil-alerts-')), {
      recognizerId: 'r',
      embeddingDim: 8,
    });
    let clock = Date.now();
    const channels = channelsFrom({
      webhook: { url: webhookUrl },
      smtp: { host: '127.0.0.1', port: smtpPort, from: 'vigil@example.test', to: ['guard@example.test'] },
    });
    const store = new Store(db, new VectorStore(db, 8));
    const alerts = new AlertEngine(store, channels, rules, () => clock);
    return { db, store, alerts, advance: (ms: number) => (clock += ms) };
  }

  it('raises new_unknown once per visit, delivers it by webhook and email, and again after the cooldown', async () => {
    const { db, alerts, advance } = setup({ cooldownMs: 600_000 });
    alerts.handle(sighting('new_unknown', 'UNKNOWN_20261128_00000001'));
    alerts.handle(sighting('new_unknown', 'UNKNOWN_20261128_00000001'));
    await alerts.flush();
    expect(db.prepare('SELECT COUNT(*) FROM alerts').pluck().get()).toBe(1);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.text).toMatch(
      /^\[HIGH\] New unknown person UNKNOWN_20261128_00000001 seen on camera cam1/,
    );
    expect(hooks[0]!.alert.type).toBe('new_unknown');
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatch(/Subject: Vigil high alert: new unknown/);
    expect(mails[0]).toMatch(/To: guard@example\.test/);
    advance(600_001);
    alerts.handle(sighting('new_unknown', 'UNKNOWN_20261128_00000001'));
    await alerts.flush();
    expect(db.prepare('SELECT COUNT(*) FROM alerts').pluck().get()).toBe(2);
  });

  it('publishes alerts to an MQTT broker for home-automation hubs', async () => {
    const { createBroker } = await import('aedes');
    const { createServer: createNetServer } = await import('node:net');
    const mqtt = (await import('mqtt')).default;
    const broker = createBroker();
    const server = createNetServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sub = await mqtt.connectAsync(url);
    const got = new Promise<{ topic: string; body: { type: string; priority: string } }>((resolve) =>
      sub.on('message', (topic, payload) => resolve({ topic, body: JSON.parse(payload.toString()) })),
    );
    await sub.subscribeAsync('vigil/#');
    const db = openDatabase(mkdtempSync(join(tmpdir(), 'vigil-mqtt-')), {
      recognizerId: 'r',
      embeddingDim: 8,
    });
    const alerts = new AlertEngine(
      new Store(db, new VectorStore(db, 8)),
      channelsFrom({ mqtt: { url, topic: 'vigil' } }),
    );
    alerts.handle(sighting('new_unknown', 'UNKNOWN_20261128_00000003'));
    await alerts.flush();
    const msg = await got;
    expect(msg.topic).toBe('vigil/alert');
    expect(msg.body).toMatchObject({ type: 'new_unknown', priority: 'high' });
    await sub.endAsync();
    await new Promise<void>((r) => broker.close(() => r()));
    server.close();
  });

  it('raises recurring_unknown only when appearances reach the threshold in the window', async () => {
    const { db, store, alerts } = setup({ recurringThreshold: 3 });
    const id = 'UNKNOWN_20261128_00000002';
    const now = new Date().toISOString();
    const add = () =>
      insertAppearance(db, {
        person_kind: 'unknown',
        person_id: id,
        camera_id: 'cam2',
        source: 'camera',
        first_seen: now,
        last_seen: now,
        confidence: 0.8,
        bbox: [0, 0, 1, 1],
      });
    add();
    add();
    alerts.handle(sighting('recurring_unknown', id, 'cam2'));
    expect(db.prepare("SELECT COUNT(*) FROM alerts WHERE type = 'recurring_unknown'").pluck().get()).toBe(0);
    add();
    alerts.handle(sighting('recurring_unknown', id, 'cam2'));
    await alerts.flush();
    const row = db.prepare("SELECT * FROM alerts WHERE type = 'recurring_unknown'").get() as {
      priority: string;
      message: string;
      alert_id: number;
    };
    expect(row.priority).toBe('medium');
    expect(row.message).toMatch(/seen 3 times/);
    expect(acknowledgeAlert(store, row.alert_id, 'guard1', 'known courier')).toBe(true);
    expect(acknowledgeAlert(store, row.alert_id, 'guard1')).toBe(false);
    expect(resolveAlert(store, row.alert_id, 'resolved at the desk')).toBe(true);
    expect(
      db.prepare('SELECT status, acknowledged_by, notes FROM alerts WHERE alert_id = ?').get(row.alert_id),
    ).toEqual({
      status: 'resolved',
      acknowledged_by: 'guard1',
      notes: 'resolved at the desk',
    });
  });

  it('raises unauthorized_access for a watch-listed or suspended member, or outside allowed hours', async () => {
    const { db, alerts } = setup();
    const now = new Date().toISOString();
    const member = (id: string, extra: string) =>
      db
        .prepare(
          `INSERT INTO members (member_id, name, recognizer, created_at, updated_at${extra ? ', ' + extra.split('=')[0] : ''}) VALUES (?, 'n', 'r', ?, ?${extra ? ', ?' : ''})`,
        )
        .run(id, now, now, ...(extra ? [extra.split('=')[1]] : []));
    member('M_OK', '');
    member('M_WATCH', 'watchlist=1');
    member('M_SUSP', 'status=suspended');
    const h = new Date().getHours();
    const closed = `${String((h + 2) % 24).padStart(2, '0')}:00-${String((h + 3) % 24).padStart(2, '0')}:00`;
    member('M_HOURS', `allowed_hours=${closed}`);
    const seen = (id: string): EngineEvent => ({
      type: 'recognition',
      camera_id: 'gate',
      track_id: 1,
      kind: 'known_member',
      member_id: id,
      name: 'n',
      confidence: 0.9,
      bbox: [0, 0, 1, 1],
      frame_at: Date.now(),
      at: Date.now(),
    });
    for (const id of ['M_OK', 'M_WATCH', 'M_SUSP', 'M_HOURS']) alerts.handle(seen(id));
    await alerts.flush();
    const rows = db
      .prepare(
        "SELECT person_id, priority, message FROM alerts WHERE type = 'unauthorized_access' ORDER BY person_id",
      )
      .all() as { person_id: string; priority: string; message: string }[];
    expect(rows.map((r) => r.person_id)).toEqual(['M_HOURS', 'M_SUSP', 'M_WATCH']);
    expect(rows.every((r) => r.priority === 'critical')).toBe(true);
    expect(rows[0]!.message).toMatch(/outside allowed hours/);
  });

  it('raises camera_offline after the grace period, not for a brief drop', async () => {
    const { db, alerts } = setup({ offlineGraceMs: 100 });
    const status = (state: 'online' | 'offline', cameraId: string): EngineEvent => ({
      type: 'camera_status',
      camera_id: cameraId,
      state,
      reason: state === 'offline' ? 'the stream stopped' : null,
      fps: 0,
      last_frame_at: null,
      frames_decoded: 0,
      frames_dropped: 0,
      reconnects: 0,
      last_error: null,
      last_error_at: null,
    });
    alerts.handle(status('offline', 'blip'));
    alerts.handle(status('online', 'blip'));
    alerts.handle(status('offline', 'dead'));
    await new Promise((r) => setTimeout(r, 250));
    await alerts.flush();
    const rows = db.prepare("SELECT camera_id, message FROM alerts WHERE type = 'camera_offline'").all();
    expect(rows).toEqual([{ camera_id: 'dead', message: 'Camera dead is offline: the stream stopped.' }]);
    alerts.close();
  });

  it('takes new channels and rules while it runs: the next alert goes where the settings say', async () => {
    const { db, alerts, advance } = setup({ cooldownMs: 60_000 });
    alerts.handle(sighting('new_unknown', 'UNKNOWN_live1'));
    await alerts.flush();
    expect(hooks).toHaveLength(1);
    expect(mails).toHaveLength(1);
    // Live settings: only the e-mail channel from now on, and no cooldown.
    alerts.configure({
      channels: channelsFrom({
        smtp: { host: '127.0.0.1', port: smtpPort, from: 'vigil@example.test', to: ['guard@example.test'] },
      }),
      rules: { cooldownMs: 0 },
    });
    advance(1000);
    alerts.handle(sighting('new_unknown', 'UNKNOWN_live1'));
    await alerts.flush();
    expect(hooks).toHaveLength(1);
    expect(mails).toHaveLength(2);
    expect(db.prepare("SELECT COUNT(*) FROM alerts WHERE type = 'new_unknown'").pluck().get()).toBe(2);
    alerts.close();
  });

  it('stores, shows and sends system_error as high, once per source within the cooldown', async () => {
    const { db, alerts, advance } = setup({ cooldownMs: 60_000 });
    const shown: string[] = [];
    alerts.on('alert', (a) => shown.push(`${a.type}:${a.priority}`));
    alerts.raiseSystemError('inference:worker_crashed', 'An inference worker crashed; it was restarted.');
    alerts.raiseSystemError('inference:worker_crashed', 'An inference worker crashed; it was restarted.');
    // The disk guard's notice arrives as an engine event; it is a system_error of its own source.
    alerts.handle({
      type: 'alert',
      alert_type: 'system_error',
      alert_id: 0,
      priority: 'high',
      message: 'Vigil stopped recording: the disk holding the data folder is full.',
      camera_id: null,
      person_id: null,
      created_at: new Date().toISOString(),
    });
    advance(61_000);
    alerts.raiseSystemError('inference:worker_crashed', 'An inference worker crashed; it was restarted.');
    await alerts.flush();
    const rows = db
      .prepare("SELECT priority, status, message FROM alerts WHERE type = 'system_error' ORDER BY alert_id")
      .all() as { priority: string; status: string; message: string }[];
    expect(rows.map((r) => r.message)).toEqual([
      'An inference worker crashed; it was restarted.',
      'Vigil stopped recording: the disk holding the data folder is full.',
      'An inference worker crashed; it was restarted.',
    ]);
    expect(rows.every((r) => r.priority === 'high' && r.status === 'open')).toBe(true);
    expect(shown).toEqual(['system_error:high', 'system_error:high', 'system_error:high']);
    expect(hooks.map((h) => h.text)).toContain('[HIGH] An inference worker crashed; it was restarted.');
    alerts.close();
  });

  it('raises system_error when a camera decoder crash-loops, not for a camera that never connects', async () => {
    const { db, alerts } = setup({ offlineGraceMs: 3_600_000 });
    const status = (cameraId: string, state: 'online' | 'offline', reason: string | null): EngineEvent => ({
      type: 'camera_status',
      camera_id: cameraId,
      state,
      reason,
      fps: 0,
      last_frame_at: null,
      frames_decoded: 0,
      frames_dropped: 0,
      reconnects: 0,
      last_error: reason,
      last_error_at: null,
    });
    for (let i = 0; i < 3; i++) {
      alerts.handle(status('flaky', 'online', null));
      alerts.handle(status('flaky', 'offline', 'the decoder crashed (exit code 139)'));
      alerts.handle(status('unplugged', 'offline', 'connection refused'));
    }
    await alerts.flush();
    const rows = db
      .prepare("SELECT camera_id, priority, message FROM alerts WHERE type = 'system_error'")
      .all();
    expect(rows).toEqual([
      {
        camera_id: 'flaky',
        priority: 'high',
        message:
          'The video decoder of camera flaky keeps failing (3 times in 2 min): the decoder crashed (exit code 139).',
      },
    ]);
    alerts.close();
  });

  it("raises a possible member's new_unknown at medium priority, naming the member it resembles", async () => {
    const { db, alerts } = setup();
    alerts.handle({
      ...(sighting('new_unknown', 'UNKNOWN_20261128_0000000a') as Extract<
        EngineEvent,
        { type: 'recognition' }
      >),
      possible_member: { member_id: 'M_CLOSE', name: 'Close Member', similarity: 0.4 },
    });
    await alerts.flush();
    const row = db.prepare("SELECT priority, message FROM alerts WHERE type = 'new_unknown'").get() as {
      priority: string;
      message: string;
    };
    expect(row.priority).toBe('medium');
    expect(row.message).toMatch(/possibly member M_CLOSE \(similarity 0\.40\)/);
    alerts.close();
  });

  it('resolves the stranger alerts of a visit corrected to a member, with a note', async () => {
    const { db, alerts, advance } = setup();
    const since = new Date(Date.now() - 1000).toISOString();
    alerts.handle(sighting('new_unknown', 'UNKNOWN_20261128_0000000b'));
    alerts.handle(sighting('new_unknown', 'UNKNOWN_20261128_0000000c'));
    advance(2000);
    alerts.handle({
      type: 'recognition',
      camera_id: 'cam1',
      track_id: 1,
      kind: 'known_member',
      member_id: 'M_LATE',
      name: 'n',
      confidence: 0.6,
      bbox: [0, 0, 10, 10],
      frame_at: Date.now(),
      at: Date.now(),
      corrects: { unknown_id: 'UNKNOWN_20261128_0000000b', since },
    });
    await alerts.flush();
    const rows = db
      .prepare("SELECT person_id, status, notes FROM alerts WHERE type = 'new_unknown' ORDER BY person_id")
      .all() as { person_id: string; status: string; notes: string | null }[];
    expect(rows[0]).toMatchObject({ person_id: 'UNKNOWN_20261128_0000000b', status: 'resolved' });
    expect(rows[0]!.notes).toMatch(/identified member M_LATE/);
    expect(rows[1]).toMatchObject({ person_id: 'UNKNOWN_20261128_0000000c', status: 'open', notes: null });
    alerts.close();
  });
});
