import { api, onUnauthorized, setCsrfToken } from './api';
import type { AuthResponse, User } from './types';

class Session {
  user: User | null = $state(null);
  /** True until the first `/api/auth/me` has answered. */
  checking = $state(true);
  /** Set when a signed-in session was rejected by the server (expired or revoked). */
  expired = $state(false);

  set(auth: AuthResponse): void {
    setCsrfToken(auth.csrfToken);
    this.user = auth.user;
    this.expired = false;
  }

  clear(): void {
    setCsrfToken(null);
    this.user = null;
  }

  async logout(): Promise<void> {
    try {
      await api.logout();
    } finally {
      this.clear();
    }
  }
}

export const session = new Session();

onUnauthorized(() => {
  if (session.user) session.expired = true;
  session.clear();
});

/** Event names seen so far (list or overview), so the nav can show a name instead of a code. */
export const eventTitles: Record<string, string> = $state({});
