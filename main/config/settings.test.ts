import { describe, expect, it } from 'vitest';
import { setLogSink } from '../log.js';
import { buildSettings } from '../settings/live-settings.js';
import { validateSetting } from './settings.js';

describe('setting values refused in one sentence that says what is allowed', () => {
  it('names the allowed range, words or keys for a wrong value', () => {
    const refusal = (key: Parameters<typeof validateSetting>[0], value: unknown): string => {
      try {
        validateSetting(key, value);
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    // JSON.parse('1e309') is Infinity; "-0" is -0; both once read "expected integer, received float".
    for (const v of [Infinity, -0, 1.5, '30', null, NaN])
      expect(refusal('retention_days', v), String(v)).toBe(
        'Invalid retention_days: must be a whole number from 1 to 3650.',
      );
    expect(refusal('kiosk', 1)).toBe('Invalid kiosk: must be true or false.');
    expect(refusal('hwaccel', 'gpu')).toBe(
      'Invalid hwaccel: must be one of off, auto, vaapi, cuda, qsv, videotoolbox, d3d11va.',
    );
    expect(refusal('thresholds', [])).toBe('Invalid thresholds: must be a JSON object.');
    expect(refusal('alert_rules', { bogus: 1 })).toBe(
      'Invalid alert_rules: unknown key bogus; known: recurringThreshold, recurringWindowMs, offlineGraceMs, cooldownMs.',
    );
    expect(refusal('camera_capacity', { lobby: { maks: [] } })).toBe(
      'Invalid camera_capacity: unknown key maks in lobby; known: masks, substream_url, hwaccel.',
    );
    expect(refusal('camera_capacity', { lobby: { masks: [[0, 0, 2, 1]] } })).toMatch(
      /^Invalid camera_capacity: lobby\.masks\.0\.2 number must be less than or equal to 1\.$/,
    );
    expect(refusal('retention_days', 7)).toBe('accepted');
  });

  it('logs an environment value it cannot use with the same sentence, and uses the default', () => {
    const lines: string[] = [];
    setLogSink({ level: 'error', write: (l) => lines.push(l) });
    try {
      for (const v of ['NaN', '1e309', '-0', '{"x":'])
        expect(buildSettings([], [], { VIGIL_RETENTION_DAYS: v }), v).toMatchObject({
          retention_days: 30,
          sources: { retention_days: 'default' },
        });
    } finally {
      setLogSink(null);
    }
    expect(lines).toHaveLength(4);
    for (const l of lines)
      expect(JSON.parse(l)).toMatchObject({
        event: 'setting_invalid',
        key: 'retention_days',
        from: 'VIGIL_RETENTION_DAYS',
        error: 'must be a whole number from 1 to 3650',
      });
  });
});
