import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_ORIGIN,
  CONTENT_SECURITY_POLICY,
  appStartUrl,
  downloadAllowed,
  mimeTypeOf,
  navigationAllowed,
  parseShellArgs,
  permissionAllowed,
  permissionCheckAllowed,
  requestAllowed,
  resolveAppFile,
  trustedSender,
  unpackedPath,
} from './policy.js';

describe('IPC sender validation', () => {
  it("accepts only the console's own top-level page", () => {
    expect(trustedSender({ url: 'vigil://app/index.html', isMainFrame: true })).toBe(true);
    expect(trustedSender({ url: 'vigil://app/index.html?kiosk=1#members', isMainFrame: true })).toBe(true);
  });

  it('refuses iframes, other origins, look-alikes and vanished frames', () => {
    expect(trustedSender({ url: 'vigil://app/index.html', isMainFrame: false })).toBe(false);
    expect(trustedSender(null)).toBe(false);
    expect(trustedSender(undefined)).toBe(false);
    for (const url of [
      'https://evil.example/',
      'file:///work/main/dist/renderer/index.html',
      'vigil://evil/index.html',
      'vigil://app.evil.example/index.html',
      'vigil://user:pass@app/index.html',
      'http://app/index.html',
      'about:blank',
      'data:text/html,<script>1</script>',
      '',
      'not a url',
    ])
      expect(trustedSender({ url, isMainFrame: true }), url).toBe(false);
  });
});

describe('permission requests', () => {
  const page = { requestingUrl: 'vigil://app/index.html', isMainFrame: true };

  it("grants the camera to the console's page only", () => {
    expect(permissionAllowed('media', { ...page, mediaTypes: ['video'] })).toBe(true);
    expect(
      permissionAllowed('media', { ...page, requestingUrl: 'https://x.example/', mediaTypes: ['video'] }),
    ).toBe(false);
    expect(permissionAllowed('media', { ...page, isMainFrame: false, mediaTypes: ['video'] })).toBe(false);
    expect(permissionAllowed('media', { requestingUrl: 'file:///index.html', mediaTypes: ['video'] })).toBe(
      false,
    );
  });

  it('refuses the microphone, unspecified media and every other permission', () => {
    expect(permissionAllowed('media', { ...page, mediaTypes: ['audio'] })).toBe(false);
    expect(permissionAllowed('media', { ...page, mediaTypes: ['video', 'audio'] })).toBe(false);
    expect(permissionAllowed('media', { ...page, mediaTypes: [] })).toBe(false);
    expect(permissionAllowed('media', page)).toBe(false);
    for (const p of [
      'notifications',
      'geolocation',
      'clipboard-read',
      'display-capture',
      'fullscreen',
      'openExternal',
      'pointerLock',
      'fileSystem',
      'unknown',
    ])
      expect(permissionAllowed(p, { ...page, mediaTypes: ['video'] }), p).toBe(false);
  });

  it('answers permission checks the same way', () => {
    expect(permissionCheckAllowed('media', APP_ORIGIN)).toBe(true);
    expect(permissionCheckAllowed('media', 'https://x.example')).toBe(false);
    expect(permissionCheckAllowed('notifications', APP_ORIGIN)).toBe(false);
  });
});

describe('navigation, requests and downloads', () => {
  it('allows only the start page of the console as a navigation target', () => {
    expect(navigationAllowed('vigil://app/index.html')).toBe(true);
    expect(navigationAllowed('vigil://app/')).toBe(true);
    expect(navigationAllowed('vigil://app/index.html?kiosk=1')).toBe(true);
    for (const url of [
      'https://example.com/',
      'http://127.0.0.1:8765/',
      'file:///etc/passwd',
      'vigil://app/assets/app.js',
      'vigil://other/index.html',
      'javascript:alert(1)',
      'about:blank',
      'chrome://settings',
    ])
      expect(navigationAllowed(url), url).toBe(false);
  });

  it('lets the renderer load only its own files and inline data', () => {
    for (const url of ['vigil://app/assets/app.js', 'data:image/png;base64,AA==', 'blob:vigil://app/1234'])
      expect(requestAllowed(url), url).toBe(true);
    for (const url of [
      'https://fonts.googleapis.com/css',
      'http://localhost:8765/api/rpc',
      'ws://127.0.0.1:8765/ws',
      'wss://example.com/',
      'file:///etc/passwd',
      'vigil://other/x.js',
      'ftp://example.com/',
    ])
      expect(requestAllowed(url), url).toBe(false);
  });

  it('saves only files the console made itself', () => {
    expect(downloadAllowed('blob:vigil://app/6b1c5f0e-1111-2222-3333-444455556666')).toBe(true);
    expect(downloadAllowed('https://example.com/report.pdf')).toBe(false);
    expect(downloadAllowed('blob:https://example.com/123')).toBe(false);
    expect(downloadAllowed('data:application/pdf;base64,AA==')).toBe(false);
  });
});

describe('content security policy', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name!, values];
    }),
  );

  it('runs only the bundled scripts and talks to no server', () => {
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('never allows inline or evaluated scripts, nor any remote origin', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|unsafe-hashes|wasm-unsafe-eval/);
    expect(directives.get('script-src')).not.toContain("'unsafe-inline'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|wss?:|\*/);
  });

  it('admits the crops and previews the console shows (data: and blob: images)', () => {
    expect(directives.get('img-src')).toEqual(expect.arrayContaining(["'self'", 'data:', 'blob:']));
  });
});

describe('serving the console from vigil://app/', () => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-renderer-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html>');
  writeFileSync(join(root, 'assets', 'app.js'), '1');
  const outside = join(root, '..', `${basename(root)}-secret.txt`);
  writeFileSync(outside, 'no');

  it('maps app URLs to files under the root', () => {
    expect(resolveAppFile(root, 'vigil://app/index.html')).toBe(join(root, 'index.html'));
    expect(resolveAppFile(root, 'vigil://app/')).toBe(join(root, 'index.html'));
    expect(resolveAppFile(root, 'vigil://app/assets/app.js?v=2#x')).toBe(join(root, 'assets', 'app.js'));
  });

  it('refuses anything that would leave the root or is not the app origin', () => {
    for (const url of [
      `vigil://app/../${basename(outside)}`,
      `vigil://app/%2e%2e/${basename(outside)}`,
      `vigil://app/assets/%2e%2e%2f%2e%2e%2f${basename(outside)}`,
      `vigil://app/..%5c${basename(outside)}`,
      `vigil://app/%2F..%2F..%2F${basename(outside)}`,
      'vigil://app/index.html%00.js',
      'vigil://app/%E0%A4%A',
      'vigil://other/index.html',
      'file:///etc/passwd',
    ]) {
      const file = resolveAppFile(root, url);
      expect(file === null || file.startsWith(root + sep), url).toBe(true);
      expect(file, url).not.toBe(outside);
    }
    expect(resolveAppFile(root, 'vigil://other/index.html')).toBeNull();
    expect(resolveAppFile(root, 'vigil://app/index.html%00.js')).toBeNull();
  });

  it('labels what it serves', () => {
    expect(mimeTypeOf('index.html')).toBe('text/html; charset=utf-8');
    expect(mimeTypeOf('assets/app.js')).toBe('text/javascript; charset=utf-8');
    expect(mimeTypeOf('x.unknown')).toBe('application/octet-stream');
  });

  it('starts the kiosk with its flag in the URL', () => {
    expect(appStartUrl(false)).toBe('vigil://app/index.html');
    expect(appStartUrl(true)).toBe('vigil://app/index.html?kiosk=1');
    expect(navigationAllowed(appStartUrl(true))).toBe(true);
  });
});

describe('shell arguments', () => {
  it('finds --kiosk among Electron and Chromium arguments, packaged or not', () => {
    expect(parseShellArgs(['/opt/Vigil/vigil', '--kiosk'])).toEqual({ kiosk: true });
    expect(parseShellArgs(['/x/electron', '/work/main', '--no-sandbox', '--kiosk']).kiosk).toBe(true);
    expect(parseShellArgs(['/x/electron', '/work/main']).kiosk).toBe(false);
    expect(parseShellArgs(['/x/electron', '.', '--kiosk=false']).kiosk).toBe(false);
    // Only the exact flag: not a prefix, not a value of another option, not after "--".
    expect(parseShellArgs(['/x/vigil', '--kiosked']).kiosk).toBe(false);
    expect(parseShellArgs(['/x/vigil', '--', '--kiosk']).kiosk).toBe(false);
    // argv[0] is the executable, whatever its name.
    expect(parseShellArgs(['--kiosk']).kiosk).toBe(false);
  });

  it('reads --data-dir and --pack in both spellings', () => {
    expect(parseShellArgs(['/x/vigil', '--data-dir', '/srv/vigil', '--kiosk'])).toEqual({
      kiosk: true,
      dataDir: '/srv/vigil',
    });
    expect(parseShellArgs(['/x/vigil', '--data-dir=/srv/v', '--pack=recommended'])).toEqual({
      kiosk: false,
      dataDir: '/srv/v',
      pack: 'recommended',
    });
    // A flag is not taken as a value.
    expect(parseShellArgs(['/x/vigil', '--data-dir', '--kiosk'])).toEqual({ kiosk: true });
  });
});

describe('unpacked paths', () => {
  it('points native files at app.asar.unpacked', () => {
    expect(unpackedPath('/opt/Vigil/resources/app.asar/node_modules/ffmpeg-static/ffmpeg')).toBe(
      '/opt/Vigil/resources/app.asar.unpacked/node_modules/ffmpeg-static/ffmpeg',
    );
    expect(unpackedPath('C:\\Vigil\\resources\\app.asar\\node_modules\\x.dll')).toBe(
      'C:\\Vigil\\resources\\app.asar.unpacked\\node_modules\\x.dll',
    );
    expect(unpackedPath('/work/main/node_modules/ffmpeg-static/ffmpeg')).toBe(
      '/work/main/node_modules/ffmpeg-static/ffmpeg',
    );
  });
});
