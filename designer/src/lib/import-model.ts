// What the import screens (信息采集) show of batches and staged rows: Chinese names of statuses,
// the grid's filters, the text of a row's problems. Pure functions, no network.
import type { FieldDef } from './form-fields';
import { optionLabel } from './form-fields';
import type {
  BatchStatus,
  FieldIssue,
  ImportIssue,
  PhotoSource,
  RowStatus,
  RowView,
  TaskView,
} from './import-api';

const BATCH_STATUSES: Record<BatchStatus, string> = {
  staging: '读取中',
  staged: '待提交',
  failed: '读取失败',
  committing: '提交中',
  committed: '已入库',
  discarded: '已作废',
};

export function batchStatusLabel(status: string): string {
  return (BATCH_STATUSES as Record<string, string>)[status] ?? status;
}

const ROW_STATUSES: Record<RowStatus, string> = {
  valid: '有效',
  invalid: '有错误',
  deleted: '已删除',
  committed: '已入库',
  rejected: '已拒绝',
};

export function rowStatusLabel(status: string): string {
  return (ROW_STATUSES as Record<string, string>)[status] ?? status;
}

const PHOTO_SOURCES: Record<PhotoSource, string> = {
  embedded: '表内图片',
  'file-column': '按文件名列',
  'id-number': '按证件号码',
  name: '按姓名',
};

export function photoSourceLabel(source: string | null | undefined): string {
  if (!source) return '';
  if (source === 'upload') return '在线上传';
  return (PHOTO_SOURCES as Record<string, string>)[source] ?? source;
}

/** The grid's filters, in toolbar order. */
export const ROW_FILTERS = [
  { id: 'all', label: '全部' },
  { id: 'errors', label: '有错误' },
  { id: 'warnings', label: '有警告' },
  { id: 'valid', label: '有效' },
  { id: 'deleted', label: '已删除' },
] as const;

export type RowFilter = (typeof ROW_FILTERS)[number]['id'];

/**
 * A staged row as the grid shows it. Staging checks a row against the form before its photo is
 * matched, so a row that did get a photo can still carry the “请上传照片” note (code
 * `photo-required`): shown as is, it would contradict the photo column, so it is dropped. Photo
 * file names (and messages naming them) often hold an ID number: it is masked like everywhere else.
 */
export function rowForDisplay(row: RowView): RowView {
  const clean = (map: Record<string, FieldIssue[]>) => {
    const out: Record<string, FieldIssue[]> = {};
    for (const [field, list] of Object.entries(map)) {
      const kept = list
        .filter((i) => !(row.photoId && i.code === 'photo-required'))
        .map((i) => ({ ...i, message: maskIdsInName(i.message) }));
      if (kept.length > 0) out[field] = kept;
    }
    return out;
  };
  return {
    ...row,
    errors: clean(row.errors),
    warnings: clean(row.warnings),
    photoFile: row.photoFile === null ? null : maskIdsInName(row.photoFile),
  };
}

const hasAny = (map: Record<string, FieldIssue[]>) => Object.values(map).some((list) => list.length > 0);

export function rowHasErrors(row: RowView): boolean {
  return (
    row.status !== 'deleted' && (row.status === 'invalid' || row.status === 'rejected' || hasAny(row.errors))
  );
}

export function rowHasWarnings(row: RowView): boolean {
  return row.status !== 'deleted' && hasAny(row.warnings);
}

export function matchesFilter(row: RowView, filter: RowFilter): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'errors':
      return rowHasErrors(row);
    case 'warnings':
      return rowHasWarnings(row);
    case 'valid':
      return row.status === 'valid' || row.status === 'committed';
    case 'deleted':
      return row.status === 'deleted';
  }
}

/** A row's problems as one line: `证件号码：校验位错误；手机号码：…`. */
export function issuesText(issues: Record<string, FieldIssue[]>, labelOf: (field: string) => string): string {
  return Object.entries(issues)
    .filter(([, list]) => list.length > 0)
    .map(([field, list]) => `${labelOf(field)}：${list.map((i) => i.message).join('；')}`)
    .join('；');
}

/** The text of a staged value in the grid (option labels, zones joined). */
export function valueText(field: FieldDef | undefined, value: unknown): string {
  if (value === undefined || value === null || value === '') return '';
  if (Array.isArray(value)) return value.map((v) => optionLabel(field, v)).join('、');
  if (typeof value === 'boolean') return value ? '是' : '否';
  if (field && (field.widget === 'select' || field.widget === 'radio' || field.widget === 'cardType'))
    return optionLabel(field, value);
  return String(value);
}

/** What a row's text search looks in: row number, values, the sheet's cells, problems. */
export function rowSearchText(row: RowView, labelOf: (field: string) => string, fields: FieldDef[]): string {
  const byKey = new Map(fields.map((f) => [f.key, f]));
  return [
    String(row.row),
    ...Object.entries(row.values).map(([k, v]) => valueText(byKey.get(k), v)),
    ...Object.values(row.raw),
    issuesText(row.errors, labelOf),
    issuesText(row.warnings, labelOf),
    row.photoFile ?? '',
    row.deleted?.reason ?? '',
    row.rejectReason ?? '',
  ].join(' ');
}

export type NoteTone = 'red' | 'orange' | 'muted';

/**
 * How a file note is shown: missing columns and what made reading fail red (a failed batch's notes
 * are the reasons it failed), things skipped muted, the rest amber.
 */
export function noteTone(note: ImportIssue, batchFailed = false): NoteTone {
  if (note.code.startsWith('skipped-')) return 'muted';
  if (batchFailed || note.code === 'missing-column') return 'red';
  return 'orange';
}

const NOTE_KINDS: Record<string, string> = {
  'missing-column': '缺少列',
  'skipped-title': '跳过',
  'skipped-blank': '跳过',
  'skipped-instructions': '跳过',
  'skipped-repeated-header': '跳过',
  'hidden-sheet': '隐藏工作表',
  'zip-skipped': '压缩包',
  'formula-cells': '公式',
};

export function noteKind(note: ImportIssue, batchFailed = false): string {
  return NOTE_KINDS[note.code] ?? (noteTone(note, batchFailed) === 'red' ? '错误' : '提示');
}

/** `校验数据 120 / 500` — what a progress bar says of a task. */
export function taskProgressText(task: TaskView | null, fallback: string): string {
  if (!task) return fallback;
  const phase = task.phase ?? (task.status === 'queued' ? '排队等待' : fallback);
  const count = task.total ? ` ${task.done} / ${task.total}` : task.done ? ` ${task.done}` : '';
  return `${phase}${count}${task.message ? `（${task.message}）` : ''}`;
}

/** 0…1 of a task, or null while its size is unknown. */
export function taskFraction(task: TaskView | null): number | null {
  if (!task || !task.total) return null;
  return Math.min(1, task.done / task.total);
}

/**
 * Masks ID numbers inside a file name (photos are often named by ID number: `照片/110101…1234.jpg`)
 * the way the server masks them elsewhere: six leading and four trailing characters kept.
 */
export function maskIdsInName(name: string): string {
  return name.replace(
    /(?<![0-9A-Za-z])(\d{6})(\d{8}|\d{5})(\d{3}[\dXx]|\d{4})(?![0-9A-Za-z])/g,
    (_m, head: string, middle: string, tail: string) => `${head}${'*'.repeat(middle.length)}${tail}`,
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
