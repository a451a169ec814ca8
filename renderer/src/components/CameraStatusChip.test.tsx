// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { CameraStatusChip } from './CameraStatusChip.js';

afterEach(cleanup);

describe('CameraStatusChip', () => {
  it('keeps the last decoder error in its tooltip after the camera recovered', async () => {
    render(
      <CameraStatusChip
        status={{ state: 'online', reason: null, fps: 4.96, lastError: 'the stream stopped (exit code 1)' }}
      />,
    );
    const chip = screen.getByTestId('camera-status');
    expect(chip.textContent).toBe('online · 5.0 fps');
    fireEvent.mouseOver(chip);
    expect((await screen.findByRole('tooltip')).textContent).toBe(
      'Last error: the stream stopped (exit code 1)',
    );
  });

  it('shows the current reason while the camera is down', async () => {
    render(
      <CameraStatusChip
        status={{ state: 'offline', reason: 'connection refused', fps: 0, lastError: 'x' }}
      />,
    );
    const chip = screen.getByTestId('camera-status');
    expect(chip.textContent).toBe('offline: connection refused');
    fireEvent.mouseOver(chip);
    expect((await screen.findByRole('tooltip')).textContent).toBe('connection refused');
  });
});
