import { eventPermission } from '../api/console-events.js';
import type { ApiContext } from '../api/context.js';
import { Api, type CallOutcome } from '../api/dispatch.js';
import type { Handlers } from '../api/context.js';
import type { ConsoleEvent, MethodName } from '../contract/contract.js';
import type { Engine } from '../engine/engine.js';
import type { Pipeline } from '../engine/pipeline.js';
import { log } from '../log.js';
import { trustedSender, type SenderFrame } from './policy.js';
import { WindowSessions } from './sessions.js';

export interface BridgeOptions {
  engine: Engine;
  handlers: Handlers;
  /** The live pipeline once cameras run; null before, or without ffmpeg. */
  pipeline: () => Pipeline | null;
  pack: string;
  version: string;
  /** Delivers an event to one window (webContents.send in Electron). */
  send: (windowId: number, e: ConsoleEvent) => void;
  /** A window's kiosk mode ended through kiosk.unlock. */
  onKioskUnlocked: (windowId: number) => void;
}

const refused = (message: string): CallOutcome => ({ ok: false, error: { code: 'FORBIDDEN', message } });

function methodOf(raw: unknown): MethodName | null {
  const m = (raw as { method?: unknown } | null)?.method;
  return typeof m === 'string' ? (m as MethodName) : null;
}

/**
 * The console side of the engine in the desktop app, without Electron (ipc.ts adapts it). Each
 * request is first checked to come from the console's own top-level page, then goes through the
 * same Api.call as the WebSocket of `vigil serve` (contract validation, permission check, audit of
 * refusals), made as the user signed in at that window. Events go only to windows whose user may
 * see them.
 */
export class ConsoleBridge {
  private readonly api: Api;
  readonly sessions: WindowSessions;

  constructor(private readonly opts: BridgeOptions) {
    this.api = new Api(opts.handlers);
    this.sessions = new WindowSessions(() => opts.engine.store);
  }

  async invoke(windowId: number, frame: SenderFrame | null, raw: unknown): Promise<CallOutcome> {
    if (!trustedSender(frame) || !this.sessions.has(windowId)) {
      log('warn', 'ipc_refused', { reason: 'sender' });
      return refused('This page may not use the Vigil engine.');
    }
    const caller = this.sessions.caller(windowId);
    const ctx: ApiContext = {
      engine: this.opts.engine,
      pipeline: this.opts.pipeline(),
      user: caller.user,
      session: caller.session,
      kiosk: caller.kiosk,
      pack: this.opts.pack,
      version: this.opts.version,
      progress: (task, done, total) => this.opts.send(windowId, { type: 'progress', task, done, total }),
      broadcast: (e) => this.broadcast(e),
    };
    const outcome = await this.api.call(ctx, raw);
    const method = methodOf(raw);
    if (method && this.sessions.afterCall(windowId, method, outcome).kioskUnlocked)
      this.opts.onKioskUnlocked(windowId);
    return outcome;
  }

  /** Sends an event to every window whose user may see it. */
  broadcast(e: ConsoleEvent): void {
    for (const id of this.sessions.windowsAllowed(eventPermission(e))) this.opts.send(id, e);
  }
}
