import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { AlertView, LoginResult, MemberView, UnknownView } from '../main/contract/contract.js';
import { asset, describeWithAssets } from '../main/testing/assets.js';
import { parseCsv, pdfText } from '../main/testing/documents.js';
import type { LoopbackRtsp } from '../main/testing/rtsp.js';
import { openConsole, screenshot, ServedEngine, startCamera, type Console } from './harness.js';

const ADMIN = { username: 'chief', password: 'guard room 42' };
const KIOSK = { username: 'lobby-kiosk', password: 'kiosk station 7' };
const CLIP = asset('videos', 'short_hamilton_clip.mp4');
const LIN = asset('faces', 'face_recognition_knn', 'gallery_hamilton', 'lin-manuel-miranda.png');
const ALEX = asset('faces', 'face_recognition_knn', 'gallery_hamilton', 'alex-lacamoire.png');

/** Polls until the check passes: the engine works in real time, the browser shows it later. */
async function eventually<T>(what: string, check: () => Promise<T | undefined | null | false>, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function go(page: Page, name: string): Promise<void> {
  await page.getByTestId(`nav-${name}`).click();
  await page.getByTestId(`page-${name}`).waitFor();
}

/**
 * The real console in Debian's Chromium against `vigil serve`, the real models and a looped RTSP
 * camera on loopback: what a guard, the enrollment desk and a manager do, end to end.
 */
describeWithAssets('security console (browser, real engine)', () => {
  let engine: ServedEngine;
  let camera: { rtsp: LoopbackRtsp; url: string };
  let ui: Console;
  let session: string;

  beforeAll(async () => {
    camera = await startCamera(CLIP);
    engine = await ServedEngine.start();
    ui = await openConsole(engine.url);
  });
  afterAll(async () => {
    await ui?.browser.close();
    await engine?.stop();
    camera?.rtsp.stopAll();
  });

  it('creates the first administrator on first run', async () => {
    const { page } = ui;
    await page.getByTestId('page-setup').waitFor();
    await screenshot(page, 'setup');
    await page.getByLabel(/^First-run code/).fill(engine.setupCode);
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel(/^Password/).fill(ADMIN.password);
    await page.getByLabel('Repeat password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByTestId('nav-live').waitFor();
    session = (await engine.rpc<LoginResult>('auth.login', ADMIN)).session;
  });

  it('adds a camera after a connection test and shows its tile with face boxes', async () => {
    const { page } = ui;
    await go(page, 'settings');
    await page.getByTestId('camera-add').click();
    await page.getByLabel(/^Camera id/).fill('stage');
    await page.getByLabel(/^Name/).fill('Stage');
    await page.getByLabel(/^URL/).fill(camera.url);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect
      .poll(() => page.getByTestId('camera-test-result').textContent(), { timeout: 30_000 })
      .toMatch(/Connected: 640×360/);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('[data-testid="camera-row"][data-id="stage"]').waitFor();
    await screenshot(page, 'settings');

    await go(page, 'live');
    const tile = page.getByTestId('tile-stage');
    await eventually(
      'a face box on the stage tile',
      async () => Number(await tile.getAttribute('data-faces')) > 0,
    );
    expect(await tile.getAttribute('data-state')).toBe('online');
    await screenshot(page, 'live');
  });

  let unknownId = '';
  it('shows an unknown in the review queue with its crop, identifies it, and the crop is gone', async () => {
    const { page } = ui;
    const unknowns = await eventually('an unknown person', async () => {
      const list = await engine.rpc<UnknownView[]>('unknowns.list', { status: 'active' }, session);
      return list.find((u) => u.has_crop) && list;
    });
    unknownId = unknowns.find((u) => u.has_crop)!.unknown_id;
    await go(page, 'review');
    const row = page.locator(`[data-testid="unknown-row"][data-id="${unknownId}"]`);
    await row.click();
    await page.getByTestId('unknown-crop').waitFor();
    expect(
      await page
        .getByTestId('unknown-crop')
        .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    ).toBeGreaterThan(0);
    await screenshot(page, 'review');
    await page.getByRole('button', { name: 'Identify (i)' }).click();
    await page.getByRole('dialog').getByLabel(/^Name/).fill('Stage visitor');
    await page.getByRole('dialog').getByRole('button', { name: 'Identify', exact: true }).click();
    await row.waitFor({ state: 'detached' });
    const after = await engine.rpc<UnknownView[]>('unknowns.list', { status: 'identified' }, session);
    expect(after.find((u) => u.unknown_id === unknownId)).toMatchObject({
      has_crop: false,
      status: 'identified',
    });
    await expect(engine.rpc('unknowns.crop', { id: unknownId }, session)).rejects.toThrow(/crop/i);
  });

  it('acknowledges the new-unknown alert with a note', async () => {
    const { page } = ui;
    const alert = await eventually('a new_unknown alert', async () =>
      (await engine.rpc<AlertView[]>('alerts.list', { status: 'open' }, session)).find(
        (a) => a.type === 'new_unknown',
      ),
    );
    await go(page, 'alerts');
    const row = page.locator(`[data-testid="alert-row"][data-id="${alert.alert_id}"]`);
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByRole('dialog').getByLabel('Notes').fill('Guard checked the stage door');
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => row.textContent()).toMatch(/acknowledged/i);
    await screenshot(page, 'alerts');
    const stored = (await engine.rpc<AlertView[]>('alerts.list', {}, session)).find(
      (a) => a.alert_id === alert.alert_id,
    );
    expect(stored).toMatchObject({ status: 'acknowledged', acknowledged_by: ADMIN.username });
    expect(stored?.notes).toBe('Guard checked the stage door');
  });

  it('enrolls a member from a photo and then recognises them live', async () => {
    const { page } = ui;
    await go(page, 'members');
    await page.getByRole('button', { name: 'Enroll member' }).click();
    const wizard = page.getByTestId('enroll-wizard');
    await wizard.getByLabel(/^Name/).fill('Lin-Manuel Miranda');
    await wizard.getByRole('button', { name: 'Next' }).click();
    await wizard.getByRole('checkbox').check();
    await wizard.getByRole('button', { name: 'Next' }).click();
    await wizard.getByTestId('enroll-files').setInputFiles(LIN);
    await expect
      .poll(() => wizard.getByTestId('enroll-summary').textContent(), { timeout: 30_000 })
      .toMatch(/1 usable/);
    await wizard.getByRole('button', { name: 'Enroll', exact: true }).click();
    const memberId = await wizard.getByTestId('enroll-member-id').textContent();
    expect(memberId).toMatch(/^MEMBER_/);
    await screenshot(page, 'members');
    await page.keyboard.press('Escape');

    await go(page, 'live');
    await page
      .getByTestId('feed-item')
      .filter({ hasText: 'Lin-Manuel Miranda' })
      .first()
      .waitFor({ timeout: 60_000 });
  });

  it('exports the appearance log as CSV and PDF, and both hold what was seen', async () => {
    const { page } = ui;
    await go(page, 'reports');
    const csvDownload = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const csv = readFileSync((await (await csvDownload).path())!, 'utf8');
    const rows = parseCsv(csv.replace(/^\uFEFF/, ''));
    expect(rows.length).toBeGreaterThan(1);
    const names = rows.slice(1).map((r) => r.join(' '));
    expect(names.some((r) => r.includes('Lin-Manuel Miranda'))).toBe(true);
    expect(names.some((r) => r.includes('stage'))).toBe(true);

    const pdfDownload = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export PDF' }).click();
    const pdf = await pdfText(readFileSync((await (await pdfDownload).path())!));
    expect(pdf.pages).toBeGreaterThanOrEqual(1);
    expect(pdf.text).toMatch(/Appearances/i);
    expect(pdf.text).toContain('Lin-Manuel Miranda');
    await page.getByTestId('report-done').waitFor();
    await screenshot(page, 'reports');
  });

  it('shows the dashboard, audit log and users pages without errors', async () => {
    const { page } = ui;
    for (const name of ['dashboard', 'audit', 'users']) {
      await go(page, name);
      await page.getByTestId('loading').waitFor({ state: 'detached' });
      expect(await page.getByTestId('error').count()).toBe(0);
      await screenshot(page, name);
    }
    const members = await engine.rpc<{ items: MemberView[] }>(
      'members.list',
      { query: 'Lin-Manuel' },
      session,
    );
    expect(members.items[0]?.total_appearances).toBeGreaterThan(0);
  });

  it('runs the kiosk: consent, photo, enrollment, and leaving needs the admin PIN', async () => {
    await engine.rpc('users.add', { ...KIOSK, role: 'kiosk' }, session);
    const page = await ui.context.newPage();
    page.on('pageerror', (e) => ui.errors.push(e.message));
    await page.goto(`${engine.url}/?kiosk=1`);
    await page.getByLabel('Username').fill(KIOSK.username);
    await page.getByLabel(/^Password/).fill(KIOSK.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('page-kiosk').waitFor();
    const wizard = page.getByTestId('enroll-wizard');
    await wizard.getByLabel(/^Name/).fill('Alex Lacamoire');
    await wizard.getByRole('button', { name: 'Next' }).click();
    expect((await wizard.getByTestId('consent-text').textContent())?.length).toBeGreaterThan(100);
    await wizard.getByRole('checkbox').check();
    await wizard.getByRole('button', { name: 'Next' }).click();
    await wizard.getByTestId('enroll-files').setInputFiles(ALEX);
    await expect
      .poll(() => wizard.getByTestId('enroll-summary').textContent(), { timeout: 30_000 })
      .toMatch(/1 usable/);
    await screenshot(page, 'kiosk');
    await wizard.getByRole('button', { name: 'Enroll', exact: true }).click();
    const memberId = (await wizard.getByTestId('enroll-member-id').textContent())!;
    const consent = await engine.rpc<{ json: { consents: unknown[] } }>(
      'subjects.export',
      { id: memberId },
      session,
    );
    expect(consent.json.consents).toHaveLength(1);

    await page.getByRole('button', { name: 'Exit kiosk' }).click();
    await page.getByLabel('Administrator', { exact: true }).fill(ADMIN.username);
    await page.getByLabel('Administrator PIN').fill('wrong pin 123');
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /unlock|exit/i })
      .click();
    await page.getByRole('dialog').getByTestId('error').waitFor();
    await page.getByLabel('Administrator PIN').fill(ADMIN.password);
    await page
      .getByRole('dialog')
      .getByRole('button', { name: /unlock|exit/i })
      .click();
    await page.getByTestId('page-kiosk').waitFor({ state: 'detached' });
    await page.close();
  });

  it('logged no console errors on any page', () => {
    expect(ui.errors).toEqual([]);
  });
});
