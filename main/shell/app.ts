// First: the work that must precede Electron's `ready` (paths, scheme, single-instance lock).
import { args, dataDir, primary } from './early.js';

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BrowserWindow, Menu, app, dialog, powerSaveBlocker, session, type WebContents } from 'electron';
import { toConsoleEvent } from '../api/console-events.js';
import { Engine } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import { countOpenAlerts, startRuntime, type Runtime } from '../services/live-runtime.js';
import { describeError } from '../errors.js';
import { log } from '../log.js';
import { packageRoot } from '../paths.js';
import { readServeInfo } from '../serve/session-file.js';
import { registerIpc, type ConsoleIpc } from './ipc.js';
import { desktopUnlock } from './keys.js';
import { notifyAlert } from './notifications.js';
import { appStartUrl, unpackedPath } from './policy.js';
import { serveApp } from './protocol.js';
import { summarize } from './status.js';
import { StatusTray } from './tray.js';
import { createConsoleWindow, hardenContents, hardenSession } from './window.js';

const pack = args.pack ?? process.env.VIGIL_MODEL_PACK ?? 'default';

// Every webContents, whoever creates it, gets the navigation and window rules from the start.
app.on('web-contents-created', (_event, contents) => hardenContents(contents));

/** Opens the data folder with its key: see desktopUnlock for which one. */
function openEngine(): { engine: Engine; note: string | null } {
  const unlock = desktopUnlock(dataDir);
  return { engine: Engine.open({ dataDir, pack, actor: 'engine', ...unlock.options }), note: unlock.note };
}

/** A packaged app's ffmpeg-static binary lives in app.asar.unpacked, where it can run. */
function usePackagedFfmpeg(): void {
  if (!app.isPackaged || process.env.VIGIL_FFMPEG) return;
  try {
    const p = createRequire(import.meta.url)('ffmpeg-static') as unknown;
    if (typeof p === 'string' && existsSync(unpackedPath(p))) process.env.VIGIL_FFMPEG = unpackedPath(p);
  } catch {
    // Optional dependency absent: findFfmpeg falls back to PATH.
  }
}

function applicationMenu(kiosk: boolean): void {
  // Development keeps Electron's menu (reload, DevTools); a packaged app and the kiosk get no
  // reload or DevTools shortcuts. macOS needs its Edit menu for copy and paste in text fields.
  if (!app.isPackaged && !kiosk) return;
  const mac = process.platform === 'darwin';
  Menu.setApplicationMenu(
    mac
      ? Menu.buildFromTemplate(kiosk ? [{ role: 'editMenu' }] : [{ role: 'appMenu' }, { role: 'editMenu' }])
      : null,
  );
}

async function main(): Promise<void> {
  await app.whenReady();
  hardenSession(session.defaultSession);
  serveApp(session.defaultSession, join(packageRoot(), 'dist', 'renderer'));

  const { engine, note: keyNote } = openEngine();
  if (keyNote) log('warn', 'desktop_key_unused', { reason: keyNote });
  // From the configuration object, so VIGIL_KIOSK=true works as the stored setting does.
  let kiosk = args.kiosk || engine.settings.current.kiosk;
  applicationMenu(kiosk);

  let runtime: Runtime | null = null;
  let runtimeNote: string | null = null;
  let quitting = false;
  let win: BrowserWindow | null = null;
  let blocker: number | null = null;

  const ipc: ConsoleIpc = registerIpc({
    engine,
    pipeline: () => runtime?.pipeline ?? null,
    pack,
    version: app.getVersion(),
    onKioskUnlocked: (contents: WebContents) => {
      kiosk = false;
      const w = BrowserWindow.fromWebContents(contents);
      w?.setKiosk(false);
      w?.setFullScreen(false);
      applicationMenu(false);
      tray.setQuit(quit);
      refreshStatus();
      log('info', 'kiosk_left', {});
    },
  });

  const openWindow = (): BrowserWindow => {
    const w = createConsoleWindow({
      preload: join(packageRoot(), 'dist', 'preload', 'preload.cjs'),
      kiosk,
      devTools: !app.isPackaged && !kiosk,
    });
    ipc.attach(w.webContents, kiosk);
    // The kiosk cannot be closed from its keyboard; quitting the app (or kiosk.unlock) ends it.
    w.on('close', (event) => {
      if (kiosk && !quitting) event.preventDefault();
    });
    w.on('closed', () => {
      if (win === w) win = null;
    });
    w.webContents.on('render-process-gone', (_e, details) => {
      log('error', 'renderer_gone', { reason: details.reason });
      if (!quitting && !w.isDestroyed()) w.reload();
    });
    void w.loadURL(appStartUrl(kiosk));
    return w;
  };
  const showWindow = (): void => {
    if (!win || win.isDestroyed()) win = openWindow();
    else {
      if (win.isMinimized()) win.restore();
      win.show();
      win.focus();
    }
  };
  const quit = (): void => app.quit();
  const tray = new StatusTray({ show: showWindow, quit: kiosk ? null : quit });

  function refreshStatus(): void {
    try {
      const alerts = countOpenAlerts(engine.store);
      const s = summarize(runtime?.cameras() ?? [], alerts.total, alerts.urgent > 0, runtimeNote);
      tray.update(s);
      if (s.monitoring && blocker === null) blocker = powerSaveBlocker.start('prevent-app-suspension');
      else if (!s.monitoring && blocker !== null) {
        powerSaveBlocker.stop(blocker);
        blocker = null;
      }
    } catch (e) {
      log('warn', 'status_failed', { error: e instanceof Error ? e.message : String(e) });
    }
  }

  const onEvent = (e: EngineEvent): void => {
    const event = toConsoleEvent(e);
    ipc.bridge.broadcast(event);
    if (event.type === 'alert') notifyAlert(event, ipc.bridge.sessions.anyoneMay('alerts.view'), showWindow);
    if (event.type === 'alert' || event.type === 'camera_status' || event.type === 'stats') refreshStatus();
  };

  app.on('second-instance', showWindow);
  app.on('activate', showWindow);
  app.on('window-all-closed', () => {
    // The cameras keep being watched from the tray; without a tray, closing the window quits.
    if (!tray.available || quitting) app.quit();
  });

  let shutdown: Promise<void> | null = null;
  let done = false;
  app.on('before-quit', (event) => {
    quitting = true;
    if (done) return;
    event.preventDefault();
    shutdown ??= (async () => {
      ipc.dispose();
      try {
        // Same order as `vigil serve` on SIGTERM: cameras stop and open tracks are written,
        // unknown fragments merged, pending alerts delivered; then the store closes.
        await runtime?.stop();
      } catch (e) {
        log('error', 'shutdown_failed', { error: e instanceof Error ? e.message : String(e) });
      }
      if (blocker !== null) powerSaveBlocker.stop(blocker);
      tray.destroy();
      engine.close();
    })().finally(() => {
      done = true;
      app.quit();
    });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, quit);

  showWindow();
  refreshStatus();

  const serving = readServeInfo(dataDir);
  if (serving) {
    // Two pipelines on one folder would record everything twice.
    runtimeNote = `cameras run in vigil serve (pid ${serving.pid})`;
  } else {
    usePackagedFfmpeg();
    try {
      runtime = await startRuntime(engine, { pack, dataDir, onEvent });
      if (!runtime.ffmpeg) runtimeNote = 'cameras cannot run: ffmpeg was not found';
    } catch (e) {
      runtimeNote = 'cameras cannot run';
      log('error', 'runtime_failed', { error: e instanceof Error ? e.message : String(e) });
      dialog.showErrorBox('Vigil: cameras cannot run', describeError(e));
    }
  }
  if (keyNote) runtimeNote = runtimeNote ? `${runtimeNote}; ${keyNote}` : keyNote;
  refreshStatus();
}

if (!primary) app.quit();
else
  main().catch((e: unknown) => {
    log('error', 'startup_failed', { error: e instanceof Error ? e.message : String(e) });
    dialog.showErrorBox('Vigil cannot start', describeError(e));
    app.exit(1);
  });
