import type { ConsoleEvent, MethodName, ParsedParams, Result, SessionUser } from '../contract/contract.js';
import type { Engine } from '../engine/engine.js';
import type { Pipeline } from '../engine/pipeline.js';
import type { SetupCode } from '../accounts/setup-code.js';
import type { ClusterView } from '../cluster/relay.js';

/** What a handler may use: the engine, the live pipeline when one runs, and who is asking. */
export interface ApiContext {
  engine: Engine;
  /** Null when no cameras run in this process (CLI, tests of the store alone). */
  pipeline: Pipeline | null;
  /** Null only for the methods that need no login (auth.*, system.info, kiosk.unlock). */
  user: SessionUser | null;
  /** The caller's session token, for logout and password change. */
  session: string | null;
  /** True when this console is the locked enrollment kiosk. */
  kiosk: boolean;
  pack: string;
  version: string;
  /** Where the request came from, for rate limits and the audit log; absent for the desktop shell. */
  client?: { address: string; userAgent: string | null };
  /**
   * Present under `vigil serve`: auth.setup then needs its one-time code. The desktop shell's own
   * window is at the machine already and passes none.
   */
  setupCode?: SetupCode;
  /** Sends an event to the calling console only (progress of a long export). */
  progress(task: string, done: number, total: number): void;
  /** Sends an event to every console (a camera added, an alert acknowledged). */
  broadcast(e: ConsoleEvent): void;
  /** Present on a node of a cluster: the cameras other nodes watch, from their relayed status. */
  cluster?: ClusterView;
}

export type Handler<M extends MethodName> = (
  ctx: ApiContext,
  params: ParsedParams<M>,
) => Promise<Result<M>> | Result<M>;

export type Handlers = { [M in MethodName]: Handler<M> };

/** Who acted, for the audit log. */
export function actorOf(ctx: ApiContext): string {
  return ctx.user ? `user:${ctx.user.username}` : 'anonymous';
}
