// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { calls, handle, paramsOf, resetFake } from '../../testing/fakeApi.js';
import { BackupSection } from './BackupSection.js';

vi.mock('../../api.js', () => import('../../testing/fakeApi.js'));

beforeEach(() => resetFake());
afterEach(cleanup);

it('saves the daily schedule as the backup_schedule setting', async () => {
  handle('settings.set', () => ({
    ok: true,
    applied: true,
    message: 'Saved backup_schedule; the running engine applied it.',
  }));
  const saved = vi.fn();
  render(<BackupSection initial={{ enabled: false, folder: null, keep: 7, hour: 2 }} onSaved={saved} />);
  fireEvent.click(screen.getByRole('checkbox', { name: 'Back up daily' }));
  fireEvent.change(screen.getByRole('textbox', { name: 'Backup folder' }), {
    target: { value: '/mnt/backup' },
  });
  fireEvent.change(screen.getByRole('textbox', { name: 'Backups kept' }), { target: { value: '14' } });
  fireEvent.click(screen.getByRole('button', { name: 'Save backup schedule' }));
  expect(await screen.findByText('Backup schedule saved.')).toBeTruthy();
  expect(paramsOf('settings.set')).toEqual([
    { key: 'backup_schedule', value: { enabled: true, folder: '/mnt/backup', keep: 14, hour: 2 } },
  ]);
  expect(saved).toHaveBeenCalled();
});

it('refuses a number of backups out of range before calling the engine', async () => {
  render(<BackupSection initial={undefined} onSaved={() => undefined} />);
  fireEvent.change(screen.getByRole('textbox', { name: 'Backups kept' }), { target: { value: '0' } });
  fireEvent.click(screen.getByRole('button', { name: 'Save backup schedule' }));
  expect(await screen.findByTestId('error')).toBeTruthy();
  expect(calls.filter((c) => c.method === 'settings.set')).toHaveLength(0);
});
