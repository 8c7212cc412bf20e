import { isoDate, stripBlanks, toHalfWidth, type FormatIssue } from './format-result.ts';

/**
 * Dates as office spreadsheets and people write them, read into ISO `YYYY-MM-DD`.
 *
 * Accepted: `1990-03-07`, `1990/3/7`, `1990.3.7`, `19900307`, `1990年3月7日`, `1990年03月07日`,
 * ISO date-times at midnight (`1990-03-07T00:00:00`, `1990-03-07 00:00:00`), Excel date serial
 * numbers (`32939`, the 1900 date system with its fictitious 1900-02-29), 8-digit `yyyymmdd`
 * numbers and JS `Date` objects. Full-width digits and blanks are folded first.
 * Rejected with a reason: impossible dates (`1990-02-30`), two-digit years, day/month orders
 * that cannot be told apart (`03/07/1990`), a year alone, times other than midnight.
 */
export interface OfficeDateResult {
  valid: boolean;
  /** `YYYY-MM-DD` when valid, else null. */
  iso: string | null;
  errors: FormatIssue[];
  /** Accepted, but worth telling the user (e.g. `excel-serial`). */
  warnings: FormatIssue[];
}

/** Excel's largest serial, 9999-12-31. */
const MAX_SERIAL = 2958465;
/** Serial 60 is 1900-02-29, a day that never was (Lotus 1-2-3 compatibility). */
const FAKE_LEAP_DAY = 60;

/**
 * ISO date of an Excel serial day number (1900 date system; the integer part only).
 * Serials 1–59 are 1900-01-01 … 1900-02-28; 60 is the non-existent 1900-02-29 (null); from 61 on
 * the count is one day ahead of the real calendar, hence the 1899-12-30 epoch.
 */
export function excelSerialToIso(serial: number): string | null {
  if (!Number.isFinite(serial)) return null;
  const day = Math.floor(serial);
  if (day < 1 || day > MAX_SERIAL || day === FAKE_LEAP_DAY) return null;
  const epoch = day < FAKE_LEAP_DAY ? Date.UTC(1899, 11, 31) : Date.UTC(1899, 11, 30);
  const d = new Date(epoch + day * 86_400_000);
  return isoDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

function ok(iso: string, warnings: FormatIssue[] = []): OfficeDateResult {
  return { valid: true, iso, errors: [], warnings };
}
function fail(code: string, message: string): OfficeDateResult {
  return { valid: false, iso: null, errors: [{ code, message }], warnings: [] };
}

function fromParts(y: number, m: number, d: number, shown: string): OfficeDateResult {
  if (m < 1 || m > 12) return fail('impossible-date', `日期“${shown}”不存在：月份应为 1–12`);
  const iso = isoDate(y, m, d);
  if (!iso) return fail('impossible-date', `日期“${shown}”不存在：${y} 年 ${m} 月没有 ${d} 日`);
  return ok(iso);
}

function fromNumber(n: number): OfficeDateResult {
  if (!Number.isFinite(n)) return fail('unrecognized-date', '日期不是有效的数字');
  if (Number.isInteger(n) && n >= 10000101 && n <= 99991231) {
    const s = String(n);
    return fromParts(Number(s.slice(0, 4)), Number(s.slice(4, 6)), Number(s.slice(6, 8)), s);
  }
  if (Number.isInteger(n) && n >= 1900 && n <= 2100) {
    return fail('incomplete-date', `“${n}”只有年份，请填写完整日期，如 ${n}-03-07`);
  }
  if (n === FAKE_LEAP_DAY || Math.floor(n) === FAKE_LEAP_DAY) {
    return fail('impossible-date', 'Excel 日期序号 60 表示 1900-02-29，这一天并不存在');
  }
  const iso = excelSerialToIso(n);
  if (!iso) return fail('unrecognized-date', `数字 ${n} 不是有效的 Excel 日期`);
  const warnings: FormatIssue[] = [];
  if (!Number.isInteger(n)) warnings.push({ code: 'time-ignored', message: '日期带有时间部分，已忽略时间' });
  return ok(iso, warnings);
}

function fromDate(date: Date): OfficeDateResult {
  if (Number.isNaN(date.getTime())) return fail('unrecognized-date', '日期对象无效');
  // Spreadsheet readers hand over either UTC midnight (exceljs) or local midnight (SheetJS with
  // cellDates); take the calendar day from whichever clock shows midnight.
  const utcMidnight =
    date.getUTCHours() === 0 &&
    date.getUTCMinutes() === 0 &&
    date.getUTCSeconds() === 0 &&
    date.getUTCMilliseconds() === 0;
  const iso = utcMidnight
    ? isoDate(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate())
    : isoDate(date.getFullYear(), date.getMonth() + 1, date.getDate());
  if (!iso) return fail('unrecognized-date', '日期对象无效');
  const localMidnight = date.getHours() === 0 && date.getMinutes() === 0 && date.getSeconds() === 0;
  return ok(
    iso,
    utcMidnight || localMidnight ? [] : [{ code: 'time-ignored', message: '日期带有时间部分，已忽略时间' }],
  );
}

const YMD_SEPARATED = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$/;
const YMD_CHINESE = /^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$/;
const YMD_COMPACT = /^(\d{4})(\d{2})(\d{2})$/;
const WITH_TIME =
  /^(\d{4}([-/.])\d{1,2}\2\d{1,2})(?:T|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const DAY_FIRST_OR_MONTH_FIRST = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/;
const TWO_DIGIT_YEAR = /^(\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/;

function fromString(raw: string): OfficeDateResult {
  const text = toHalfWidth(raw).trim();
  if (text === '') return fail('empty', '日期为空');

  const timed = WITH_TIME.exec(text);
  if (timed) {
    const [, day, , hh, mm, ss] = timed;
    if (Number(hh) !== 0 || Number(mm) !== 0 || Number(ss ?? 0) !== 0) {
      return fail('has-time', `“${text}”带有时间，请只填写日期（时区换算会让日期错一天）`);
    }
    return fromString(day!);
  }

  const s = stripBlanks(text);
  let m = YMD_SEPARATED.exec(s);
  if (m) return fromParts(Number(m[1]), Number(m[3]), Number(m[4]), s);
  m = YMD_CHINESE.exec(s);
  if (m) return fromParts(Number(m[1]), Number(m[2]), Number(m[3]), s);
  m = YMD_COMPACT.exec(s);
  if (m) return fromParts(Number(m[1]), Number(m[2]), Number(m[3]), s);
  if (/^\d{5}$/.test(s)) {
    // A five-digit cell in a date column is an Excel serial that lost its date format.
    const r = fromNumber(Number(s));
    if (r.valid) r.warnings.push({ code: 'excel-serial', message: `“${s}”按 Excel 日期序号读作 ${r.iso}` });
    return r;
  }
  if (DAY_FIRST_OR_MONTH_FIRST.test(s)) {
    return fail('ambiguous-date', `无法确定“${s}”是日/月/年还是月/日/年，请写成 年-月-日，如 1990-03-07`);
  }
  if (TWO_DIGIT_YEAR.test(s)) {
    return fail('two-digit-year', `“${s}”的年份只有两位，请写四位年份，如 1990-03-07`);
  }
  if (/^\d{4}$/.test(s) || /^\d{4}年$/.test(s)) {
    return fail('incomplete-date', `“${s}”只有年份，请填写完整日期，如 ${s.slice(0, 4)}-03-07`);
  }
  if (/^\d{4}[-/.年]\d{1,2}月?$/.test(s)) {
    return fail('incomplete-date', `“${s}”缺少日，请填写完整日期，如 1990-03-07`);
  }
  return fail('unrecognized-date', `无法识别的日期“${s}”，请写成 1990-03-07`);
}

/** Reads a date cell or form value (see the module comment). Never guesses a day/month order. */
export function parseOfficeDate(value: unknown): OfficeDateResult {
  if (value === null || value === undefined) return fail('empty', '日期为空');
  if (value instanceof Date) return fromDate(value);
  if (typeof value === 'number') return fromNumber(value);
  if (typeof value === 'string') return fromString(value);
  return fail('unrecognized-date', '日期应为文本、数字或日期');
}
