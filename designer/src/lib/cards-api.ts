// Calls of the card screens (证件制作, 证件管理, 扫码核验): server/routes/cards.ts. The shapes are
// core's own (core/cards/views.ts: types and label tables only, nothing of the server reaches the
// bundle).
import type {
  CardDetail,
  CardList,
  CardStatus,
  CardView,
  PrintableList,
  PrintJobRequest,
  PrintJobStatus,
  PrintJobView,
  PrintOptions,
  VerifyResult,
} from '@core/cards/views.ts';
import type { TaskView } from '@core/tasks/task-view.ts';
import { ApiError, requestJson } from './api';

export { ApiError };
export type * from '@core/cards/views.ts';
export { CARD_STATUS_LABELS, LIVE_CARD_STATUSES, VERIFY_OUTCOME_LABELS } from '@core/cards/views.ts';

export interface PrintableQuery {
  cardType?: string;
  unit?: string;
  reviewBatch?: number;
  q?: string;
  offset?: number;
  limit?: number;
}

export interface CardQuery {
  status?: CardStatus | '';
  cardType?: string;
  unit?: string;
  q?: string;
  sort?: string;
  offset?: number;
  limit?: number;
}

/** A lifecycle action on one card, with what the server needs for it. */
export type CardActionInput =
  | { action: 'issue'; issuedTo: string }
  | { action: 'return'; reason?: string }
  | { action: 'lost' | 'damaged' | 'revoke'; reason: string };

const ev = (code: string) => `/events/${encodeURIComponent(code)}`;

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === '') continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const cardsApi = {
  printable: (event: string, q: PrintableQuery) =>
    requestJson<PrintableList>('GET', `${ev(event)}/printable${query({ ...q })}`),
  print: (event: string, body: PrintJobRequest) =>
    requestJson<{ job: PrintJobView }>('POST', `${ev(event)}/print-jobs`, body),
  jobs: (event: string, q: { status?: PrintJobStatus; offset?: number; limit?: number } = {}) =>
    requestJson<{ jobs: PrintJobView[]; total: number }>('GET', `${ev(event)}/print-jobs${query({ ...q })}`),
  job: (event: string, id: number) =>
    requestJson<{ job: PrintJobView }>('GET', `${ev(event)}/print-jobs/${id}`),
  cancelJob: (event: string, id: number) =>
    requestJson<{ job: PrintJobView }>('POST', `${ev(event)}/print-jobs/${id}/cancel`, {}),
  retryJob: (event: string, id: number) =>
    requestJson<{ job: PrintJobView }>('POST', `${ev(event)}/print-jobs/${id}/retry`, {}),
  /** The finished job's PDF (a plain URL: opened in a tab or an iframe, the cookie signs it). */
  pdfUrl: (event: string, id: number) => `/api${ev(event)}/print-jobs/${id}/pdf`,
  cards: (event: string, q: CardQuery) =>
    requestJson<CardList>('GET', `${ev(event)}/cards${query({ ...q })}`),
  card: (event: string, id: number) => requestJson<CardDetail>('GET', `${ev(event)}/cards/${id}`),
  act: (event: string, id: number, input: CardActionInput) => {
    const { action, ...body } = input;
    return requestJson<CardDetail>('POST', `${ev(event)}/cards/${id}/${action}`, body);
  },
  reprint: (event: string, id: number, body: { reason: string; print?: PrintOptions }) =>
    requestJson<{ card: CardView; job: PrintJobView | null }>(
      'POST',
      `${ev(event)}/cards/${id}/reprint`,
      body,
    ),
  verify: (token: string, event: string) =>
    requestJson<VerifyResult>('GET', `/verify/${encodeURIComponent(token)}${query({ event })}`),
  task: (id: string) => requestJson<{ task: TaskView }>('GET', `/tasks/${encodeURIComponent(id)}`),
};
