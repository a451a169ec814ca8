// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlertEventView } from '../../../main/contract/contract.js';
import { emit, resetFake } from '../testing/fakeApi.js';
import CriticalAlertToast from './CriticalAlertToast.js';

vi.mock('../api.js', () => import('../testing/fakeApi.js'));

const alert = (priority: string, message: string): AlertEventView => ({
  type: 'alert',
  alert_type: 'unauthorized_access',
  priority,
  message,
  created_at: '2026-05-01T10:00:00.000Z',
});

/** jsdom has no Web Audio; this records the tones the toast asks for. */
class FakeAudioContext {
  static tones: number[] = [];
  state = 'running';
  currentTime = 0;
  destination = {};
  createOscillator() {
    const osc = {
      type: '',
      frequency: { value: 0 },
      connect: (n: unknown) => n,
      start: () => FakeAudioContext.tones.push(osc.frequency.value),
      stop: () => undefined,
    };
    return osc;
  }
  createGain() {
    const gain = { gain: { value: 0 }, connect: (n: unknown) => n };
    return gain;
  }
  resume() {
    return Promise.resolve();
  }
}

beforeEach(() => {
  resetFake();
  FakeAudioContext.tones = [];
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('CriticalAlertToast', () => {
  it('beeps for a critical alert only and shows each alert in turn', async () => {
    vi.stubGlobal('AudioContext', FakeAudioContext);
    render(<CriticalAlertToast />);
    act(() => emit(alert('medium', 'Recurring unknown person on camera lobby.')));
    expect((await screen.findByTestId('alert-toast')).textContent).toContain('Recurring unknown person');
    expect(FakeAudioContext.tones).toEqual([]);

    act(() => emit(alert('critical', 'Watch-listed person M_0002 seen on camera gate.')));
    expect(FakeAudioContext.tones.length).toBeGreaterThan(0);
    expect(screen.getByTestId('alert-toast').textContent).toContain('(+1 more)');

    fireEvent.click(screen.getByRole('button', { name: /close/i }));
    await waitFor(() =>
      expect(screen.getByTestId('alert-toast').textContent).toContain('Watch-listed person'),
    );
  });

  it('still shows the toast when Web Audio is unavailable', async () => {
    vi.stubGlobal('AudioContext', undefined);
    render(<CriticalAlertToast />);
    act(() => emit(alert('critical', 'Suspended member M_0001 seen on camera gate.')));
    expect((await screen.findByTestId('alert-toast')).textContent).toContain('Suspended member');
  });

  it('takes the toast away when its alert is acknowledged anywhere', async () => {
    vi.stubGlobal('AudioContext', undefined);
    render(<CriticalAlertToast />);
    act(() => emit({ ...alert('critical', 'Watch-listed person Ada seen on camera Gate.'), alert_id: 11 }));
    act(() => emit({ ...alert('high', 'New stranger on camera Lobby.'), alert_id: 12 }));
    expect((await screen.findByTestId('alert-toast')).getAttribute('data-alert-id')).toBe('11');
    // Another console acknowledged #11: the next alert shows, without its "+1 more".
    act(() => emit({ type: 'alert_status', alert_ids: [11], status: 'acknowledged' }));
    await waitFor(() => expect(screen.getByTestId('alert-toast').getAttribute('data-alert-id')).toBe('12'));
    expect(screen.getByTestId('alert-toast').textContent).not.toContain('more');
    // #12 resolved with its person's case: nothing is left on screen.
    act(() => emit({ type: 'alert_status', alert_ids: [12], status: 'resolved' }));
    await waitFor(() => expect(screen.queryByTestId('alert-toast')).toBeNull());
  });
});
