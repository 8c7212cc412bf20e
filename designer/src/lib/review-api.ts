// Calls of the review screens (数据审核): server/routes/review.ts. The shapes are core's own
// (core/review/views.ts: types only, nothing of the server reaches the bundle); a screen's
// record is the designer's record detail plus core's review fields.
import type {
  DeclarationSummary,
  Decision,
  DecisionEntry,
  DecisionResult,
  DuplicateHint,
  OverQuota,
  ReviewBatchView,
  ReviewContext,
  ReviewFlag,
  ReviewList,
} from '@core/review/views.ts';
import { ApiError, requestJson } from './api';
import type { RecordDetail } from './types';

export { ApiError };
export type * from '@core/review/views.ts';

/** A record of the batch as the review screen shows it (ID number masked). */
export interface ReviewRecord extends RecordDetail {
  /** The record's status (the same as `status`). */
  reviewStatus: string;
  decisionReason: string | null;
  decidedAt: string | null;
  flags: ReviewFlag[];
  duplicates: DuplicateHint[];
}

/** `GET /api/review-batches/:id`. */
export interface ReviewScreen {
  batch: ReviewBatchView;
  records: ReviewRecord[];
  context: ReviewContext;
}

export interface ReviewListFilter {
  status?: string;
  unit?: string;
  cardType?: string;
  important?: boolean;
  olderThanHours?: number;
}

export interface DecisionInput {
  decision: Decision;
  /** The records and the versions the reviewer saw; or `all` for every pending one. */
  records?: { id: number; version: number }[];
  all?: boolean;
  reason?: string;
  overrideQuota?: boolean;
}

export interface SubmitInput {
  /** Staff submit for a unit; a unit user's own unit is used. */
  unitCode?: string;
  /** The records to submit; without them, every draft and returned record of the unit (of `kind`). */
  recordIds?: number[];
  kind?: string;
  note?: string;
}

const ev = (code: string) => `/events/${encodeURIComponent(code)}`;

function query(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === '' || value === false) continue;
    search.set(key, value === true ? '1' : String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const reviewApi = {
  list: (event: string, filter: ReviewListFilter = {}) =>
    requestJson<ReviewList>('GET', `${ev(event)}/review-batches${query({ ...filter })}`),
  screen: (id: number) => requestJson<ReviewScreen>('GET', `/review-batches/${id}`),
  decide: (id: number, input: DecisionInput) =>
    requestJson<DecisionResult>('POST', `/review-batches/${id}/decisions`, input),
  submit: (event: string, input: SubmitInput) =>
    requestJson<{ batch: ReviewBatchView }>('POST', `${ev(event)}/review-batches`, input),
  summary: (event: string, unit: string) =>
    requestJson<DeclarationSummary>(
      'GET',
      `${ev(event)}/units/${encodeURIComponent(unit)}/declaration-summary`,
    ),
  decisions: (event: string, recordId: number | string) =>
    requestJson<{ decisions: DecisionEntry[] }>(
      'GET',
      `${ev(event)}/records/${encodeURIComponent(recordId)}/decisions`,
    ),
  photoUrl: (photoId: string) => `/api/photos/${encodeURIComponent(photoId)}`,
};

/** `details.overQuota` of a `quota_exceeded` error, if that is what it is. */
export function overQuotaOf(error: unknown): OverQuota[] | null {
  if (!(error instanceof ApiError) || error.code !== 'quota_exceeded') return null;
  const details = error.details as { overQuota?: unknown } | null | undefined;
  const list = details?.overQuota;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (o): o is OverQuota =>
      typeof o === 'object' &&
      o !== null &&
      typeof (o as OverQuota).cardType === 'string' &&
      typeof (o as OverQuota).quota === 'number',
  );
}
