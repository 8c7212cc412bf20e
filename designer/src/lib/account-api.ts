// Calls of the account screens (修改密码, 用户管理, 审计日志): server/routes/auth.ts and admin.ts.
// The shapes are core's own (views files: types only).
import type { AccountView } from '@core/auth/views.ts';
import type { AuditFilter, AuditPage } from '@core/audit-view.ts';
import { requestJson } from './api';
import type { AuthResponse } from './types';

export type { AccountView } from '@core/auth/views.ts';
export { PASSWORD_RULES } from '@core/auth/views.ts';
export type { AuditEntryView, AuditFilter, AuditPage } from '@core/audit-view.ts';
export { AUDIT_ACTION_LABELS, AUDIT_GROUPS, auditActionLabel } from '@core/audit-view.ts';

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === '') continue;
    q.set(key, String(value));
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

export const accountApi = {
  /** Answers with a fresh session (cookie and CSRF token): every other session of the user has ended. */
  changePassword: (oldPassword: string, newPassword: string) =>
    requestJson<AuthResponse>('POST', '/auth/password', { oldPassword, newPassword }),

  users: () =>
    requestJson<{ users: AccountView[]; roles: { code: string; label: string }[] }>('GET', '/users'),
  addUser: (body: {
    username: string;
    password: string;
    role: string;
    unitCode?: string;
    displayName?: string;
  }) => requestJson<{ user: unknown }>('POST', '/users', body),
  units: () => requestJson<{ units: { code: string; name: string }[] }>('GET', '/units'),
  unlock: (id: number) => requestJson<{ user: AccountView }>('POST', `/users/${id}/unlock`, {}),
  resetPassword: (id: number, newPassword: string) =>
    requestJson<{ user: AccountView }>('POST', `/users/${id}/password`, { newPassword }),
  setDisabled: (id: number, disabled: boolean) =>
    requestJson<{ user: AccountView }>('PATCH', `/users/${id}`, { disabled }),

  audit: (filter: AuditFilter, page: { offset: number; limit: number }) =>
    requestJson<AuditPage>(
      'GET',
      `/admin/audit${query({ ...filter, offset: page.offset, limit: page.limit })}`,
    ),
};
