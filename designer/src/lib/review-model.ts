// What the review screens (数据审核) show, as plain functions: decision names, duplicate hints,
// the age of a waiting batch, the colour of a remaining quota.
import type { Decision, DuplicateHint, ReviewBatchView, ReviewFlag } from '@core/review/views.ts';
import { statusLabel } from './format';

export const DECISIONS: readonly { id: Decision; label: string; key: string; done: string }[] = [
  { id: 'approve', label: '通过', key: 'A', done: '已通过' },
  { id: 'reject', label: '不通过', key: 'R', done: '不通过' },
  { id: 'return', label: '退回修改', key: 'T', done: '已退回修改' },
];

export function decisionLabel(decision: Decision): string {
  return DECISIONS.find((d) => d.id === decision)?.label ?? decision;
}

/** The past-tense name of a decision entry's status (`approved` …). */
export function decidedLabel(status: string): string {
  return statusLabel(status);
}

export function batchStatusLabel(status: ReviewBatchView['status']): string {
  return status === 'open' ? '待审核' : '已审结';
}

export const BATCH_STATUS_FILTERS = [
  { id: 'open', label: '待审核' },
  { id: 'decided', label: '已审结' },
  { id: '', label: '全部' },
] as const;

/** Record filters of the review screen. */
export const RECORD_FILTERS = [
  { id: 'all', label: '全部' },
  { id: 'submitted', label: '待审' },
  { id: 'approved', label: '已通过' },
  { id: 'rejected', label: '未通过' },
  { id: 'returned', label: '退回' },
  { id: 'flagged', label: '有提示' },
] as const;
export type RecordFilter = (typeof RECORD_FILTERS)[number]['id'];

/** `1 小时 20 分`, `3 天 2 小时`: how long something has waited. */
export function ageText(since: string, now = Date.now()): string {
  const minutes = Math.max(0, Math.floor((now - new Date(since).getTime()) / 60_000));
  if (minutes < 1) return '刚刚';
  if (minutes < 60) return `${minutes} 分钟`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} 小时${minutes % 60 ? ` ${minutes % 60} 分` : ''}`;
  const days = Math.floor(hours / 24);
  return `${days} 天${hours % 24 ? ` ${hours % 24} 小时` : ''}`;
}

export function ageHours(since: string, now = Date.now()): number {
  return (now - new Date(since).getTime()) / 3_600_000;
}

/** One line about another application of the same person. */
export function duplicateText(
  hint: DuplicateHint,
  eventCode: string,
  cardTypeName: (code: string) => string,
): string {
  const where = hint.event === eventCode ? '' : `${hint.event} `;
  const card = hint.cardType ? `，${cardTypeName(hint.cardType)}` : '';
  if (hint.kind === 'other-unit')
    return `${where}${hint.unit.name} 也申报了此人（${statusLabel(hint.status)}${card}）`;
  return `${where}${hint.unit.name} 申报时曾未通过${card}${hint.reason ? `：${hint.reason}` : ''}`;
}

export function duplicateShort(hint: DuplicateHint): string {
  return hint.kind === 'other-unit' ? `${hint.unit.name}也申报` : '曾未通过';
}

export function flagTone(flags: readonly ReviewFlag[]): 'red' | 'amber' | null {
  if (flags.some((f) => f.level === 'error')) return 'red';
  if (flags.length > 0) return 'amber';
  return null;
}

/** The tone of a remaining quota: red below zero, amber at zero. */
export function remainingTone(value: number | null): 'neg' | 'zero' | '' {
  if (value === null) return '';
  if (value < 0) return 'neg';
  if (value === 0) return 'zero';
  return '';
}

export function quotaText(value: number | null): string {
  return value === null ? '不限' : String(value);
}
