import type { Role } from './types';

export const ROLE_LABELS: Record<Role, string> = {
  admin: '管理员',
  unit: '申报单位',
  clerk: '采集员',
  reviewer: '审核员',
  designer: '设计员',
  operator: '制证员',
};

export function roleLabel(role: string): string {
  return (ROLE_LABELS as Record<string, string>)[role] ?? role;
}
