// A tiny hash router: `#/events`, `#/events/EXPO2026`, `#/login`.

export type Route =
  | { name: 'login' }
  | { name: 'events' }
  | { name: 'event'; code: string }
  | { name: 'notFound'; path: string };

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
  if (parts[0] === 'events') {
    if (parts.length === 1) return { name: 'events' };
    if (parts.length === 2) {
      const code = safeDecode(parts[1] ?? '');
      if (code) return { name: 'event', code };
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

export const router = new Router();
