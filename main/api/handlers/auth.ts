import {
  authenticate,
  authenticateAdminPin,
  addUser,
  listUsers,
  needsSetup,
  removeUser,
  setPassword,
} from '../../accounts/users.js';
import { assertPasswordPolicy } from '../../accounts/passwords.js';
import { createSession, purgeExpiredSessions, revokeSession, sessionUser } from '../../accounts/sessions.js';
import type { LoginResult } from '../../contract/contract.js';
import type { Role } from '../../contract/roles.js';
import { VigilError } from '../../errors.js';
import { log } from '../../log.js';
import { actorOf, type ApiContext, type Handlers } from '../context.js';
import { auditRefusal, clientDetails } from '../refusal-audit.js';

/**
 * Sign-in, sessions and accounts. Every attempt is audited (the username, never the password);
 * the session token leaves only in the LoginResult, and the transport binds it to its connection.
 */

/** The name as typed, bounded, for the audit log of a failed attempt. */
const typed = (username: string): string => username.trim().toLowerCase().slice(0, 64);

function startSession(ctx: ApiContext, username: string, role: Role): LoginResult {
  purgeExpiredSessions(ctx.engine.store);
  const s = createSession(ctx.engine.store, username);
  ctx.engine.store.audit.append({
    actor: `user:${username}`,
    action: 'login_succeeded',
    subject: username,
    details: { role, success: true, ...clientDetails(ctx) },
  });
  log('info', 'login_succeeded', { role });
  return { session: s.token, user: sessionUser(username, role), expires_at: s.expires_at };
}

function signedIn(ctx: ApiContext): NonNullable<ApiContext['user']> {
  if (!ctx.user) throw new VigilError('AUTH_FAILED', 'Please sign in first.');
  return ctx.user;
}

export const authHandlers: Pick<
  Handlers,
  | 'auth.status'
  | 'auth.setup'
  | 'auth.login'
  | 'auth.logout'
  | 'auth.changePassword'
  | 'users.list'
  | 'users.add'
  | 'users.setPassword'
  | 'users.remove'
  | 'kiosk.unlock'
> = {
  'auth.status': (ctx) => ({ needs_setup: needsSetup(ctx.engine.store), user: ctx.user }),

  'auth.setup': async (ctx, p) => {
    const store = ctx.engine.store;
    if (!needsSetup(store))
      throw new VigilError('CONFLICT', 'Vigil is already set up: sign in with an administrator account.');
    // From the network (ctx.client: vigil serve) setup needs the code; a server started without
    // one refuses it rather than letting the first caller in. Only the desktop shell needs none.
    if (ctx.setupCode ? !ctx.setupCode.matches(p.code) : ctx.client !== undefined) {
      auditRefusal(ctx, 'setup_refused', null, p.code ? 'wrong code' : 'no code');
      log('warn', 'setup_refused', { reason: p.code ? 'wrong code' : 'no code' });
      throw new VigilError(
        'FORBIDDEN',
        p.code
          ? 'That first-run code is not correct: use the code vigil serve printed when it started.'
          : 'The first-run code is needed: vigil serve printed it when it started.',
      );
    }
    const name = typed(p.username);
    const user = await addUser(
      store,
      { username: p.username, role: 'admin', password: p.password },
      {
        onlyIfNoAdmin: true,
        audit: {
          actor: `user:${name}`,
          action: 'user_added',
          details: { via: 'setup', success: true, ...clientDetails(ctx) },
        },
      },
    );
    return startSession(ctx, user.username, user.role);
  },

  'auth.login': async (ctx, p) => {
    const outcome = await authenticate(ctx.engine.store, p.username, p.password);
    if (!outcome.ok) {
      auditRefusal(ctx, 'login_failed', typed(p.username), outcome.reason);
      log('warn', 'login_failed', { reason: outcome.reason });
      throw new VigilError('AUTH_FAILED', outcome.message);
    }
    return startSession(ctx, outcome.username, outcome.role);
  },

  'auth.logout': (ctx) => {
    const revoked = ctx.session ? revokeSession(ctx.engine.store, ctx.session) : false;
    if (ctx.user || revoked)
      ctx.engine.store.audit.append({
        actor: actorOf(ctx),
        action: 'logout',
        subject: ctx.user?.username ?? null,
      });
    return { ok: true };
  },

  'auth.changePassword': async (ctx, p) => {
    const user = signedIn(ctx);
    assertPasswordPolicy(p.next);
    // The current password is checked like a sign-in, so guessing it here counts toward the lockout.
    const outcome = await authenticate(ctx.engine.store, user.username, p.current);
    if (!outcome.ok) {
      ctx.engine.store.audit.append({
        actor: actorOf(ctx),
        action: 'password_change_failed',
        subject: user.username,
        details: { reason: outcome.reason },
      });
      throw new VigilError(
        'INVALID_ARGUMENT',
        outcome.reason === 'locked' ? outcome.message : 'The current password is not correct.',
      );
    }
    await setPassword(ctx.engine.store, user.username, p.next, {
      keepSession: ctx.session,
      audit: { actor: actorOf(ctx), action: 'password_changed', details: { by: 'self' } },
    });
    return { ok: true };
  },

  'users.list': (ctx) => listUsers(ctx.engine.store),

  'users.add': (ctx, p) =>
    addUser(ctx.engine.store, p, { audit: { actor: actorOf(ctx), action: 'user_added' } }),

  'users.setPassword': async (ctx, p) => {
    const self = ctx.user?.username === p.username.trim().toLowerCase();
    await setPassword(ctx.engine.store, p.username, p.password, {
      // Resetting one's own password here keeps the session it was done from, like changePassword.
      keepSession: self ? ctx.session : null,
      audit: { actor: actorOf(ctx), action: 'password_changed', details: { by: self ? 'self' : 'admin' } },
    });
    return { ok: true };
  },

  'users.remove': (ctx, p) => {
    removeUser(ctx.engine.store, p.username, { audit: { actor: actorOf(ctx), action: 'user_removed' } });
    return { ok: true };
  },

  'kiosk.unlock': async (ctx, p) => {
    // Without a kiosk to leave, a PIN check would only be a password oracle.
    if (!ctx.kiosk && ctx.user?.role !== 'kiosk')
      throw new VigilError('FORBIDDEN', 'There is no kiosk to leave here.');
    const outcome = await authenticateAdminPin(ctx.engine.store, p.username, p.pin);
    if (!outcome.ok) {
      auditRefusal(ctx, 'kiosk_unlock_failed', typed(p.username), outcome.reason);
      log('warn', 'kiosk_unlock_failed', { reason: outcome.reason });
      throw new VigilError('AUTH_FAILED', outcome.message);
    }
    ctx.engine.store.audit.append({
      actor: actorOf(ctx),
      action: 'kiosk_unlocked',
      subject: outcome.username,
      details: clientDetails(ctx),
    });
    return { ok: true };
  },
};
