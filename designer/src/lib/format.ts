// Display helpers: dates, counts and the Chinese names of codes used by the API.

interface YMD {
  y: number;
  m: number;
  d: number;
}

function parseDate(value: string | null | undefined): YMD | null {
  if (!value) return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!match) return null;
  return { y: Number(match[1]), m: Number(match[2]), d: Number(match[3]) };
}

/** `2026-10-15` → `2026年10月15日`. */
export function formatDate(value: string | null | undefined): string {
  const d = parseDate(value);
  return d ? `${d.y}年${d.m}月${d.d}日` : (value ?? '—');
}

/** `2026-10-15`, `2026-10-19` → `2026年10月15日–19日` (month and year shown only when they change). */
export function formatDateRange(start: string | null | undefined, end: string | null | undefined): string {
  const a = parseDate(start);
  const b = parseDate(end);
  if (!a && !b) return '—';
  if (!a || !b) return formatDate(start ?? end);
  const first = `${a.y}年${a.m}月${a.d}日`;
  if (a.y === b.y && a.m === b.m && a.d === b.d) return first;
  if (a.y === b.y && a.m === b.m) return `${first}–${b.d}日`;
  if (a.y === b.y) return `${first}–${b.m}月${b.d}日`;
  return `${first}–${b.y}年${b.m}月${b.d}日`;
}

/** Whole days from start to end inclusive, or null. */
export function dayCount(start: string | null | undefined, end: string | null | undefined): number | null {
  const a = parseDate(start);
  const b = parseDate(end);
  if (!a || !b) return null;
  const diff = Date.UTC(b.y, b.m - 1, b.d) - Date.UTC(a.y, a.m - 1, a.d);
  return Math.round(diff / 86_400_000) + 1;
}

/** ISO timestamp → `2026-10-15 09:30`. */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ${p(date.getHours())}:${p(date.getMinutes())}`;
}

const numberFormat = new Intl.NumberFormat('zh-CN');

export function formatCount(value: number | null | undefined): string {
  return typeof value === 'number' ? numberFormat.format(value) : '—';
}

function lookup(table: Record<string, string>, code: string | null | undefined): string {
  if (!code) return '—';
  return table[code] ?? code;
}

const EVENT_KINDS: Record<string, string> = {
  conference: '会议',
  meeting: '会议',
  forum: '论坛',
  summit: '峰会',
  expo: '博览会',
  exhibition: '展览',
  fair: '展会',
  sports: '体育赛事',
  sport: '体育赛事',
  games: '运动会',
  festival: '节庆活动',
  performance: '文艺演出',
  concert: '演唱会',
  ceremony: '庆典',
  other: '其他',
};

export function eventKindLabel(kind: string | null | undefined): string {
  return lookup(EVENT_KINDS, kind);
}

const RECORD_KINDS: Record<string, string> = { person: '人员', vehicle: '车辆' };

const GENDERS: Record<string, string> = { M: '男', F: '女', '1': '男', '2': '女' };

export function genderLabel(gender: string | null | undefined): string {
  return lookup(GENDERS, gender);
}

export function recordKindLabel(kind: string | null | undefined): string {
  return lookup(RECORD_KINDS, kind);
}

const WIDGETS: Record<string, string> = {
  text: '文本',
  textarea: '多行文本',
  number: '数字',
  integer: '整数',
  date: '日期',
  datetime: '日期时间',
  select: '下拉选择',
  radio: '单选',
  checkbox: '复选',
  multiselect: '多选',
  checkboxes: '多选',
  photo: '照片',
  image: '图片',
  file: '附件',
  idNumber: '证件号码',
  idType: '证件类型',
  mobile: '手机号码',
  phone: '电话',
  email: '电子邮箱',
  plate: '车牌号码',
  plateNumber: '车牌号码',
  gender: '性别',
  ethnicity: '民族',
  cardType: '证件类别',
  zones: '区域',
  unit: '单位',
  organization: '单位',
};

export function widgetLabel(widget: string | null | undefined): string {
  return lookup(WIDGETS, widget);
}

const STATUSES: Record<string, string> = {
  draft: '草稿',
  submitted: '审核中',
  approved: '已通过',
  rejected: '未通过',
  returned: '退回修改',
  printing: '制证中',
  printed: '已制证',
  issued: '已发放',
  lost: '已挂失',
  revoked: '已吊销',
  deleted: '已删除',
};

/** Record statuses in workflow order (for filters). */
export const RECORD_STATUSES: readonly string[] = Object.keys(STATUSES);

/** Statuses a unit may (re)submit for review: drafts and records returned for correction. */
export const SUBMITTABLE_STATUSES: readonly string[] = ['draft', 'returned'];

export function statusLabel(status: string): string {
  return lookup(STATUSES, status);
}
