// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CalibrationView, CameraView, Params } from '../../../main/contract/contract.js';
import { ApiError, calls, handle, paramsOf, resetFake } from '../testing/fakeApi.js';
import SettingsPage from './SettingsPage.js';

vi.mock('../api.js', () => import('../testing/fakeApi.js'));

const REFUSED = 'Could not open rtsp://10.0.0.5/live: connection refused.';

function cameraView(id: string, name: string, url: string, location: string | null): CameraView {
  return {
    camera_id: id,
    name,
    location,
    url,
    recognition_enabled: true,
    recognition_threshold: null,
    unknown_threshold: null,
    state: 'connecting',
    reason: null,
    fps: 0,
    last_frame_at: null,
    detections_today: 0,
  };
}

/** The camera part of the engine: a list, a URL tester that knows one good host, and add. */
function fakeCameras() {
  const list: CameraView[] = [];
  handle('settings.get', () => ({
    values: { retention_days: 30, thresholds: {}, alert_channels: {} },
    pack: 'default',
    packs: ['default'],
    execution_provider: 'cpu',
    data_dir: '/var/lib/vigil',
  }));
  handle('cameras.list', () => list.map((c) => ({ ...c })));
  handle('cameras.test', ({ url }) =>
    url.includes('10.0.0.5')
      ? { ok: false, message: REFUSED }
      : { ok: true, message: 'Connected.', width: 1280, height: 720 },
  );
  handle('cameras.add', (p: Params<'cameras.add'>) => {
    if (list.some((c) => c.camera_id === p.id))
      throw new ApiError('CONFLICT', `A camera ${p.id} already exists.`);
    const view = cameraView(p.id, p.name, p.url, p.location ?? null);
    list.push(view);
    return view;
  });
  return list;
}

function fill(dialog: HTMLElement, fields: Record<string, string>) {
  for (const [name, value] of Object.entries(fields)) {
    fireEvent.change(within(dialog).getByRole('textbox', { name }), { target: { value } });
  }
}

beforeEach(resetFake);
afterEach(cleanup);

describe('SettingsPage cameras', () => {
  it('tests the URL, shows why it failed, and adds the camera on "Save anyway"', async () => {
    fakeCameras();
    render(<SettingsPage />);
    expect(await screen.findByTestId('empty')).toBeTruthy();

    fireEvent.click(screen.getByTestId('camera-add'));
    const dialog = await screen.findByRole('dialog');
    fill(dialog, {
      'Camera id': 'gate',
      Name: 'Front gate',
      URL: 'rtsp://10.0.0.5/live',
      Location: 'North entrance',
    });
    fireEvent.click(within(dialog).getByRole('checkbox', { name: /Loop/ }));

    fireEvent.click(within(dialog).getByRole('button', { name: 'Test connection' }));
    expect((await within(dialog).findByTestId('camera-test-result')).textContent).toBe(REFUSED);
    expect(paramsOf('cameras.test')).toEqual([{ url: 'rtsp://10.0.0.5/live' }]);
    expect(paramsOf('cameras.add')).toEqual([]);

    // A camera that is down right now can still be added, deliberately.
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save anyway' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(paramsOf('cameras.add')).toEqual([
      { id: 'gate', name: 'Front gate', url: 'rtsp://10.0.0.5/live', location: 'North entrance', loop: true },
    ]);
    const row = await screen.findByTestId('camera-row');
    expect(row.getAttribute('data-id')).toBe('gate');
    expect(within(row).getByText('North entrance')).toBeTruthy();
  });

  it('shows the node watching each camera only in a cluster', async () => {
    const list = fakeCameras();
    list.push(
      { ...cameraView('gate', 'Gate', 'rtsp://10.0.0.9/gate', null), node: 'building-a' },
      { ...cameraView('dock', 'Dock', 'rtsp://10.0.0.9/dock', null), node: null },
    );
    render(<SettingsPage />);
    const rows = await screen.findAllByTestId('camera-row');
    expect(screen.getByRole('columnheader', { name: 'Node' })).toBeTruthy();
    expect(within(rows[0]!).getByText('building-a')).toBeTruthy();
    expect(within(rows[1]!).getByText('none yet')).toBeTruthy();
    cleanup();
    list.splice(0, list.length, cameraView('gate', 'Gate', 'rtsp://10.0.0.9/gate', null));
    render(<SettingsPage />);
    await screen.findAllByTestId('camera-row');
    expect(screen.queryByRole('columnheader', { name: 'Node' })).toBeNull();
  });

  it('tests an untested URL on Save and adds it when the test passes', async () => {
    fakeCameras();
    render(<SettingsPage />);
    fireEvent.click(await screen.findByTestId('camera-add'));
    const dialog = await screen.findByRole('dialog');
    fill(dialog, { 'Camera id': 'lobby-1', Name: ' Lobby ', URL: 'rtsp://10.0.0.9/live' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));

    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(
      calls.map((c) => c.method).filter((m) => m.startsWith('cameras.') && m !== 'cameras.list'),
    ).toEqual(['cameras.test', 'cameras.add']);
    expect(paramsOf('cameras.add')).toEqual([
      { id: 'lobby-1', name: 'Lobby', url: 'rtsp://10.0.0.9/live', location: null, loop: false },
    ]);
  });

  it("shows the engine's sentence when adding fails, and checks the id before any call", async () => {
    const list = fakeCameras();
    list.push(cameraView('gate', 'Gate', 'rtsp://10.0.0.7/live', null));
    render(<SettingsPage />);
    fireEvent.click(await screen.findByTestId('camera-add'));
    const dialog = await screen.findByRole('dialog');

    fill(dialog, { 'Camera id': 'front gate!', Name: 'Gate 2', URL: 'rtsp://10.0.0.9/live' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect((await within(dialog).findByTestId('error')).textContent).toMatch(/^A camera id is 1–64 letters/);
    expect(paramsOf('cameras.test')).toEqual([]);

    fill(dialog, { 'Camera id': 'gate' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() =>
      expect(within(dialog).getByTestId('error').textContent).toBe('A camera gate already exists.'),
    );
    expect(paramsOf('cameras.add')).toHaveLength(1);
    expect(screen.getByRole('dialog')).toBeTruthy();
  });
});

describe('SettingsPage alert channels and thresholds', () => {
  it('validates the SMTP form, saves alert_channels and sends a test through the saved channel', async () => {
    fakeCameras();
    const stored: Record<string, unknown> = {};
    handle('settings.set', ({ key, value }) => {
      stored[key] = value;
      return { ok: true, applied: true, message: `Saved ${key}; the running engine applied it.` };
    });
    handle('settings.testChannel', ({ channel }) =>
      channel === 'smtp'
        ? { ok: false, message: 'smtp.example.org refused the login.' }
        : { ok: true, message: 'Sent.' },
    );
    render(<SettingsPage />);
    fireEvent.click(screen.getByRole('tab', { name: 'Alert channels' }));
    const host = await screen.findByRole('textbox', { name: 'SMTP host' });
    const sendTest = screen.getByRole('button', { name: 'Send test email' }) as HTMLButtonElement;
    expect(sendTest.disabled).toBe(true);

    fireEvent.change(host, { target: { value: 'smtp.example.org' } });
    fireEvent.change(screen.getByRole('textbox', { name: 'SMTP port' }), { target: { value: '99999' } });
    fireEvent.change(screen.getByRole('textbox', { name: 'From' }), {
      target: { value: 'vigil@example.org' },
    });
    fireEvent.change(screen.getByRole('textbox', { name: 'To' }), {
      target: { value: 'a@example.org, b@example.org' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Save channels' }));
    expect((await screen.findByTestId('error')).textContent).toBe(
      'The SMTP port must be a whole number from 1 to 65535.',
    );
    expect(paramsOf('settings.set')).toEqual([]);

    fireEvent.change(screen.getByRole('textbox', { name: 'SMTP port' }), { target: { value: '465' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save channels' }));
    // The engine answers that it applied the change: the console says so.
    expect(await screen.findByText('Alert channels saved and applied.')).toBeTruthy();
    expect(stored.alert_channels).toEqual({
      smtp: {
        host: 'smtp.example.org',
        port: 465,
        from: 'vigil@example.org',
        to: ['a@example.org', 'b@example.org'],
      },
    });

    await waitFor(() => expect(sendTest.disabled).toBe(false));
    fireEvent.click(sendTest);
    expect(await screen.findByText('smtp.example.org refused the login.')).toBeTruthy();
    expect(paramsOf('settings.testChannel')).toEqual([{ channel: 'smtp' }]);
  });

  it('refuses a threshold outside 0..1 and stores a valid one for the active model', async () => {
    fakeCameras();
    handle('system.info', () => ({
      version: '0.1.0',
      pack: 'default',
      recognizer: 'arcface-r100',
      execution_provider: 'cpu',
      data_dir: '/var/lib/vigil',
      kiosk: false,
    }));
    handle('settings.set', () => ({
      ok: true,
      applied: false,
      message:
        "Saved thresholds, but VIGIL_THRESHOLDS in the engine's environment overrides it; remove that variable for the saved value to apply.",
    }));
    handle('recognition.calibrate', ({ far }) =>
      calibration(far ?? 0.01, 'Calibration needs 3 more member(s).'),
    );
    render(<SettingsPage />);
    fireEvent.click(screen.getByRole('tab', { name: 'Recognition' }));
    const rec = await screen.findByRole('textbox', { name: 'Recognition threshold arcface-r100' });
    fireEvent.change(rec, { target: { value: '1.5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save thresholds' }));
    expect((await screen.findByTestId('error')).textContent).toBe(
      'Recognition threshold for arcface-r100 must be a number from 0 to 1.',
    );
    fireEvent.change(rec, { target: { value: '0.42' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save thresholds' }));
    // Not applied: the console says why instead of claiming it took effect.
    expect(await screen.findByText(/VIGIL_THRESHOLDS in the engine's environment overrides it/)).toBeTruthy();
    expect(paramsOf('settings.set')).toEqual([
      { key: 'thresholds', value: { 'arcface-r100': { recognition: 0.42 } } },
    ]);
  });
});

function calibration(far: number, needs: string | null): CalibrationView {
  return {
    genuine_pairs: needs ? 4 : 120,
    impostor_pairs: needs ? 10 : 4000,
    far,
    threshold: needs ? null : 0.47,
    expected_accept_rate: needs ? null : 0.93,
    current_threshold: 0.42,
    needs,
    det: needs
      ? []
      : [
          { threshold: 0.3, far: 0.1, frr: 0.01 },
          { threshold: 0.47, far: 0.01, frr: 0.07 },
        ],
    applied: null,
  };
}

describe('SettingsPage site calibration', () => {
  it('says what it needs, then shows the threshold and applies it to a camera only after confirmation', async () => {
    fakeCameras();
    let enough = false;
    handle('recognition.calibrate', (p) => ({
      ...calibration(p.far ?? 0.01, enough ? null : 'Calibration needs 3 more member(s).'),
      applied: p.apply ? (p.apply.camera_id ?? 'global') : null,
    }));
    const { unmount } = render(<SettingsPage />);
    fireEvent.click(screen.getByRole('tab', { name: 'Recognition' }));
    expect(await screen.findByText(/Calibration needs 3 more member/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Apply threshold' })).toBeNull();
    unmount();

    enough = true;
    render(<SettingsPage />);
    fireEvent.click(screen.getByRole('tab', { name: 'Recognition' }));
    expect(await screen.findByText(/threshold 0.47 for a false-accept rate of 1.0 %/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Apply threshold' }));
    expect(paramsOf('recognition.calibrate').some((p) => p.apply)).toBe(false);
    fireEvent.click(await screen.findByRole('button', { name: 'Confirm' }));
    expect(await screen.findByText('Threshold applied to every camera.')).toBeTruthy();
    expect(paramsOf('recognition.calibrate').filter((p) => p.apply)).toEqual([
      { far: 0.01, apply: { camera_id: null } },
    ]);
  });
});
