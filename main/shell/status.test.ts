import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { AlertEventView, CameraState } from '../contract/contract.js';
import { notificationFor, summarize, trayIconPng } from './status.js';

const cams = (...states: CameraState[]) => states.map((state) => ({ state }));

describe('status summary', () => {
  it('is grey with no cameras and keeps the computer free to sleep', () => {
    const s = summarize([], 0, false);
    expect(s).toMatchObject({ level: 'idle', monitoring: false, total: 0 });
    expect(s.text).toBe('Vigil: no cameras running, no open alerts');
  });

  it('is green while every camera streams, and blocks sleep while any is watched', () => {
    const s = summarize(cams('online', 'online'), 0, false);
    expect(s).toMatchObject({ level: 'ok', monitoring: true, online: 2, total: 2 });
    expect(s.text).toBe('Vigil: 2 of 2 cameras online, no open alerts');
    // Still connecting counts as watching: a reconnecting camera must not let the machine sleep.
    expect(summarize(cams('connecting'), 0, false).monitoring).toBe(true);
    expect(summarize(cams('offline', 'disabled'), 0, false).monitoring).toBe(false);
  });

  it('turns amber for a camera down or an open alert, red for an urgent alert', () => {
    expect(summarize(cams('online', 'offline'), 0, false).level).toBe('warn');
    expect(summarize(cams('online', 'error'), 0, false).level).toBe('warn');
    expect(summarize(cams('online'), 1, false)).toMatchObject({
      level: 'warn',
      text: 'Vigil: 1 of 1 camera online, 1 open alert',
    });
    expect(summarize(cams('online'), 3, true)).toMatchObject({ level: 'alert', openAlerts: 3 });
    expect(summarize([], 2, true).level).toBe('alert');
  });

  it('adds why something is missing', () => {
    expect(summarize([], 0, false, 'cameras cannot run: ffmpeg was not found').text).toBe(
      'Vigil: no cameras running, no open alerts (cameras cannot run: ffmpeg was not found)',
    );
  });
});

describe('desktop notifications', () => {
  const alert = (priority: string): AlertEventView => ({
    type: 'alert',
    alert_id: 7,
    alert_type: 'unauthorized_access',
    priority,
    message: 'Watch-listed member Jane Roe seen on camera gate.',
    created_at: '2026-11-28T20:00:00.000Z',
  });

  it('are raised for critical and high alerts only', () => {
    expect(notificationFor(alert('critical'), true)).toEqual({
      title: 'Vigil: critical alert',
      body: 'Watch-listed member Jane Roe seen on camera gate.',
      urgency: 'critical',
    });
    expect(notificationFor(alert('high'), true)?.urgency).toBe('normal');
    expect(notificationFor(alert('medium'), true)).toBeNull();
    expect(notificationFor(alert('low'), true)).toBeNull();
  });

  it('name nobody while no one who may read alerts is signed in', () => {
    const n = notificationFor(alert('critical'), false)!;
    expect(n.body).toBe('Open Vigil to see it.');
    expect(JSON.stringify(n)).not.toContain('Jane');
  });
});

describe('tray icon', () => {
  it('is a valid PNG disc in the status colour with transparent corners', async () => {
    for (const [level, rgb] of [
      ['ok', [0x2e, 0x9d, 0x4f]],
      ['alert', [0xd3, 0x2f, 0x2f]],
    ] as const) {
      const { data, info } = await sharp(trayIconPng(level, 32)).raw().toBuffer({ resolveWithObject: true });
      expect(info).toMatchObject({ width: 32, height: 32, channels: 4 });
      const px = (x: number, y: number) => [...data.subarray((y * 32 + x) * 4, (y * 32 + x) * 4 + 4)];
      expect(px(16, 16)).toEqual([...rgb, 255]);
      expect(px(0, 0)[3]).toBe(0);
      expect(px(31, 31)[3]).toBe(0);
      // The rim is darker than the centre.
      expect(px(16, 1)[0]!).toBeLessThan(rgb[0]);
    }
  });

  it('differs by level and scales', async () => {
    expect(trayIconPng('ok').equals(trayIconPng('warn'))).toBe(false);
    expect((await sharp(trayIconPng('idle', 16)).metadata()).width).toBe(16);
  });
});
