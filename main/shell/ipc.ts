import { ipcMain, webContents, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { handlers } from '../api/handlers/index.js';
import type { CallOutcome } from '../api/dispatch.js';
import type { Engine } from '../engine/engine.js';
import type { Pipeline } from '../engine/pipeline.js';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from '../contract/contract.js';
import { ConsoleBridge } from './bridge.js';

export interface IpcOptions {
  engine: Engine;
  pipeline: () => Pipeline | null;
  pack: string;
  version: string;
  /** A window's kiosk mode ended through kiosk.unlock. */
  onKioskUnlocked: (contents: WebContents) => void;
}

export interface ConsoleIpc {
  bridge: ConsoleBridge;
  /** Starts serving a console window; kiosk: it opens as the locked enrollment kiosk. */
  attach(contents: WebContents, kiosk: boolean): void;
  dispose(): void;
}

/** The one IPC channel between the console and the engine (see ConsoleBridge for the rules). */
export function registerIpc(opts: IpcOptions): ConsoleIpc {
  const bridge = new ConsoleBridge({
    engine: opts.engine,
    handlers,
    pipeline: opts.pipeline,
    pack: opts.pack,
    version: opts.version,
    send: (id, e) => {
      const wc = webContents.fromId(id);
      if (wc && !wc.isDestroyed()) wc.send(IPC_EVENT_CHANNEL, e);
    },
    onKioskUnlocked: (id) => {
      const wc = webContents.fromId(id);
      if (wc && !wc.isDestroyed()) opts.onKioskUnlocked(wc);
    },
  });

  ipcMain.handle(IPC_INVOKE_CHANNEL, (event: IpcMainInvokeEvent, raw: unknown): Promise<CallOutcome> => {
    const frame = event.senderFrame;
    // The sender's top-level frame, compared by token: an iframe of the page is not the page.
    const isMainFrame =
      !!frame && frame.parent === null && frame.frameToken === event.sender.mainFrame.frameToken;
    return bridge.invoke(event.sender.id, frame ? { url: frame.url, isMainFrame } : null, raw);
  });

  return {
    bridge,
    attach(contents, kiosk) {
      const id = contents.id;
      bridge.sessions.open(id, kiosk);
      contents.once('destroyed', () => bridge.sessions.close(id));
    },
    dispose() {
      ipcMain.removeHandler(IPC_INVOKE_CHANNEL);
    },
  };
}
