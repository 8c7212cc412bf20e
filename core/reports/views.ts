// What the statistics API returns (统计报表): plain types and labels, imported by the designer too.
//   GET /api/events/:event/reports/statistics?unit=&cardType=&important=1   → StatisticsReport
//   GET /api/events/:event/reports/statistics.xlsx?(same filters)          → the workbook
import type { CardStatus } from '../cards/views.ts';

export const REPORT_RECORD_STATUSES = ['draft', 'submitted', 'approved', 'rejected', 'returned'] as const;
export type ReportRecordStatus = (typeof REPORT_RECORD_STATUSES)[number];

export const RECORD_STATUS_LABELS: Record<ReportRecordStatus, string> = {
  draft: '草稿',
  submitted: '审核中',
  approved: '已通过',
  rejected: '未通过',
  returned: '退回修改',
};

export const REPORT_CARD_STATUSES: readonly CardStatus[] = [
  'queued',
  'printed',
  'issued',
  'returned',
  'lost',
  'damaged',
  'revoked',
  'replaced',
];

/** Records by their review status, cards (every version) by their state. */
export interface ReportCounts {
  records: Record<ReportRecordStatus | 'total', number>;
  cards: Record<CardStatus | 'total', number>;
}

export interface ReportCardType {
  code: string;
  name: string;
  recordKind: string;
  important: boolean;
  importanceLevel: number | null;
  color: string | null;
}

/** How much of the report to send (not part of what is counted, so not echoed in `filter`). */
export interface StatisticsShape {
  /** Unit lines of this many units only, those with the most records (0 or absent: all). */
  topUnits?: number;
}

export interface StatisticsFilter {
  unit?: string;
  cardType?: string;
  /** Only the important card types (重要证件). */
  important?: boolean;
}

export interface StatisticsReport {
  event: { code: string; name: string; startDate: string; endDate: string; timezone: string };
  filter: StatisticsFilter;
  generatedAt: string;
  tookMs: number;
  /** Important types first (by importance level), then the others. */
  cardTypes: ReportCardType[];
  totals: ReportCounts;
  /** The important types together (重要证件合计). */
  important: ReportCounts;
  byCardType: ({ cardType: string } & ReportCounts)[];
  /**
   * One row per unit and card type that has records or cards: of every unit, or of the `topUnits`
   * units with the most records when the request asked for that many (the screen shows 200 of
   * thousands; the workbook has them all).
   */
  byUnit: ({ unit: { code: string; name: string }; cardType: string } & ReportCounts)[];
  /**
   * Per access zone: records whose zones include it (a record without its own zones has its card
   * type's), by status and, for approved records, by card type.
   */
  /** The units with a line, all of them (byUnit may hold fewer). */
  unitCount: number;
  byZone: {
    zone: { code: string; name: string; color: string | null };
    records: Record<ReportRecordStatus | 'total', number>;
    approvedByCardType: Record<string, number>;
  }[];
  /** Cards handed out per day (event time zone), every version counted on the day it was issued. */
  daily: { day: string; total: number; byCardType: Record<string, number> }[];
}
