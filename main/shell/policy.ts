import { consoleCsp, mimeTypeOf, resolveConsoleFile } from '../serve/console-files.js';

/**
 * The desktop shell's security decisions as plain functions (no Electron here), so each one is
 * tested without an Electron runtime; app.ts, window.ts and ipc.ts only wire them to Electron.
 *
 * The console is served from a privileged custom scheme, vigil://app/, rather than file://
 * (Electron security checklist item 18): file:// pages share one opaque origin with every file on
 * the disk, so an origin check or a CSP 'self' would admit any local file, and Chromium grants
 * file:// extra powers. vigil://app is a real, secure origin: the IPC sender check, the camera
 * permission and 'self' in the CSP all mean exactly "the console's own bundled files".
 */

export const APP_SCHEME = 'vigil';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** The console's start page; `?kiosk=1` tells the renderer before its first call returns. */
export function appStartUrl(kiosk: boolean): string {
  return `${APP_ORIGIN}/index.html${kiosk ? '?kiosk=1' : ''}`;
}

/**
 * Sent as a response header on everything the shell serves. The page's own meta policy also
 * applies (the stricter of the two wins); this one closes connect-src to 'self': in Electron the
 * console talks to the engine only over IPC, never over the network.
 */
export const CONTENT_SECURITY_POLICY = consoleCsp("'self'");

function parse(url: string | null | undefined): URL | null {
  if (typeof url !== 'string' || url === '') return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** True for a URL of the console's own origin (vigil://app/...), nothing else. */
export function isAppUrl(url: string | null | undefined): boolean {
  const u = parse(url);
  return (
    u !== null &&
    u.protocol === `${APP_SCHEME}:` &&
    u.host === APP_HOST &&
    u.username === '' &&
    u.password === ''
  );
}

/** What ipc.ts knows about the frame that sent a request. */
export interface SenderFrame {
  url: string;
  /** The frame is its window's top-level frame (not an iframe). */
  isMainFrame: boolean;
}

/**
 * Only the console's own top-level page may call the engine (checklist item 17). A frame that
 * has navigated away or been destroyed (null), an iframe, or any other origin is refused.
 */
export function trustedSender(frame: SenderFrame | null | undefined): boolean {
  return !!frame && frame.isMainFrame && isAppUrl(frame.url);
}

/** Details Electron gives with a permission request (a subset of MediaAccessPermissionRequest). */
export interface PermissionDetails {
  requestingUrl?: string;
  isMainFrame?: boolean;
  mediaTypes?: readonly string[];
}

/**
 * Every permission is refused except the camera, for enrollment photos, and only for the
 * console's own top-level page. A microphone (or camera and microphone together) is refused: the
 * console never records sound.
 */
export function permissionAllowed(permission: string, details: PermissionDetails): boolean {
  if (permission !== 'media') return false;
  if (details.isMainFrame === false || !isAppUrl(details.requestingUrl)) return false;
  const types = details.mediaTypes ?? [];
  return types.length > 0 && types.every((t) => t === 'video');
}

/** The synchronous check Chromium makes before a request (e.g. listing cameras): same rule. */
export function permissionCheckAllowed(permission: string, requestingOrigin: string): boolean {
  return permission === 'media' && requestingOrigin === APP_ORIGIN;
}

/**
 * The console is one page; it never navigates (checklist item 13). Reloading its own start page
 * is harmless and allowed; any other destination, including other files of the app, is refused.
 */
export function navigationAllowed(url: string): boolean {
  const u = parse(url);
  return isAppUrl(url) && u !== null && (u.pathname === '/' || u.pathname === '/index.html');
}

/**
 * Requests the renderer may make at all: its own files and inline data. Everything else, remote
 * http(s), ws(s), file:// and other schemes, is cancelled before it leaves. DevTools' own scheme
 * is let through so that a development build can be inspected.
 */
export function requestAllowed(url: string): boolean {
  if (isAppUrl(url)) return true;
  const u = parse(url);
  return u !== null && (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'devtools:');
}

/**
 * Downloads are the console saving a file the engine produced (a report, a subject export): a
 * blob: URL the page itself made. Electron then asks where to save it. Nothing else downloads.
 */
export function downloadAllowed(url: string): boolean {
  return url.startsWith('blob:') && isAppUrl(url.slice('blob:'.length));
}

/**
 * Maps a vigil://app/ URL to a file under `root` (dist/renderer), or null when it is not one of
 * the console's files: another host, an encoded `..`, a NUL byte or an absolute path escape.
 */
export function resolveAppFile(root: string, url: string): string | null {
  return isAppUrl(url) ? resolveConsoleFile(root, parse(url)!.pathname) : null;
}

export { mimeTypeOf };

export interface ShellArgs {
  kiosk: boolean;
  dataDir?: string;
  pack?: string;
}

/**
 * The shell's own options among Electron's argv (the executable, in development the app path, and
 * possibly Chromium switches): --kiosk, --data-dir DIR|--data-dir=DIR, --pack NAME|--pack=NAME.
 * Anything else is left to Chromium and ignored here.
 */
export function parseShellArgs(argv: readonly string[]): ShellArgs {
  const out: ShellArgs = { kiosk: false };
  const args = argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a === '--kiosk' || a === '--kiosk=true') out.kiosk = true;
    else if (a === '--kiosk=false') out.kiosk = false;
    for (const name of ['data-dir', 'pack'] as const) {
      let value: string | undefined;
      if (a === `--${name}`) {
        const next = args[i + 1];
        if (next !== undefined && !next.startsWith('--')) {
          value = next;
          i++;
        }
      } else if (a.startsWith(`--${name}=`)) value = a.slice(name.length + 3);
      if (value) {
        if (name === 'data-dir') out.dataDir = value;
        else out.pack = value;
      }
    }
  }
  return out;
}

/**
 * A file inside app.asar as the operating system sees it: native code and executables (ffmpeg,
 * sqlite-vec's extension) cannot be opened inside the archive, so electron-builder's asarUnpack
 * puts them beside it in app.asar.unpacked.
 */
export function unpackedPath(p: string): string {
  return p.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}
