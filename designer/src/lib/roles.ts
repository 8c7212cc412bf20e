import { ROLE_LABELS } from '@core/roles.ts';

export { ROLE_LABELS };

export function roleLabel(role: string): string {
  return (ROLE_LABELS as Record<string, string>)[role] ?? role;
}
