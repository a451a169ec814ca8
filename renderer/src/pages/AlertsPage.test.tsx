// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlertView } from '../../../main/contract/contract.js';
import { ApiError, emit, handle, paramsOf, resetFake } from '../testing/fakeApi.js';
import { useSession } from '../store/session.js';
import AlertsPage from './AlertsPage.js';

vi.mock('../api.js', () => import('../testing/fakeApi.js'));

const base: AlertView = {
  alert_id: 7,
  type: 'unauthorized_access',
  priority: 'critical',
  status: 'open',
  person_kind: 'member',
  person_id: 'M_0001',
  camera_id: 'gate',
  message: 'Suspended member M_0001 seen on camera gate.',
  created_at: '2026-05-01T10:00:00.000Z',
  acknowledged_at: null,
  acknowledged_by: null,
  resolved_at: null,
  notes: null,
};

/** A tiny engine: the alert table and the two state transitions the page drives. */
function fakeEngine(initial: AlertView[]) {
  const table = new Map(initial.map((a) => [a.alert_id, { ...a }]));
  handle('cameras.list', () => []);
  handle('alerts.list', (p) =>
    [...table.values()].filter(
      (a) => (!p.status || a.status === p.status) && (!p.priority || a.priority === p.priority),
    ),
  );
  handle('alerts.acknowledge', ({ id, notes }) => {
    const a = table.get(id);
    if (!a || a.status !== 'open') throw new ApiError('CONFLICT', `Alert ${id} is not open.`);
    Object.assign(a, { status: 'acknowledged', acknowledged_by: 'sam', notes: notes ?? a.notes });
    return { ...a };
  });
  return table;
}

beforeEach(() => {
  resetFake();
  useSession.setState({
    user: { username: 'sam', role: 'operator', permissions: ['live.view', 'alerts.view', 'alerts.handle'] },
  });
});
afterEach(cleanup);

describe('AlertsPage', () => {
  it('acknowledges an alert with the notes typed and shows its new status', async () => {
    fakeEngine([base]);
    render(<AlertsPage />);
    const row = await screen.findByTestId('alert-row');
    expect(row.getAttribute('data-id')).toBe('7');
    expect(within(row).getByTestId('alert-status').textContent).toContain('open');

    fireEvent.click(within(row).getByRole('button', { name: 'Acknowledge' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByRole('textbox', { name: 'Notes' }), {
      target: { value: '  Guard sent to the gate  ' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Confirm' }));

    await waitFor(() =>
      expect(within(screen.getByTestId('alert-row')).getByTestId('alert-status').textContent).toContain(
        'acknowledged',
      ),
    );
    expect(paramsOf('alerts.acknowledge')).toEqual([{ id: 7, notes: 'Guard sent to the gate' }]);
    const updated = screen.getByTestId('alert-row');
    expect(within(updated).queryByRole('button', { name: 'Acknowledge' })).toBeNull();
    expect(within(updated).getByRole('button', { name: 'Resolve' })).toBeTruthy();
    expect(within(updated).getByText(/Guard sent to the gate/)).toBeTruthy();
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it("keeps the dialog open with the engine's sentence when acknowledging fails", async () => {
    const table = fakeEngine([base]);
    render(<AlertsPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Acknowledge' }));
    // Someone else handled it in the meantime.
    table.get(7)!.status = 'resolved';
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    expect(await within(dialog).findByText('Alert 7 is not open.')).toBeTruthy();
    expect(paramsOf('alerts.acknowledge')).toEqual([{ id: 7, notes: null }]);
  });

  it('sends the chosen filters and refreshes when an alert event arrives', async () => {
    const table = fakeEngine([base, { ...base, alert_id: 8, priority: 'low', message: 'Low one.' }]);
    render(<AlertsPage />);
    await waitFor(() => expect(screen.getAllByTestId('alert-row')).toHaveLength(2));

    fireEvent.mouseDown(screen.getByRole('combobox', { name: 'Priority' }));
    fireEvent.click(await screen.findByRole('option', { name: 'critical' }));
    await waitFor(() => expect(screen.getAllByTestId('alert-row')).toHaveLength(1));
    expect(paramsOf('alerts.list').at(-1)).toEqual({ priority: 'critical', limit: 200 });

    table.set(9, { ...base, alert_id: 9, message: 'Watch-listed person M_0002 seen on camera gate.' });
    emit({
      type: 'alert',
      alert_id: 9,
      alert_type: 'unauthorized_access',
      priority: 'critical',
      message: 'Watch-listed person M_0002 seen on camera gate.',
      created_at: '2026-05-01T10:05:00.000Z',
    });
    await waitFor(() => expect(screen.getAllByTestId('alert-row')).toHaveLength(2));
  });

  it('hides the handling buttons from a role that may only view', async () => {
    useSession.setState({
      user: { username: 'val', role: 'viewer', permissions: ['live.view', 'alerts.view'] },
    });
    fakeEngine([base]);
    render(<AlertsPage />);
    await screen.findByTestId('alert-row');
    expect(screen.queryByRole('button', { name: 'Acknowledge' })).toBeNull();
  });

  it('names the person and the camera, links to both, and handles many alerts at once', async () => {
    const table = fakeEngine([
      { ...base, person_name: 'Ada Lovelace', camera_name: 'Front gate', has_crop: false },
      {
        ...base,
        alert_id: 8,
        type: 'new_unknown',
        priority: 'high',
        person_kind: 'unknown',
        person_id: 'UNKNOWN_20260501_aa',
        person_name: 'UNKNOWN_20260501_aa',
        camera_name: 'Front gate',
        has_crop: true,
      },
    ]);
    handle('alerts.bulk', ({ ids, action }) => {
      for (const id of ids)
        Object.assign(table.get(id)!, { status: action === 'acknowledge' ? 'acknowledged' : 'resolved' });
      return { changed: ids.length, skipped: 0 };
    });
    render(<AlertsPage />);
    await waitFor(() => expect(screen.getAllByTestId('alert-row')).toHaveLength(2));
    const [first] = screen.getAllByTestId('alert-row');
    expect(within(first!).getByTestId('alert-person').textContent).toBe('Ada Lovelace');
    expect(within(first!).getByTestId('alert-person').getAttribute('href')).toBe('#/members/M_0001');
    expect(within(first!).getByTestId('alert-camera').textContent).toBe('Front gate');
    expect(within(first!).getByTestId('alert-camera').getAttribute('href')).toBe('#/live/gate');
    expect(first!.textContent).not.toContain('gate ');

    fireEvent.click(within(screen.getByTestId('alerts-select-all')).getByRole('checkbox'));
    expect(screen.getByTestId('alerts-selected').textContent).toBe('2 selected');
    fireEvent.click(screen.getByTestId('bulk-acknowledge'));
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText('Notes'), { target: { value: 'Night round' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    await waitFor(() =>
      expect(paramsOf('alerts.bulk')).toEqual([{ ids: [7, 8], action: 'acknowledge', notes: 'Night round' }]),
    );
    await waitFor(() =>
      expect(screen.getAllByTestId('alert-status').map((c) => c.textContent)).toEqual([
        expect.stringContaining('acknowledged'),
        expect.stringContaining('acknowledged'),
      ]),
    );
  });
});
