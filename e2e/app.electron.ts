import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { electronBinaryPath } from '../main/packaging/electron-binary.js';
import { packageRoot } from '../main/paths.js';
import { faceSvg, MEMBER_FACE } from '../main/demo/faces.js';
import sharp from 'sharp';

/**
 * The packaged app's smoke path in the real Electron (not run on the build machine, which has no
 * Electron binary): first administrator, sign-in, the Live page, and a member enrolled from a photo.
 */
const binary = electronBinaryPath();
const ADMIN = { username: 'admin', password: 'desktop smoke 1' };

describe.skipIf(!binary)('the desktop app (Electron)', () => {
  let app: ElectronApplication;
  let page: Page;
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-electron-'));

  beforeAll(async () => {
    app = await _electron.launch({
      executablePath: binary!,
      args: [packageRoot(), `--data-dir=${dataDir}`],
      env: { ...process.env, VIGIL_DATA_DIR: dataDir, ELECTRON_ENABLE_LOGGING: '1' },
    });
    page = await app.firstWindow();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('creates the administrator and reaches the Live page', async () => {
    await page.getByTestId('page-setup').waitFor();
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel(/^Password/).fill(ADMIN.password);
    await page.getByLabel('Repeat password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByTestId('nav-live').click();
    await page.getByTestId('page-live').waitFor();
  });

  it('enrolls a member from a photo', async () => {
    const photo = join(dataDir, 'member.jpg');
    await sharp(Buffer.from(faceSvg(MEMBER_FACE)))
      .jpeg()
      .toFile(photo);
    await page.getByTestId('nav-members').click();
    await page.getByTestId('page-members').waitFor();
    await page.getByRole('button', { name: 'Enroll member' }).click();
    const wizard = page.getByRole('dialog');
    await wizard.getByLabel(/^Name/).fill('Desktop Member');
    await wizard.getByRole('button', { name: 'Next' }).click();
    await wizard.getByRole('checkbox').check();
    await wizard.getByRole('button', { name: 'Next' }).click();
    await wizard.getByTestId('enroll-files').setInputFiles(photo);
    await wizard.getByRole('button', { name: 'Enroll', exact: true }).click();
    await page.getByText('Desktop Member').first().waitFor();
    expect(await page.getByText('Desktop Member').count()).toBeGreaterThan(0);
  });
});
