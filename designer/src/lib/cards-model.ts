// What the card screens show, as plain functions: status names and colours, which actions a card's
// state offers, print options (remembered per browser), job progress, and the token in a scan.
import {
  CARD_ACTION_FROM,
  CARD_STATUS_LABELS,
  VERIFY_OUTCOME_LABELS,
  type CardOperatorAction,
  type CardStatus,
  type PrintJobStatus,
  type PrintJobView,
  type PrintOptions,
  type VerifyOutcome,
} from '@core/cards/views.ts';

export const CARD_STATUSES = Object.keys(CARD_STATUS_LABELS) as CardStatus[];

export function cardStatusLabel(status: CardStatus): string {
  return CARD_STATUS_LABELS[status] ?? status;
}

/** Colour of a status badge: live cards green/blue, gone ones red, the rest grey. */
export function cardStatusTone(status: CardStatus): 'green' | 'blue' | 'red' | 'amber' | 'grey' {
  switch (status) {
    case 'issued':
      return 'green';
    case 'printed':
    case 'queued':
      return 'blue';
    case 'lost':
    case 'revoked':
    case 'damaged':
      return 'red';
    case 'replaced':
    case 'returned':
      return 'amber';
    default:
      return 'grey';
  }
}

export type CardAct = CardOperatorAction;

export interface CardActDef {
  id: CardAct;
  label: string;
  /** Keyboard shortcut on the card page. */
  key: string;
  /** The states the server accepts it from (core/cards/views.ts). */
  from: readonly CardStatus[];
  danger: boolean;
  /** What the required reason box asks for (absent: no reason asked). */
  reason?: { label: string; placeholder: string };
  done: string;
}

/**
 * The lifecycle as the operator sees it. 补制 makes a new version of the same number: from a lost,
 * damaged or returned card, or straight from a live one (the live one is then replaced).
 */
export const CARD_ACTS: readonly CardActDef[] = [
  { id: 'issue', label: '发放', key: 'I', from: CARD_ACTION_FROM.issue, danger: false, done: '已发放' },
  {
    id: 'return',
    label: '收回',
    key: 'R',
    from: CARD_ACTION_FROM.return,
    danger: false,
    done: '已收回',
  },
  {
    id: 'lost',
    label: '挂失',
    key: 'L',
    from: CARD_ACTION_FROM.lost,
    danger: true,
    reason: { label: '挂失原因', placeholder: '如：持证人报告 10 月 15 日遗失' },
    done: '已挂失',
  },
  {
    id: 'damaged',
    label: '损坏',
    key: 'D',
    from: CARD_ACTION_FROM.damaged,
    danger: true,
    reason: { label: '损坏说明', placeholder: '如：卡面开裂，照片无法辨认' },
    done: '已登记损坏',
  },
  {
    id: 'revoke',
    label: '注销',
    key: 'X',
    from: CARD_ACTION_FROM.revoke,
    danger: true,
    reason: { label: '注销原因', placeholder: '如：人员取消参会' },
    done: '已注销',
  },
  {
    id: 'reprint',
    label: '补制',
    key: 'P',
    from: CARD_ACTION_FROM.reprint,
    danger: false,
    reason: { label: '补制原因', placeholder: '如：原证遗失，重新制作' },
    done: '已补制',
  },
];

export function actsFor(status: CardStatus): CardActDef[] {
  return CARD_ACTS.filter((a) => a.from.includes(status));
}

// ---- print jobs

const JOB_STATUS_LABELS: Record<PrintJobStatus, string> = {
  queued: '排队中',
  running: '制作中',
  succeeded: '已完成',
  failed: '失败',
  cancelled: '已取消',
};

export function jobStatusLabel(status: PrintJobStatus): string {
  return JOB_STATUS_LABELS[status] ?? status;
}

export function jobActive(job: PrintJobView): boolean {
  return job.status === 'queued' || job.status === 'running';
}

/** 0…1 of a job while it renders; null when it has not started counting. */
export function jobFraction(job: PrintJobView): number | null {
  if (job.status === 'succeeded') return 1;
  if (job.cardCount <= 0 || (job.status === 'queued' && job.done === 0)) return null;
  return Math.min(1, job.done / job.cardCount);
}

export function jobProgressText(job: PrintJobView): string {
  if (job.status === 'queued') return '排队等待';
  const phase = job.phase ?? (job.status === 'running' ? '正在制作' : jobStatusLabel(job.status));
  return `${phase} ${job.done} / ${job.cardCount}`;
}

export const DEFAULT_PRINT_OPTIONS: PrintOptions = {
  sheet: 'A4',
  duplex: true,
  bleedMm: 3,
  marks: true,
  backs: true,
};

const OPTIONS_KEY = 'tessera.printOptions';

/** The options last used in this browser (an operator prints the same way all day). */
export function rememberedPrintOptions(): PrintOptions {
  try {
    const raw = localStorage.getItem(OPTIONS_KEY);
    if (!raw) return { ...DEFAULT_PRINT_OPTIONS };
    const v = JSON.parse(raw) as Partial<PrintOptions>;
    return {
      sheet: v.sheet === 'A4' || v.sheet === 'A3' || v.sheet === null ? v.sheet : DEFAULT_PRINT_OPTIONS.sheet,
      duplex: typeof v.duplex === 'boolean' ? v.duplex : DEFAULT_PRINT_OPTIONS.duplex,
      bleedMm: clampBleed(v.bleedMm),
      marks: typeof v.marks === 'boolean' ? v.marks : DEFAULT_PRINT_OPTIONS.marks,
      backs: typeof v.backs === 'boolean' ? v.backs : DEFAULT_PRINT_OPTIONS.backs,
    };
  } catch {
    return { ...DEFAULT_PRINT_OPTIONS };
  }
}

export function rememberPrintOptions(options: PrintOptions): void {
  try {
    localStorage.setItem(OPTIONS_KEY, JSON.stringify(options));
  } catch {
    // private mode: options are simply not remembered
  }
}

export function clampBleed(value: unknown): number {
  const n = typeof value === 'number' && Number.isFinite(value) ? value : DEFAULT_PRINT_OPTIONS.bleedMm;
  return Math.min(5, Math.max(0, Math.round(n * 10) / 10));
}

/** `A4 拼版 · 双面对齐 · 出血 3 mm · 裁切线 · 含背面` */
export function printOptionsText(o: PrintOptions): string {
  const parts = [o.sheet ? `${o.sheet} 拼版` : '单张'];
  if (o.sheet && o.duplex && o.backs) parts.push('双面对齐');
  parts.push(o.bleedMm > 0 ? `出血 ${o.bleedMm} mm` : '无出血');
  if (o.marks) parts.push('裁切线');
  parts.push(o.backs ? '含背面' : '仅正面');
  return parts.join(' · ');
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '—';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// ---- verification

export function outcomeLabel(outcome: VerifyOutcome): string {
  return VERIFY_OUTCOME_LABELS[outcome] ?? outcome;
}

/** Green lets the holder in; red is a card that must be taken away; amber needs a look. */
export function outcomeTone(outcome: VerifyOutcome): 'green' | 'red' | 'amber' {
  if (outcome === 'valid') return 'green';
  if (
    outcome === 'lost' ||
    outcome === 'revoked' ||
    outcome === 'replaced' ||
    outcome === 'wrong-event' ||
    outcome === 'invalid'
  )
    return 'red';
  return 'amber';
}

/**
 * The token in what a scanner typed: the token itself, or the URL the QR code holds
 * (`https://host/v/<token>`, also `…/#/verify/<token>`), with blanks a scanner may add removed.
 */
export function tokenFromScan(text: string): string {
  const clean = text.trim();
  const match = /\/(?:v|verify)\/([^/?#\s]+)\/?(?:[?#].*)?$/.exec(clean);
  if (!match?.[1]) return clean;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}
