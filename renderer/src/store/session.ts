import { create } from 'zustand';
import type { SessionUser } from '../../../main/contract/contract.js';
import type { Permission } from '../../../main/contract/roles.js';
import { call, forgetSession, onSessionEnded } from '../api.js';

export interface SessionState {
  user: SessionUser | null;
  /** Whether the signed-in user's role grants `p`; the engine enforces it again on every call. */
  can(p: Permission): boolean;
  setUser(user: SessionUser | null): void;
  /** Ends the session at the engine (best effort) and returns to the login screen. */
  logout(): Promise<void>;
}

export const useSession = create<SessionState>()((set, get) => ({
  user: null,
  can: (p) => get().user?.permissions.includes(p) ?? false,
  setUser: (user) => set({ user }),
  logout: async () => {
    try {
      await call('auth.logout', {});
    } catch {
      // The session may already be gone at the engine; forgetting it here is what matters.
    }
    forgetSession();
    set({ user: null });
  },
}));

onSessionEnded(() => useSession.getState().setUser(null));
