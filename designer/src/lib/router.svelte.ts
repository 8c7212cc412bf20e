// A tiny hash router: `#/events`, `#/events/EXPO2026`, `#/events/EXPO2026/records/person[/new|/:id]`,
// `#/events/EXPO2026/imports[/:batchId]`, `#/events/EXPO2026/review[/:batchId]`, `#/login`.

export type Route =
  | { name: 'login' }
  | { name: 'events' }
  | { name: 'event'; code: string }
  | { name: 'records'; code: string; kind: string }
  /** The record form; `id` is null for a new record. */
  | { name: 'record'; code: string; kind: string; id: string | null }
  /** Event setup (admin): `tab` is one of SETUP_TABS. */
  | { name: 'setup'; code: string; tab: string }
  /** 信息采集: the event's import batches and the upload. */
  | { name: 'imports'; code: string }
  /** One import batch: its staged rows, commit and report. */
  | { name: 'importBatch'; code: string; id: number }
  /** 映射方案: the event's Excel mapping profiles and their editor. */
  | { name: 'mappings'; code: string }
  /** 数据审核: the event's review batches. */
  | { name: 'reviews'; code: string }
  /** One review batch: its records, the unit's declaration context, the decisions. */
  | { name: 'reviewBatch'; code: string; id: number }
  /** 证件制作: printable records per card type, print jobs. */
  | { name: 'production'; code: string }
  /** 证件管理: the event's cards. */
  | { name: 'cards'; code: string }
  /** One card: its versions, history and actions. */
  | { name: 'card'; code: string; id: number }
  /** 扫码核验; `token` filled in when the page was opened from a scanned QR URL (`/v/:token`). */
  | { name: 'verify'; token: string | null }
  /** 证件版式: the event's card layouts. */
  | { name: 'layouts'; code: string }
  /** The card designer for one layout. */
  | { name: 'layout'; code: string; layout: string }
  /** 综合查询: one box for ID number, card number, plate, name or unit. */
  | { name: 'search'; code: string }
  /** 统计报表: counts per card type, unit, zone and day; the .xlsx export. */
  | { name: 'reports'; code: string }
  /** 开通向导: the new event's first-run checklist and the collection template sent to units. */
  | { name: 'onboarding'; code: string }
  /** 帮助: the user manual; `page` a file of docs/manual, `anchor` a heading in it. */
  | { name: 'help'; page: string | null; anchor: string | null }
  | { name: 'newEvent' }
  /** System administration (admin): 系统备份, 巡检报告, 运行日志. */
  | { name: 'adminBackups' }
  | { name: 'adminInspections' }
  | { name: 'adminLogs' }
  /** 用户管理 and 审计日志 (admin). */
  | { name: 'adminUsers' }
  | { name: 'adminAudit' }
  | { name: 'notFound'; path: string };

/** Tabs of the event setup page, in order. */
export const SETUP_TABS = [
  { id: 'basics', label: '基本信息' },
  { id: 'form-person', label: '人员表单' },
  { id: 'form-vehicle', label: '车辆表单' },
  { id: 'card-types', label: '证件类型' },
  { id: 'units', label: '申报单位与配额' },
  { id: 'publish', label: '发布与版本' },
] as const;

export const DEFAULT_PATH = '/events';

function currentPath(): string {
  const raw = window.location.hash.replace(/^#/, '');
  return raw.startsWith('/') ? raw : `/${raw}`;
}

function safeDecode(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

export function parse(path: string): Route {
  const clean = path.split('?')[0] ?? '';
  const parts = clean.split('/').filter((p) => p !== '');
  if (parts.length === 1 && parts[0] === 'login') return { name: 'login' };
  if (parts[0] === 'verify' && parts.length <= 2) {
    const token = parts.length === 2 ? safeDecode(parts[1] ?? '') : null;
    if (parts.length === 1 || token) return { name: 'verify', token };
  }
  if (parts[0] === 'help' && parts.length <= 3) {
    const page = parts[1] ? safeDecode(parts[1]) : null;
    const anchor = parts[2] ? safeDecode(parts[2]) : null;
    if ((parts.length < 2 || page) && (parts.length < 3 || anchor)) return { name: 'help', page, anchor };
  }
  if (parts[0] === 'admin' && parts.length === 2) {
    if (parts[1] === 'backups') return { name: 'adminBackups' };
    if (parts[1] === 'inspections') return { name: 'adminInspections' };
    if (parts[1] === 'logs') return { name: 'adminLogs' };
    if (parts[1] === 'users') return { name: 'adminUsers' };
    if (parts[1] === 'audit') return { name: 'adminAudit' };
  }
  if (parts[0] === 'events') {
    if (parts.length === 1) return { name: 'events' };
    if (parts.length === 2 && parts[1] === 'new') return { name: 'newEvent' };
    if (parts[2] === 'setup' && (parts.length === 3 || parts.length === 4)) {
      const code = safeDecode(parts[1] ?? '');
      const tab = parts[3] ?? 'basics';
      if (code && SETUP_TABS.some((t) => t.id === tab)) return { name: 'setup', code, tab };
    }
    if (parts.length === 2) {
      const code = safeDecode(parts[1] ?? '');
      if (code) return { name: 'event', code };
    }
    if (parts[2] === 'mappings' && parts.length === 3) {
      const code = safeDecode(parts[1] ?? '');
      if (code) return { name: 'mappings', code };
    }
    if (parts[2] === 'imports' && (parts.length === 3 || parts.length === 4)) {
      const code = safeDecode(parts[1] ?? '');
      if (code && parts.length === 3) return { name: 'imports', code };
      const id = Number(parts[3]);
      if (code && /^\d+$/.test(parts[3] ?? '') && Number.isSafeInteger(id) && id > 0)
        return { name: 'importBatch', code, id };
    }
    if (parts[2] === 'review' && (parts.length === 3 || parts.length === 4)) {
      const code = safeDecode(parts[1] ?? '');
      if (code && parts.length === 3) return { name: 'reviews', code };
      const id = Number(parts[3]);
      if (code && /^\d+$/.test(parts[3] ?? '') && Number.isSafeInteger(id) && id > 0)
        return { name: 'reviewBatch', code, id };
    }
    if (parts[2] === 'production' && parts.length === 3) {
      const code = safeDecode(parts[1] ?? '');
      if (code) return { name: 'production', code };
    }
    if (parts[2] === 'cards' && (parts.length === 3 || parts.length === 4)) {
      const code = safeDecode(parts[1] ?? '');
      if (code && parts.length === 3) return { name: 'cards', code };
      const id = Number(parts[3]);
      if (code && /^\d+$/.test(parts[3] ?? '') && Number.isSafeInteger(id) && id > 0)
        return { name: 'card', code, id };
    }
    if (parts[2] === 'layouts' && (parts.length === 3 || parts.length === 4)) {
      const code = safeDecode(parts[1] ?? '');
      const layout = parts.length === 4 ? safeDecode(parts[3] ?? '') : null;
      if (code && parts.length === 3) return { name: 'layouts', code };
      if (code && layout) return { name: 'layout', code, layout };
    }
    if (parts[2] === 'onboarding' && parts.length === 3) {
      const code = safeDecode(parts[1] ?? '');
      if (code) return { name: 'onboarding', code };
    }
    if ((parts[2] === 'search' || parts[2] === 'reports') && parts.length === 3) {
      const code = safeDecode(parts[1] ?? '');
      if (code) return { name: parts[2], code };
    }
    if (parts[2] === 'records' && (parts.length === 4 || parts.length === 5)) {
      const code = safeDecode(parts[1] ?? '');
      const kind = safeDecode(parts[3] ?? '');
      const id = parts.length === 5 ? safeDecode(parts[4] ?? '') : null;
      if (code && kind) {
        if (parts.length === 4) return { name: 'records', code, kind };
        if (id) return { name: 'record', code, kind, id: id === 'new' ? null : id };
      }
    }
  }
  return { name: 'notFound', path: clean };
}

export function href(path: string): string {
  return `#${path}`;
}

export function eventPath(code: string): string {
  return `/events/${encodeURIComponent(code)}`;
}

export function recordsPath(code: string, kind: string): string {
  return `${eventPath(code)}/records/${encodeURIComponent(kind)}`;
}

export function setupPath(code: string, tab = 'basics'): string {
  return `${eventPath(code)}/setup/${tab}`;
}

/** The form of record `id`, or of a new record when `id` is null. */
export function recordPath(code: string, kind: string, id: string | number | null): string {
  return `${recordsPath(code, kind)}/${id === null ? 'new' : encodeURIComponent(id)}`;
}

export function importsPath(code: string): string {
  return `${eventPath(code)}/imports`;
}

export function importBatchPath(code: string, id: number): string {
  return `${importsPath(code)}/${id}`;
}

export function mappingsPath(code: string): string {
  return `${eventPath(code)}/mappings`;
}

export function reviewsPath(code: string): string {
  return `${eventPath(code)}/review`;
}

export function reviewBatchPath(code: string, id: number): string {
  return `${reviewsPath(code)}/${id}`;
}

export function layoutsPath(code: string): string {
  return `${eventPath(code)}/layouts`;
}

export function layoutPath(code: string, layout: string): string {
  return `${layoutsPath(code)}/${encodeURIComponent(layout)}`;
}

export function cardsPath(code: string): string {
  return `${eventPath(code)}/cards`;
}

export function cardPath(code: string, id: number): string {
  return `${cardsPath(code)}/${id}`;
}

/** 扫码核验, with a token filled in when given. */
export function verifyPath(token?: string): string {
  return token ? `/verify/${encodeURIComponent(token)}` : '/verify';
}

/**
 * A card's QR code holds `<origin>/v/<token>`; the server answers that path with the designer, which
 * moves it to the hash route of 扫码核验 with the token filled in.
 */
function adoptScannedUrl(): void {
  const match = /^\/v\/([^/]+)\/?$/.exec(window.location.pathname);
  const token = match ? safeDecode(match[1] ?? '') : null;
  if (!token) return;
  window.history.replaceState(window.history.state, '', `/#${verifyPath(token)}`);
}

export function searchPath(code: string): string {
  return `${eventPath(code)}/search`;
}

export function reportsPath(code: string): string {
  return `${eventPath(code)}/reports`;
}

export function onboardingPath(code: string): string {
  return `${eventPath(code)}/onboarding`;
}

/** A page of the manual, at a heading when `anchor` is given. */
export function helpPath(page?: string, anchor?: string): string {
  if (!page) return '/help';
  return `/help/${encodeURIComponent(page)}${anchor ? `/${encodeURIComponent(anchor)}` : ''}`;
}

class Router {
  path = $state(currentPath());
  route: Route = $derived(parse(this.path));

  constructor() {
    window.addEventListener('hashchange', () => {
      this.path = currentPath();
    });
  }

  /** Go to `path` (adds a history entry). */
  go(path: string): void {
    if (path === this.path) return;
    window.location.hash = path;
  }

  /** Replace the current entry (no extra history step). */
  replace(path: string): void {
    const base = window.location.href.split('#')[0] ?? '';
    window.history.replaceState(window.history.state, '', `${base}#${path}`);
    this.path = currentPath();
  }
}

adoptScannedUrl();
export const router = new Router();
