import { BrowserWindow, type Session, type WebContents } from 'electron';
import { log } from '../log.js';
import {
  CONTENT_SECURITY_POLICY,
  downloadAllowed,
  navigationAllowed,
  permissionAllowed,
  permissionCheckAllowed,
  requestAllowed,
} from './policy.js';

/**
 * The session's rules, set once before any page loads: permissions refused except the console's
 * camera (checklist item 5), every request that is not the console's own file cancelled (no
 * remote content at all), the CSP sent as a response header (item 7), downloads only of files
 * the console itself produced.
 */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    const ok = permissionAllowed(permission, details);
    if (!ok) log('warn', 'permission_refused', { permission });
    callback(ok);
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    permissionCheckAllowed(permission, requestingOrigin),
  );
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onBeforeRequest((details, callback) => {
    const ok = requestAllowed(details.url);
    if (!ok) log('warn', 'request_blocked', { scheme: details.url.split(':', 1)[0] ?? '' });
    callback({ cancel: !ok });
  });
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  session.on('will-download', (event, item) => {
    if (!downloadAllowed(item.getURL())) event.preventDefault();
  });
}

/**
 * Applied to every webContents the app ever creates (app 'web-contents-created'): no navigation
 * away from the console (item 13), no new windows (item 14), no <webview> (item 12).
 */
export function hardenContents(contents: WebContents): void {
  contents.setWindowOpenHandler(() => {
    log('warn', 'window_open_refused', {});
    return { action: 'deny' };
  });
  const guard = (event: { url: string; preventDefault(): void }) => {
    if (!navigationAllowed(event.url)) {
      log('warn', 'navigation_refused', { scheme: event.url.split(':', 1)[0] ?? '' });
      event.preventDefault();
    }
  };
  contents.on('will-navigate', guard);
  contents.on('will-frame-navigate', guard);
  contents.on('will-redirect', guard);
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export interface WindowOptions {
  preload: string;
  kiosk: boolean;
  /** DevTools only in development and never at the kiosk. */
  devTools: boolean;
}

/** The console window: context isolation, a sandboxed renderer, no Node, web security on. */
export function createConsoleWindow(opts: WindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1366,
    height: 768,
    minWidth: 1024,
    minHeight: 640,
    show: false,
    title: 'Vigil',
    backgroundColor: '#101418',
    autoHideMenuBar: true,
    kiosk: opts.kiosk,
    fullscreen: opts.kiosk,
    webPreferences: {
      preload: opts.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      devTools: opts.devTools,
    },
  });
  win.once('ready-to-show', () => win.show());
  return win;
}
