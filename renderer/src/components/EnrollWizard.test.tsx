// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PhotoCheck } from '../../../main/contract/contract.js';
import { CONSENT_TEXT } from '../enroll/consent.js';
import { EnrollWizard } from './EnrollWizard.js';

// The engine stubbed at the module boundary: checkPhoto rejects any photo named *blurry*
// with the engine's sentence; enroll answers with a member id.
const calls = vi.hoisted(() => [] as { method: string; params: Record<string, unknown> }[]);
const NO_FACE = 'No face was found in this photo; the face must be at least 80 pixels wide.';
vi.mock('../api.js', () => ({
  ApiError: class ApiError extends Error {},
  call: vi.fn(async (method: string, params: Record<string, unknown>) => {
    calls.push({ method, params });
    if (method === 'members.checkPhoto') {
      const photo = params.photo as { name: string; data: string };
      const bad = photo.name.includes('blurry');
      const check: PhotoCheck = bad
        ? { name: photo.name, ok: false, reason: NO_FACE, quality: null, face_px: 31, liveness: null }
        : { name: photo.name, ok: true, reason: null, quality: 0.82, face_px: 164, liveness: null };
      return check;
    }
    if (method === 'members.enroll')
      return { member_id: 'M-0001', embeddings_count: 1, quality_score: 0.82, rejected: [], warnings: [] };
    throw new Error(`unexpected call ${method}`);
  }),
  api: { onEvent: () => () => undefined },
}));

afterEach(() => {
  cleanup();
  calls.length = 0;
});

const click = (name: string) => fireEvent.click(screen.getByRole('button', { name }));

describe('EnrollWizard', () => {
  it("shows the engine's sentence for a rejected photo and enrolls only the usable one", async () => {
    render(<EnrollWizard method="console" />);
    fireEvent.change(screen.getByRole('textbox', { name: 'Name' }), { target: { value: 'Grace Hopper' } });
    click('Next');

    expect(screen.getByTestId('consent-text').textContent).toBe(CONSENT_TEXT);
    expect(screen.getByRole('button', { name: 'Next' })).toHaveProperty('disabled', true);
    fireEvent.click(screen.getByRole('checkbox'));
    click('Next');

    const good = new File([new Uint8Array([0xff, 0xd8, 1, 2, 0xff, 0xd9])], 'front.jpg', {
      type: 'image/jpeg',
    });
    const bad = new File([new Uint8Array([0xff, 0xd8, 3, 0xff, 0xd9])], 'blurry.jpg', { type: 'image/jpeg' });
    fireEvent.change(screen.getByTestId('enroll-files'), { target: { files: [good, bad] } });

    expect((await screen.findByTestId('photo-reason')).textContent).toContain(NO_FACE);
    await screen.findByText(/Usable · face 164 px/);
    expect(screen.getByTestId('enroll-summary').textContent).toBe('1 usable, 1 not usable.');
    const checks = calls.filter((c) => c.method === 'members.checkPhoto');
    expect(checks.map((c) => (c.params.photo as { data: string }).data)).toEqual([
      btoa('\xff\xd8\x01\x02\xff\xd9'),
      btoa('\xff\xd8\x03\xff\xd9'),
    ]);

    click('Enroll');
    expect((await screen.findByTestId('enroll-member-id')).textContent).toBe('M-0001');
    const enroll = calls.find((c) => c.method === 'members.enroll');
    expect(enroll?.params.photos).toEqual([{ name: 'front.jpg', data: btoa('\xff\xd8\x01\x02\xff\xd9') }]);
    expect(enroll?.params.consent).toEqual({ text: CONSENT_TEXT, method: 'console' });
    expect(enroll?.params.member).toMatchObject({
      name: 'Grace Hopper',
      apartment: null,
      member_type: 'member',
    });
  });

  it('cannot enroll while every photo is rejected', async () => {
    render(<EnrollWizard method="kiosk" />);
    fireEvent.change(screen.getByRole('textbox', { name: 'Name' }), { target: { value: 'Alan' } });
    click('Next');
    fireEvent.click(screen.getByRole('checkbox'));
    click('Next');
    const bad = new File([new Uint8Array([1, 2, 3])], 'blurry-selfie.png', { type: 'image/png' });
    fireEvent.change(screen.getByTestId('enroll-files'), { target: { files: [bad] } });
    expect((await screen.findByTestId('photo-reason')).textContent).toContain(NO_FACE);
    await waitFor(() =>
      expect(screen.getByTestId('enroll-summary').textContent).toBe('0 usable, 1 not usable.'),
    );
    expect(screen.getByRole('button', { name: 'Enroll' })).toHaveProperty('disabled', true);
    expect(calls.some((c) => c.method === 'members.enroll')).toBe(false);
  });
});
