// Calls of the help page (帮助): server/routes/help.ts. The shapes are core's own (types only).
import type { HelpPageView, HelpSearchHit, HelpToc } from '@core/manual/views.ts';
import { requestJson } from '../../lib/api';

export type * from '@core/manual/views.ts';

export const helpApi = {
  toc: () => requestJson<HelpToc>('GET', '/help'),
  page: (slug: string) => requestJson<HelpPageView>('GET', `/help/pages/${encodeURIComponent(slug)}`),
  search: (q: string) =>
    requestJson<{ q: string; hits: HelpSearchHit[] }>(
      'GET',
      `/help/search?${new URLSearchParams({ q }).toString()}`,
    ),
  /** The whole manual as a PDF (a plain link: the browser saves the file). */
  pdfUrl: '/api/help/manual.pdf',
};
