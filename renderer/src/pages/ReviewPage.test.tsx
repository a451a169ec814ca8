// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MemberView, UnknownDetail, UnknownView } from '../../../main/contract/contract.js';
import { ROLE_PERMISSIONS } from '../../../main/contract/roles.js';
import { useSession } from '../store/session.js';
import { handle, paramsOf, resetFake } from '../testing/fakeApi.js';
import ReviewPage from './ReviewPage.js';

vi.mock('../api.js', () => import('../testing/fakeApi.js'));

const unknown: UnknownView = {
  unknown_id: 'UNKNOWN_20260501_aaaa',
  status: 'active',
  first_seen: '2026-05-01T10:00:00.000Z',
  last_seen: '2026-05-01T10:05:00.000Z',
  appearance_count: 3,
  cameras: ['gate'],
  has_crop: false,
  identified_as: null,
};
const detail: UnknownDetail = {
  ...unknown,
  sightings: [],
  similar_members: [{ member_id: 'MEMBER_ada', name: 'Ada Lovelace', similarity: 0.39 }],
  recognition_threshold: 0.42,
};
function member(id: string, name: string): MemberView {
  return {
    member_id: id,
    name,
    apartment: null,
    email: null,
    phone: null,
    member_type: 'member',
    status: 'active',
    watchlist: false,
    allowed_hours: null,
    notes: null,
    quality_score: 0.8,
    embeddings_count: 3,
    created_at: '2026-04-01T00:00:00.000Z',
    updated_at: '2026-04-01T00:00:00.000Z',
    last_seen: null,
    total_appearances: 0,
  };
}
const MEMBERS = [member('MEMBER_ada', 'Ada Lovelace'), member('MEMBER_bob', 'Bob Stone')];

function engine(role: 'admin' | 'viewer' = 'admin') {
  useSession.setState({ user: { username: 'sam', role, permissions: [...ROLE_PERMISSIONS[role]] } });
  let queue = [unknown];
  handle('unknowns.list', () => queue);
  handle('unknowns.get', () => detail);
  handle('cameras.list', () => [
    {
      camera_id: 'gate',
      name: 'Front gate',
      location: null,
      url: '',
      recognition_enabled: true,
      recognition_threshold: null,
      unknown_threshold: null,
      state: 'online',
      reason: null,
      fps: 5,
      last_frame_at: null,
      detections_today: 0,
    },
  ]);
  handle('members.list', ({ query }) => {
    const items = MEMBERS.filter((m) => !query || m.name.toLowerCase().includes(query.toLowerCase()));
    return { total: items.length, items };
  });
  handle('unknowns.assign', ({ member_id }) => {
    queue = [];
    return {
      unknown: { ...unknown, status: 'identified', identified_as: member_id },
      member_id,
      embeddings_added: 2,
      sightings_moved: 3,
      alerts_resolved: 1,
    };
  });
}

beforeEach(() => {
  resetFake();
  window.location.hash = '';
});
afterEach(cleanup);

describe('ReviewPage', () => {
  it('identifies an unknown as an existing member found by name, and the queue converges', async () => {
    engine();
    render(<ReviewPage />);
    await screen.findByTestId('unknown-detail');
    // Camera names, not ids; "possibly Ada?" with the similarity and the threshold.
    expect(screen.getByTestId('unknown-row').textContent).toContain('Front gate');
    expect(screen.getByTestId('possible-member').textContent).toMatch(
      /Possibly Ada Lovelace\?.*0\.39.*0\.42/,
    );

    fireEvent.click(screen.getByRole('button', { name: 'Identify (i)' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByTestId('member-search'), { target: { value: 'bob' } });
    const bob = await within(dialog).findByText('Bob Stone');
    fireEvent.click(bob);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Identify as Bob Stone' }));
    await waitFor(() =>
      expect(paramsOf('unknowns.assign')).toEqual([
        { id: unknown.unknown_id, member_id: 'MEMBER_bob', notes: null },
      ]),
    );
    expect(await screen.findByText('Nobody to review')).toBeTruthy();
  });

  it('warns before converting a face or a name that is already a member, and offers to identify instead', async () => {
    engine();
    render(<ReviewPage />);
    await screen.findByTestId('unknown-detail');
    fireEvent.click(screen.getByRole('button', { name: 'Convert to member (c)' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText(/^Name/), { target: { value: 'bob stone' } });
    await waitFor(() => expect(within(dialog).getAllByTestId('convert-duplicate')).toHaveLength(2));
    const texts = within(dialog)
      .getAllByTestId('convert-duplicate')
      .map((w) => w.textContent);
    expect(texts[0]).toMatch(/resembles member Ada Lovelace \(similarity 0\.39/);
    expect(texts[1]).toMatch(/A member called Bob Stone already exists/);
    expect(within(dialog).getByRole('button', { name: 'Create a new member anyway' })).toBeTruthy();
    // One click switches to identifying the unknown as that member.
    fireEvent.click(within(dialog).getByRole('button', { name: 'Identify as Ada Lovelace' }));
    const identify = await screen.findByRole('dialog', { name: 'Identify as a member' });
    expect(within(identify).getByRole('button', { name: 'Identify as Ada Lovelace' })).toBeTruthy();
  });

  it('shows a viewer no action and no action hints', async () => {
    engine('viewer');
    render(<ReviewPage />);
    await screen.findByTestId('unknown-detail');
    expect(screen.getByTestId('shortcuts').textContent).toBe('j/k or ↑/↓ move');
    expect(screen.queryByRole('button', { name: /Identify|Convert|Dismiss|Merge/ })).toBeNull();
  });
});
