// Role → navigation, in one place. Add an item here only when its page exists (no dead links).
import { eventPath, type Route } from './router.svelte';
import { ROLES } from '@core/roles.ts';
import type { Role } from './types';

export interface NavItem {
  id: string;
  label: string;
  path: string;
  active: boolean;
}

export interface NavSection {
  id: string;
  title: string;
  items: NavItem[];
}

const ALL_ROLES: readonly Role[] = ROLES;

interface GlobalItemDef {
  id: string;
  label: string;
  path: string;
  roles: readonly Role[];
  activeOn: readonly Route['name'][];
}

interface EventItemDef {
  id: string;
  label: string;
  /** Path below `/events/:code`; '' for the overview. */
  sub: string;
  roles: readonly Role[];
  activeOn: readonly Route['name'][];
  /** Further condition for `activeOn`, e.g. the record kind. */
  activeIf?: (route: Route) => boolean;
}

const GLOBAL_ITEMS: readonly GlobalItemDef[] = [
  { id: 'events', label: '活动列表', path: '/events', roles: ALL_ROLES, activeOn: ['events'] },
  { id: 'new-event', label: '新建活动', path: '/events/new', roles: ['admin'], activeOn: ['newEvent'] },
  {
    id: 'verify',
    label: '扫码核验',
    path: '/verify',
    // Staff at the gate or the desk; a unit has no cards of others to check.
    roles: ALL_ROLES.filter((r) => r !== 'unit'),
    activeOn: ['verify'],
  },
  { id: 'help', label: '帮助', path: '/help', roles: ALL_ROLES, activeOn: ['help'] },
];

/** 系统管理: the install as a whole, admins only. */
const ADMIN_ITEMS: readonly GlobalItemDef[] = [
  {
    id: 'admin-backups',
    label: '系统备份',
    path: '/admin/backups',
    roles: ['admin'],
    activeOn: ['adminBackups'],
  },
  {
    id: 'admin-inspections',
    label: '巡检报告',
    path: '/admin/inspections',
    roles: ['admin'],
    activeOn: ['adminInspections'],
  },
  { id: 'admin-logs', label: '运行日志', path: '/admin/logs', roles: ['admin'], activeOn: ['adminLogs'] },
  { id: 'admin-users', label: '用户管理', path: '/admin/users', roles: ['admin'], activeOn: ['adminUsers'] },
  { id: 'admin-audit', label: '审计日志', path: '/admin/audit', roles: ['admin'], activeOn: ['adminAudit'] },
];

const EVENT_ITEMS: readonly EventItemDef[] = [
  { id: 'event-overview', label: '活动概况', sub: '', roles: ALL_ROLES, activeOn: ['event'] },
  recordsItem('person', '人员信息'),
  recordsItem('vehicle', '车辆信息'),
  {
    id: 'imports',
    label: '信息采集',
    sub: '/imports',
    roles: ['admin', 'clerk', 'unit'],
    activeOn: ['imports', 'importBatch'],
  },
  {
    id: 'review',
    label: '数据审核',
    sub: '/review',
    // Reviewers decide; clerks and units follow their batches read-only.
    roles: ['admin', 'reviewer', 'clerk', 'unit'],
    activeOn: ['reviews', 'reviewBatch'],
  },
  {
    id: 'mappings',
    label: '映射方案',
    sub: '/mappings',
    roles: ['admin', 'clerk'],
    activeOn: ['mappings'],
  },
  {
    id: 'production',
    label: '证件制作',
    sub: '/production',
    roles: ['admin', 'operator'],
    activeOn: ['production'],
  },
  {
    id: 'cards',
    label: '证件管理',
    sub: '/cards',
    // Units follow their own cards read-only.
    roles: ['admin', 'operator', 'unit'],
    activeOn: ['cards', 'card'],
  },
  {
    id: 'layouts',
    label: '证件版式',
    sub: '/layouts',
    roles: ['admin', 'designer'],
    activeOn: ['layouts', 'layout'],
  },
  {
    id: 'search',
    label: '综合查询',
    sub: '/search',
    // Units search their own records only (the server confines them).
    roles: ['admin', 'operator', 'reviewer', 'clerk', 'unit'],
    activeOn: ['search'],
  },
  {
    id: 'reports',
    label: '统计报表',
    sub: '/reports',
    roles: ['admin', 'operator', 'reviewer'],
    activeOn: ['reports'],
  },
  { id: 'event-setup', label: '活动设置', sub: '/setup', roles: ['admin'], activeOn: ['setup'] },
  {
    id: 'onboarding',
    label: '开通向导',
    sub: '/onboarding',
    roles: ['admin', 'clerk'],
    activeOn: ['onboarding'],
  },
];

function recordsItem(kind: string, label: string): EventItemDef {
  return {
    id: `records-${kind}`,
    label,
    sub: `/records/${kind}`,
    roles: ['admin', 'clerk', 'unit'],
    activeOn: ['records', 'record'],
    activeIf: (route) => 'kind' in route && route.kind === kind,
  };
}

/** The event a route belongs to, if any. */
export function routeEventCode(route: Route): string | null {
  return route.name === 'event' ||
    route.name === 'records' ||
    route.name === 'record' ||
    route.name === 'setup' ||
    route.name === 'imports' ||
    route.name === 'importBatch' ||
    route.name === 'mappings' ||
    route.name === 'reviews' ||
    route.name === 'reviewBatch' ||
    route.name === 'search' ||
    route.name === 'reports' ||
    route.name === 'production' ||
    route.name === 'cards' ||
    route.name === 'card' ||
    route.name === 'layouts' ||
    route.name === 'layout' ||
    route.name === 'onboarding'
    ? route.code
    : null;
}

export function navFor(role: Role, route: Route, eventTitle?: string): NavSection[] {
  const sections: NavSection[] = [
    {
      id: 'main',
      title: '工作台',
      items: GLOBAL_ITEMS.filter((i) => i.roles.includes(role)).map((i) => ({
        id: i.id,
        label: i.label,
        path: i.path,
        active: i.activeOn.includes(route.name),
      })),
    },
  ];

  const code = routeEventCode(route);
  if (code) {
    const items = EVENT_ITEMS.filter((i) => i.roles.includes(role)).map((i) => ({
      id: i.id,
      label: i.label,
      path: eventPath(code) + i.sub,
      active: i.activeOn.includes(route.name) && (i.activeIf?.(route) ?? true),
    }));
    if (items.length > 0) sections.push({ id: 'event', title: eventTitle ?? code, items });
  }
  sections.push({
    id: 'admin',
    title: '系统管理',
    items: ADMIN_ITEMS.filter((i) => i.roles.includes(role)).map((i) => ({
      id: i.id,
      label: i.label,
      path: i.path,
      active: i.activeOn.includes(route.name),
    })),
  });
  return sections.filter((s) => s.items.length > 0);
}
