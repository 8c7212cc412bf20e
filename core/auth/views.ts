// Shapes of the account screens, shared by the server and the designer (types only, browser-safe).
import type { Role } from '../roles.ts';

/** A user as the admin's user list shows it: who, role and unit, and the sign-in state. */
export interface AccountView {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  unit: { id: number; code: string; name: string } | null;
  disabled: boolean;
  failedLogins: number;
  /** ISO time while the account is locked, else null. */
  lockedUntil: string | null;
  lastLoginAt: string | null;
  /** Null while the user still has the password an admin (or the first start) gave it. */
  passwordChangedAt: string | null;
}

/** The password rules, for the form to say them before the server refuses. */
export const PASSWORD_RULES = { minLength: 8 } as const;
