// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { LogProblem } from '../../../../main/contract/contract.js';
import { handle, resetFake } from '../../testing/fakeApi.js';
import { LogsTab } from './LogsTab.js';

vi.mock('../../api.js', () => import('../../testing/fakeApi.js'));

beforeEach(() => resetFake());
afterEach(cleanup);

it("lists the engine's recent errors and warnings", async () => {
  const problems: LogProblem[] = [
    { t: '2026-12-01T10:00:00.000Z', level: 'error', event: 'frame_failed', fields: { camera: 'door' } },
    { t: '2026-12-01T09:00:00.000Z', level: 'warn', event: 'ws_refused', fields: { reason: 'path' } },
  ];
  handle('system.logProblems', () => problems);
  render(<LogsTab />);
  const table = await screen.findByTestId('log-problems');
  const rows = within(table).getAllByRole('row');
  expect(rows).toHaveLength(3);
  expect(within(rows[1]!).getByText('frame_failed')).toBeTruthy();
  expect(within(rows[1]!).getByText('camera=door')).toBeTruthy();
  expect(within(rows[2]!).getByText('warn')).toBeTruthy();
});

it('says when nothing was logged', async () => {
  handle('system.logProblems', () => []);
  render(<LogsTab />);
  expect(await screen.findByText('No errors or warnings logged.')).toBeTruthy();
});
