// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CameraView } from '../../../main/contract/contract.js';
import { handle, paramsOf, resetFake } from '../testing/fakeApi.js';
import WelcomePage from './WelcomePage.js';

vi.mock('../api.js', () => import('../testing/fakeApi.js'));

const camera = { camera_id: 'gate', name: 'Gate' } as CameraView;

describe('WelcomePage (first-run guide)', () => {
  beforeEach(() => {
    resetFake();
    localStorage.clear();
  });
  afterEach(cleanup);

  it('starts at the camera step on an empty installation, and a skip survives a reload', async () => {
    handle('cameras.list', () => []);
    handle('members.list', () => ({ total: 0, items: [] }));
    const first = render(<WelcomePage />);
    await waitFor(() => expect(screen.getByTestId('welcome-step-camera').dataset.status).toBe('to do'));
    expect(screen.getByRole('button', { name: 'Add a camera' })).toBeTruthy();
    fireEvent.click(screen.getAllByRole('button', { name: 'Skip for now' })[0]!);
    await waitFor(() => expect(screen.getByTestId('welcome-step-camera').dataset.status).toBe('skipped'));
    expect(screen.getByRole('button', { name: 'Enroll a member' })).toBeTruthy();
    first.unmount();
    // Resumed: the camera step stays skipped, the member step is next.
    render(<WelcomePage />);
    await waitFor(() => expect(screen.getByTestId('welcome-step-camera').dataset.status).toBe('skipped'));
    expect(screen.getByRole('button', { name: 'Enroll a member' })).toBeTruthy();
  });

  it('lists the cameras that announce themselves on the network', async () => {
    handle('cameras.list', () => []);
    handle('members.list', () => ({ total: 0, items: [] }));
    handle('cameras.discover', () => [
      { urn: 'urn:uuid:1', name: 'Lobby dome', hardware: 'IPC-1', xaddrs: ['http://192.0.2.7/onvif'] },
    ]);
    render(<WelcomePage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Find cameras on the network' }));
    expect(await screen.findByText('Lobby dome')).toBeTruthy();
    expect(screen.getByText('http://192.0.2.7/onvif')).toBeTruthy();
    expect(paramsOf('cameras.discover')).toEqual([{ timeout_ms: 3000 }]);
  });

  it('marks steps done from what the engine holds, not from buttons pressed', async () => {
    handle('cameras.list', () => [camera]);
    handle('members.list', () => ({ total: 1, items: [] }));
    render(<WelcomePage />);
    await waitFor(() => expect(screen.getByTestId('welcome-step-camera').dataset.status).toBe('done'));
    expect(screen.getByTestId('welcome-step-member').dataset.status).toBe('done');
    expect(await screen.findByRole('button', { name: 'Go to Live' })).toBeTruthy();
    expect(screen.getByText(/Vigil is watching/)).toBeTruthy();
  });
});
