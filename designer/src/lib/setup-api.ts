// Calls of the event setup screens (server/routes/setup.ts and the unit routes). Response types
// come from core, where the server builds them.
import type { DraftView, EventTemplate, VersionView } from '@core/events/setup-types.ts';
import type { UnitContacts, UnitView } from '@core/unit-view.ts';
import { ApiError, getCsrfToken, requestJson } from './api';

export { ApiError };

export interface NewEventBody {
  template: string;
  code: string;
  name: string;
  kind: string;
  organizer: string;
  startDate: string;
  endDate: string;
}

const ev = (code: string) => `/events/${encodeURIComponent(code)}`;

export const setupApi = {
  templates: () => requestJson<{ templates: EventTemplate[] }>('GET', '/event-templates'),
  createEvent: (body: NewEventBody) =>
    requestJson<{ event: { code: string; name: string } }>('POST', '/events', body),
  draft: (code: string) => requestJson<{ draft: DraftView }>('GET', `${ev(code)}/draft`),
  saveDraft: (code: string, revision: number, files: Record<string, unknown>) =>
    requestJson<{ draft: DraftView }>('PUT', `${ev(code)}/draft`, { revision, files }),
  discardDraft: (code: string) => requestJson<{ draft: DraftView }>('DELETE', `${ev(code)}/draft`),
  publish: (code: string, revision: number) =>
    requestJson<{ version: VersionView }>('POST', `${ev(code)}/publish`, { revision }),
  versions: (code: string) => requestJson<{ versions: VersionView[] }>('GET', `${ev(code)}/versions`),
  /** The download URL of the published bundle (a plain link: the browser saves the file). */
  bundleUrl: (code: string) => `/api${ev(code)}/bundle`,
  importBundle: async (file: File, into?: string) => {
    const form = new FormData();
    form.append('bundle', file);
    const query = into ? `?into=${encodeURIComponent(into)}` : '';
    const response = await fetch(`/api/event-bundles${query}`, {
      method: 'POST',
      body: form,
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': getCsrfToken() ?? '', Accept: 'application/json' },
    });
    const data = (await response.json().catch(() => null)) as
      | { error?: { code: string; message: string; details?: unknown } }
      | { event: { code: string; name: string }; version: VersionView; created: boolean }
      | null;
    if (!response.ok || !data || 'error' in data) {
      const err = data && 'error' in data ? data.error : undefined;
      throw new ApiError(
        response.status,
        err?.code ?? `http_${response.status}`,
        err?.message ?? '导入失败',
        err?.details,
      );
    }
    return data as { event: { code: string; name: string }; version: VersionView; created: boolean };
  },
  units: () => requestJson<{ units: UnitView[] }>('GET', '/units'),
  addUnit: (body: UnitContacts & { code: string; name: string }) =>
    requestJson<{ unit: UnitView }>('POST', '/units', body),
  updateUnit: (code: string, body: UnitContacts) =>
    requestJson<{ unit: UnitView }>('PATCH', `/units/${encodeURIComponent(code)}`, body),
};
