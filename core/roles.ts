/** The six roles and their Chinese names; shared by the server and the designer (browser-safe). */
export const ROLES = ['admin', 'unit', 'clerk', 'reviewer', 'designer', 'operator'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  admin: '管理员',
  unit: '申报单位',
  clerk: '采集员',
  reviewer: '审核员',
  designer: '设计员',
  operator: '制证员',
};
