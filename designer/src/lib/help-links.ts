// Screen → section of the manual (docs/manual/<page>.md, heading `{#anchor}`), in one place: the
// 帮助 link in the top bar opens the section for the screen in front of the user, for their role.
// Every route has an entry (the Record types make a new route fail the type check until it has
// one), and test/unit/help-links.test.ts checks that every anchor named here exists.
import type { Route, SETUP_TABS } from './router.svelte';
import type { Role } from './types';

export interface HelpTarget {
  page: string;
  anchor?: string;
}

/** A target for every role, or one per role where the roles do different things on the screen. */
type HelpRule = HelpTarget | { byRole: Partial<Record<Role, HelpTarget>>; other: HelpTarget };

const unitOr = (unit: HelpTarget, other: HelpTarget): HelpRule => ({ byRole: { unit }, other });

type SetupTab = (typeof SETUP_TABS)[number]['id'];

const SETUP_HELP: Record<SetupTab, HelpTarget> = {
  basics: { page: 'admin', anchor: 'setup-basics' },
  'form-person': { page: 'admin', anchor: 'setup-forms' },
  'form-vehicle': { page: 'admin', anchor: 'setup-forms' },
  'card-types': { page: 'admin', anchor: 'setup-card-types' },
  units: { page: 'admin', anchor: 'setup-units' },
  publish: { page: 'admin', anchor: 'setup-publish' },
};

const ROUTE_HELP: Record<Exclude<Route['name'], 'setup'>, HelpRule> = {
  login: { page: 'index', anchor: 'login' },
  events: {
    byRole: { admin: { page: 'admin', anchor: 'new-event' } },
    other: { page: 'index', anchor: 'common' },
  },
  event: {
    byRole: { admin: { page: 'admin', anchor: 'overview' }, unit: { page: 'unit', anchor: 'template' } },
    other: { page: 'index', anchor: 'roles' },
  },
  records: unitOr({ page: 'unit', anchor: 'submit-review' }, { page: 'clerk', anchor: 'record-form' }),
  record: unitOr({ page: 'unit', anchor: 'record-form' }, { page: 'clerk', anchor: 'record-form' }),
  imports: unitOr({ page: 'unit', anchor: 'upload' }, { page: 'clerk', anchor: 'import-for-unit' }),
  importBatch: unitOr({ page: 'unit', anchor: 'fix' }, { page: 'clerk', anchor: 'fix-rows' }),
  mappings: { page: 'clerk', anchor: 'mappings' },
  reviews: {
    byRole: { unit: { page: 'unit', anchor: 'status' }, clerk: { page: 'unit', anchor: 'status' } },
    other: { page: 'reviewer', anchor: 'batches' },
  },
  reviewBatch: {
    byRole: { unit: { page: 'unit', anchor: 'status' }, clerk: { page: 'unit', anchor: 'status' } },
    other: { page: 'reviewer', anchor: 'decide' },
  },
  production: { page: 'operator', anchor: 'print' },
  cards: unitOr({ page: 'unit', anchor: 'cards' }, { page: 'operator', anchor: 'issue' }),
  card: unitOr({ page: 'unit', anchor: 'cards' }, { page: 'operator', anchor: 'card-actions' }),
  verify: { page: 'operator', anchor: 'verify' },
  layouts: { page: 'designer', anchor: 'layouts' },
  layout: { page: 'designer', anchor: 'editor' },
  search: { page: 'operator', anchor: 'search' },
  reports: { page: 'operator', anchor: 'reports' },
  onboarding: { page: 'admin', anchor: 'checklist' },
  newEvent: { page: 'admin', anchor: 'new-event' },
  help: { page: 'index', anchor: 'help' },
  adminBackups: { page: 'operations', anchor: 'backup' },
  adminInspections: { page: 'operations', anchor: 'inspection' },
  adminLogs: { page: 'operations', anchor: 'monitoring' },
  adminUsers: { page: 'admin', anchor: 'users' },
  adminAudit: { page: 'admin', anchor: 'audit' },
  notFound: { page: 'index' },
};

function resolve(rule: HelpRule, role: Role): HelpTarget {
  return 'byRole' in rule ? (rule.byRole[role] ?? rule.other) : rule;
}

/** The manual's section for this screen and role. */
export function helpFor(route: Route, role: Role): HelpTarget {
  if (route.name === 'setup') return SETUP_HELP[route.tab as SetupTab] ?? SETUP_HELP.basics;
  return resolve(ROUTE_HELP[route.name], role);
}

/** Every target named here, for the test that checks each one exists in the manual. */
export function allHelpTargets(roles: readonly Role[]): Array<{ screen: string; target: HelpTarget }> {
  const out: Array<{ screen: string; target: HelpTarget }> = [];
  for (const [tab, target] of Object.entries(SETUP_HELP)) out.push({ screen: `setup/${tab}`, target });
  for (const [name, rule] of Object.entries(ROUTE_HELP)) {
    for (const role of roles) out.push({ screen: `${name} (${role})`, target: resolve(rule, role) });
  }
  return out;
}
