import { resolveSession, sessionUser } from '../accounts/sessions.js';
import type { CallOutcome } from '../api/dispatch.js';
import type { LoginResult, MethodName, SessionUser } from '../contract/contract.js';
import { can, type Permission } from '../contract/roles.js';
import type { Store } from '../store/store.js';

/** Who the enrollment kiosk acts as in the audit log when nobody has signed in at it. */
export const KIOSK_STATION = 'kiosk-station';

/** How long a resolved user is trusted for event delivery before the store is asked again. */
const RECHECK_MS = 5000;

interface WindowSession {
  token: string | null;
  kiosk: boolean;
  user: SessionUser | null;
  checkedAt: number;
}

/**
 * Login sessions of the console windows. Electron has no cookies or headers to carry a session:
 * the token of a successful auth.login / auth.setup is bound here to the window (its webContents
 * id) that signed in, and every later call from that window is made as its user. A window in kiosk
 * mode with nobody signed in acts as the kiosk role (members.enroll only), so the locked
 * enrollment screen works without a staff login; kiosk.unlock ends kiosk mode for the window.
 */
export class WindowSessions {
  private readonly windows = new Map<number, WindowSession>();

  constructor(
    private readonly store: () => Store,
    private readonly now: () => number = Date.now,
  ) {}

  open(windowId: number, kiosk: boolean): void {
    this.windows.set(windowId, { token: null, kiosk, user: null, checkedAt: 0 });
  }

  close(windowId: number): void {
    this.windows.delete(windowId);
  }

  has(windowId: number): boolean {
    return this.windows.has(windowId);
  }

  kiosk(windowId: number): boolean {
    return this.windows.get(windowId)?.kiosk ?? false;
  }

  /** The caller of one request: its user (resolved now: a revoked or expired token counts at once). */
  caller(windowId: number): { user: SessionUser | null; session: string | null; kiosk: boolean } {
    const w = this.windows.get(windowId);
    if (!w) return { user: null, session: null, kiosk: false };
    let user = w.token ? resolveSession(this.store(), w.token, this.now()) : null;
    if (w.token && !user) w.token = null;
    if (!user && w.kiosk) user = sessionUser(KIOSK_STATION, 'kiosk');
    w.user = user;
    w.checkedAt = this.now();
    return { user, session: w.token, kiosk: w.kiosk };
  }

  /** Binds or drops the window's session after a call, and reports when kiosk mode ended. */
  afterCall(windowId: number, method: MethodName, outcome: CallOutcome): { kioskUnlocked: boolean } {
    const w = this.windows.get(windowId);
    if (!w || !outcome.ok) return { kioskUnlocked: false };
    if (method === 'auth.login' || method === 'auth.setup') {
      const r = outcome.result as LoginResult;
      w.token = r.session;
      w.user = r.user;
      w.checkedAt = this.now();
    } else if (method === 'auth.logout') {
      w.token = null;
      w.user = w.kiosk ? sessionUser(KIOSK_STATION, 'kiosk') : null;
    } else if (method === 'kiosk.unlock' && w.kiosk) {
      w.kiosk = false;
      // The kiosk's own identity ends with kiosk mode; a staff member signs in next.
      if (!w.token) w.user = null;
      return { kioskUnlocked: true };
    }
    return { kioskUnlocked: false };
  }

  /** Windows whose user may see something needing `permission` (null: any window). */
  windowsAllowed(permission: Permission | null): number[] {
    const out: number[] = [];
    for (const [id, w] of this.windows) {
      if (permission === null) {
        out.push(id);
        continue;
      }
      if (w.token && this.now() - w.checkedAt > RECHECK_MS) {
        w.user = resolveSession(this.store(), w.token, this.now());
        if (!w.user) w.token = null;
        w.checkedAt = this.now();
      }
      if (w.user && can(w.user.role, permission)) out.push(id);
    }
    return out;
  }

  /** Whether anyone signed in at some window may read alerts (desktop notifications say more then). */
  anyoneMay(permission: Permission): boolean {
    return this.windowsAllowed(permission).length > 0;
  }
}
