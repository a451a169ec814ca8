// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CameraView, ExportedFile } from '../../../main/contract/contract.js';
import { ApiError, emit, handle, paramsOf, resetFake } from '../testing/fakeApi.js';
import ReportsPage, { rangeOf } from './ReportsPage.js';

vi.mock('../api.js', () => import('../testing/fakeApi.js'));

const camera = (id: string, name: string): CameraView => ({
  camera_id: id,
  name,
  location: null,
  url: `rtsp://${id}/stream`,
  recognition_enabled: true,
  recognition_threshold: null,
  unknown_threshold: null,
  state: 'online',
  reason: null,
  fps: 5,
  last_frame_at: null,
  detections_today: 0,
});

function readBlob(blob: Blob): Promise<Uint8Array> {
  // jsdom's Blob has no arrayBuffer(); its FileReader does.
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(new Uint8Array(r.result as ArrayBuffer));
    r.onerror = () => reject(r.error);
    r.readAsArrayBuffer(blob);
  });
}

const ymd = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

let created: Blob[];
let clicked: { download: string; href: string }[];

beforeEach(() => {
  resetFake();
  handle('cameras.list', () => [camera('gate', 'Front gate'), camera('lobby', 'Lobby')]);
  created = [];
  clicked = [];
  // jsdom implements neither object URLs nor downloads; record what the page hands to them.
  URL.createObjectURL = vi.fn((b: Blob | MediaSource) => {
    created.push(b as Blob);
    return `blob:fake/${created.length}`;
  });
  URL.revokeObjectURL = vi.fn();
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    clicked.push({ download: this.download, href: this.href });
  });
});
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

describe('ReportsPage', () => {
  it('shows progress from report events, then downloads the returned bytes', async () => {
    const csv =
      'time,camera,person\n2026-05-01T10:00:00Z,gate,M_0001\n2026-05-01T11:00:00Z,lobby,UNKNOWN_3\n';
    let reply!: (f: ExportedFile) => void;
    handle('reports.export', () => new Promise<ExportedFile>((r) => (reply = r)));

    render(<ReportsPage />);
    const page = screen.getByTestId('page-reports');
    // Default range: the last 7 days.
    const from = within(page).getByLabelText('From') as HTMLInputElement;
    const to = within(page).getByLabelText('To') as HTMLInputElement;
    const weekAgo = new Date();
    weekAgo.setDate(weekAgo.getDate() - 7);
    expect(from.value).toBe(ymd(weekAgo));
    expect(to.value).toBe(ymd(new Date()));
    fireEvent.change(from, { target: { value: '2026-05-01' } });
    fireEvent.change(to, { target: { value: '2026-05-03' } });

    fireEvent.mouseDown(await screen.findByRole('combobox', { name: 'Cameras' }));
    fireEvent.click(await screen.findByRole('option', { name: /Lobby/ }));
    fireEvent.keyDown(screen.getByRole('listbox'), { key: 'Escape' });

    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    // Until the first progress event there is no measure yet: an indeterminate bar.
    const bar = await screen.findByRole('progressbar', { name: 'Report progress' });
    expect(bar.getAttribute('aria-valuenow')).toBeNull();
    expect((screen.getByRole('button', { name: 'Export PDF' }) as HTMLButtonElement).disabled).toBe(true);

    emit({ type: 'progress', task: 'enroll', done: 9, total: 10 });
    emit({ type: 'progress', task: 'report', done: 1, total: 4 });
    await waitFor(() =>
      expect(screen.getByRole('progressbar', { name: 'Report progress' }).getAttribute('aria-valuenow')).toBe(
        '25',
      ),
    );
    emit({ type: 'progress', task: 'report', done: 3, total: 4 });
    await waitFor(() =>
      expect(screen.getByRole('progressbar', { name: 'Report progress' }).getAttribute('aria-valuenow')).toBe(
        '75',
      ),
    );

    reply({ filename: 'appearances-2026-05-01.csv', mime: 'text/csv', data: btoa(csv), rows: 2 });
    expect(await screen.findByText('2 rows exported to appearances-2026-05-01.csv.')).toBeTruthy();
    expect(screen.queryByRole('progressbar')).toBeNull();

    expect(paramsOf('reports.export')).toEqual([
      {
        kind: 'appearances',
        format: 'csv',
        from: new Date('2026-05-01T00:00:00').toISOString(),
        to: new Date('2026-05-03T23:59:59.999').toISOString(),
        cameras: ['lobby'],
        time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      },
    ]);
    expect(created).toHaveLength(1);
    expect(created[0]!.type).toBe('text/csv');
    expect(new TextDecoder().decode(await readBlob(created[0]!))).toBe(csv);
    expect(clicked).toEqual([{ download: 'appearances-2026-05-01.csv', href: 'blob:fake/1' }]);
  });

  it('keeps binary PDF bytes intact and shows a refusal as a sentence', async () => {
    const pdf = Uint8Array.from([0x25, 0x50, 0x44, 0x46, 0x2d, 0x00, 0xff, 0x80, 0x0a]);
    let n = 0;
    handle('reports.export', (p) => {
      if (n++ === 0) throw new ApiError('FORBIDDEN', 'Your role may not export reports.');
      return {
        filename: `${p.kind}.pdf`,
        mime: 'application/pdf',
        data: btoa(String.fromCharCode(...pdf)),
        rows: 0,
      };
    });
    render(<ReportsPage />);
    fireEvent.mouseDown(screen.getByRole('combobox', { name: 'Report' }));
    fireEvent.click(await screen.findByRole('option', { name: 'Alerts' }));

    fireEvent.click(screen.getByRole('button', { name: 'Export PDF' }));
    expect((await screen.findByTestId('error')).textContent).toBe('Your role may not export reports.');
    expect(created).toHaveLength(0);

    fireEvent.click(screen.getByRole('button', { name: 'Export PDF' }));
    expect(await screen.findByText('0 rows exported to alerts.pdf.')).toBeTruthy();
    expect(paramsOf('reports.export')[1]).toMatchObject({ kind: 'alerts', format: 'pdf' });
    expect(paramsOf('reports.export')[1]).not.toHaveProperty('cameras');
    expect([...(await readBlob(created[0]!))]).toEqual([...pdf]);
  });

  it('refuses a range that ends before it starts without calling the engine', async () => {
    render(<ReportsPage />);
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-05-09' } });
    fireEvent.change(screen.getByLabelText('To'), { target: { value: '2026-05-01' } });
    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    expect((await screen.findByTestId('error')).textContent).toBe('The start date is after the end date.');
    expect(paramsOf('reports.export')).toEqual([]);
    expect(rangeOf('', '2026-05-01')).toBe('Choose both dates.');
  });
});
