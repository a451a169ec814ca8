import { parseRequest, type ErrorCode, type MethodName, type RpcError } from '../contract/contract.js';
import { methods } from '../contract/contract.js';
import { can } from '../contract/roles.js';
import { isVigilError, type VigilErrorCode } from '../errors.js';
import { log } from '../log.js';
import { auditRequest } from '../store/audit.js';
import { diskFullError, isDiskFull } from '../store/write-guard.js';
import { actorOf, type ApiContext, type Handlers } from './context.js';
import { clientDetails } from './refusal-audit.js';

export type CallOutcome = { ok: true; result: unknown } | { ok: false; error: RpcError };

const ERROR_CODES: Partial<Record<VigilErrorCode, ErrorCode>> = {
  NOT_FOUND: 'NOT_FOUND',
  AUTH_FAILED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  CONFLICT: 'CONFLICT',
};

/**
 * The engine's one door for the console: every request, from Electron IPC or the WebSocket,
 * is parsed against the contract, checked against the caller's role, audited when refused, and
 * only then handed to its handler. Errors leave as sentences, never as stack traces.
 */
export class Api {
  constructor(private readonly handlers: Handlers) {}

  call(ctx: ApiContext, raw: unknown): Promise<CallOutcome> {
    // Under vigil serve every audit row the request writes carries the client's address and agent.
    return ctx.client
      ? auditRequest.run(clientDetails(ctx), () => this.dispatch(ctx, raw))
      : this.dispatch(ctx, raw);
  }

  private async dispatch(ctx: ApiContext, raw: unknown): Promise<CallOutcome> {
    const req = parseRequest(raw);
    if (!req.ok) return { ok: false, error: { code: 'BAD_REQUEST', message: req.message } };
    const method: MethodName = req.method;
    const permission = methods[method].permission;
    if (permission !== null) {
      if (!ctx.user)
        return { ok: false, error: { code: 'UNAUTHENTICATED', message: 'Please sign in first.' } };
      if (!can(ctx.user.role, permission)) {
        ctx.engine.store.audit.append({
          actor: actorOf(ctx),
          action: 'permission_denied',
          subject: method,
          details: { role: ctx.user.role, permission },
        });
        log('warn', 'permission_denied', { user: ctx.user.username, method });
        return {
          ok: false,
          error: {
            code: 'FORBIDDEN',
            message: `Your role (${ctx.user.role}) is not allowed to do this (${permission}).`,
          },
        };
      }
    }
    try {
      const handler = this.handlers[method] as (c: ApiContext, p: unknown) => unknown;
      return { ok: true, result: await handler(ctx, req.params) };
    } catch (caught) {
      // A full disk is the person's to fix, not a bug: it gets its own sentence.
      const e = isDiskFull(caught, ctx.engine.dataDir) ? diskFullError(caught) : caught;
      if (isVigilError(e))
        return {
          ok: false,
          error: { code: ERROR_CODES[e.code] ?? 'INVALID_INPUT', message: e.message, detail: e.code },
        };
      log('error', 'api_internal_error', { method, error: e instanceof Error ? e.message : String(e) });
      return {
        ok: false,
        error: { code: 'INTERNAL', message: 'The engine hit an unexpected error; it has been logged.' },
      };
    }
  }
}
