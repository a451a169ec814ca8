import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addCamera, updateCamera } from '../store/cameras.js';
import { writeConfig } from '../store/config.js';
import { Store } from '../store/store.js';
import { buildSettings, LiveSettings } from './live-settings.js';
import { SETTING_DEFAULTS } from '../config/schema.js';

const db = () =>
  Store.open(mkdtempSync(join(tmpdir(), 'vigil-settings-')), { recognizerId: 'r', embeddingDim: 8 });

describe('the configuration object', () => {
  it('layers defaults, stored settings, the environment and per-camera overrides', () => {
    const s = buildSettings(
      [
        { key: 'retention_days', value: '14' },
        { key: 'detection_tiles', value: 'true' },
        { key: 'alert_rules', value: '{"cooldownMs":1000}' },
      ],
      [{ camera_id: 'gate', recognition_threshold: 0.5, unknown_threshold: null, fps: 3 }],
      { VIGIL_DETECTION_TILES: 'false', VIGIL_KIOSK: 'true' },
    );
    expect(s.retention_days).toBe(14);
    expect(s.detection_tiles).toBe(false);
    expect(s.kiosk).toBe(true);
    expect(s.alert_rules).toEqual({ cooldownMs: 1000 });
    expect(s.max_embeddings_per_person).toBe(SETTING_DEFAULTS.max_embeddings_per_person);
    expect(s.sources).toMatchObject({
      retention_days: 'stored',
      detection_tiles: 'environment',
      kiosk: 'environment',
      thresholds: 'default',
    });
    expect(s.cameras).toEqual({ gate: { recognition: 0.5, unknown: null, fps: 3 } });
  });

  it('never uses an invalid stored or environment value: the layer below applies', () => {
    const s = buildSettings(
      [
        { key: 'retention_days', value: '-3' },
        { key: 'alert_channels', value: '{"webhook":{"url":"no"}}' },
        { key: 'not_a_setting', value: '1' },
      ],
      [],
      { VIGIL_MAX_EMBEDDINGS_PER_PERSON: 'many' },
    );
    expect(s.retention_days).toBe(30);
    expect(s.alert_channels).toEqual({});
    expect(s.max_embeddings_per_person).toBe(5);
    expect(Object.keys(s)).not.toContain('not_a_setting');
  });

  it('publishes a change once, naming what changed, whoever wrote it', () => {
    const opened = db();
    const store = opened.sql;
    const live = new LiveSettings(opened, {});
    const seen: string[][] = [];
    live.subscribe((next, prev, changed) => {
      seen.push([...changed]);
      expect(prev).not.toBe(next);
    });
    expect(live.refresh()).toBe(false);
    writeConfig(store, 'detection_tiles', true);
    expect(live.current.detection_tiles).toBe(false);
    expect(live.refresh()).toBe(true);
    expect(live.current.detection_tiles).toBe(true);
    expect(live.refresh()).toBe(false);
    addCamera(store, { id: 'gate', name: 'Gate', url: 'rtsp://127.0.0.1/s' });
    updateCamera(store, 'gate', { recognition_threshold: 0.6 });
    expect(live.refresh()).toBe(true);
    expect(live.current.cameras.gate!.recognition).toBe(0.6);
    // The disk probe's scratch row is not a setting.
    store.prepare("INSERT INTO system_config (key, value) VALUES ('probe.write', 'x')").run();
    expect(live.refresh()).toBe(false);
    expect(seen).toEqual([['detection_tiles'], ['cameras']]);
    store.close();
  });
});
