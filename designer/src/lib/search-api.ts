// Calls of the search (综合查询) and statistics (统计报表) screens: server/routes/search.ts and
// server/routes/reports.ts. The shapes are core's own (types only).
import type { SearchResponse } from '@core/search/views.ts';
import type { StatisticsFilter, StatisticsReport } from '@core/reports/views.ts';
import { ApiError, getCsrfToken, requestJson } from './api';

export type * from '@core/search/views.ts';
export type * from '@core/reports/views.ts';
export { SEARCH_KIND_LABELS } from '@core/search/views.ts';
export { RECORD_STATUS_LABELS, REPORT_CARD_STATUSES, REPORT_RECORD_STATUSES } from '@core/reports/views.ts';
export { CARD_STATUS_LABELS } from '@core/cards/views.ts';

const ev = (code: string) => `/events/${encodeURIComponent(code)}`;

function filterQuery(filter: StatisticsFilter): string {
  const search = new URLSearchParams();
  if (filter.unit) search.set('unit', filter.unit);
  if (filter.cardType) search.set('cardType', filter.cardType);
  if (filter.important) search.set('important', '1');
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const searchApi = {
  search: (event: string, q: string, limit = 50) =>
    requestJson<SearchResponse>(
      'GET',
      `${ev(event)}/search?${new URLSearchParams({ q, limit: String(limit) }).toString()}`,
    ),
  /** `topUnits`: unit lines of that many units only, those with the most records (the rest: unitCount). */
  statistics: (event: string, filter: StatisticsFilter, topUnits: number) => {
    const query = filterQuery(filter);
    return requestJson<StatisticsReport>(
      'GET',
      `${ev(event)}/reports/statistics${query}${query ? '&' : '?'}topUnits=${topUnits}`,
    );
  },
  /**
   * The workbook, read as it arrives so the page can show how far it is (`onProgress(received,
   * total)`, total from Content-Length when the server sends one).
   */
  async exportStatistics(
    event: string,
    filter: StatisticsFilter,
    onProgress: (received: number, total: number | null) => void,
  ): Promise<{ blob: Blob; fileName: string }> {
    const headers: Record<string, string> = {};
    const csrf = getCsrfToken();
    if (csrf) headers['X-CSRF-Token'] = csrf;
    const response = await fetch(`/api${ev(event)}/reports/statistics.xlsx${filterQuery(filter)}`, {
      credentials: 'same-origin',
      headers,
    });
    if (!response.ok || !response.body) {
      let message = `导出失败（HTTP ${response.status}）`;
      try {
        const body = (await response.json()) as { error?: { message?: string } };
        if (body.error?.message) message = body.error.message;
      } catch {
        // not JSON: keep the status message
      }
      throw new ApiError(response.status, 'export_failed', message);
    }
    const total = Number(response.headers.get('content-length')) || null;
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let received = 0;
    onProgress(0, total);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      onProgress(received, total);
    }
    const disposition = response.headers.get('content-disposition') ?? '';
    const encoded = /filename\*=UTF-8''([^;]+)/.exec(disposition)?.[1];
    return {
      blob: new Blob(chunks as BlobPart[], {
        type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      }),
      fileName: encoded ? decodeURIComponent(encoded) : 'statistics.xlsx',
    };
  },
};
