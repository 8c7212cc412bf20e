import { describe, expect, it } from 'vitest';
import { excelSerialToIso, parseOfficeDate } from '../../core/validation/index.ts';

/** Independent Excel 1900-system serial: days since 1899-12-31, plus one after the fictitious 1900-02-29. */
function serialOf(iso: string): number {
  const days = (Date.parse(`${iso}T00:00:00Z`) - Date.UTC(1899, 11, 31)) / 86_400_000;
  return iso >= '1900-03-01' ? days + 1 : days;
}

const iso = (value: unknown) => parseOfficeDate(value).iso;
const code = (value: unknown) => parseOfficeDate(value).errors.map((e) => e.code);

describe('parseOfficeDate: text spellings', () => {
  it.each([
    '1990-03-07',
    '1990-3-7',
    '1990/3/7',
    '1990/03/07',
    '1990.3.7',
    '19900307',
    '1990年3月7日',
    '1990年03月07日',
    '1990年3月7号',
    '1990年3月7',
    ' 1990 年 3 月 7 日 ',
    '１９９０－０３－０７',
    '１９９０年３月７日',
    '1990-03-07T00:00:00',
    '1990-03-07T00:00:00Z',
    '1990-03-07 00:00:00',
    '1990/3/7 0:00',
    '1990-03-07T00:00:00.000+08:00',
  ])('%j → 1990-03-07', (text) => {
    expect(parseOfficeDate(text)).toEqual({ valid: true, iso: '1990-03-07', errors: [], warnings: [] });
  });

  it('leap days', () => {
    expect(iso('2000-02-29')).toBe('2000-02-29');
    expect(iso('2024/2/29')).toBe('2024-02-29');
    expect(code('1900-02-29')).toEqual(['impossible-date']);
    expect(code('2023-02-29')).toEqual(['impossible-date']);
    expect(code('2100-02-29')).toEqual(['impossible-date']);
  });

  it('rejects impossible dates with a reason', () => {
    expect(parseOfficeDate('1990-02-30')).toEqual({
      valid: false,
      iso: null,
      errors: [{ code: 'impossible-date', message: '日期“1990-02-30”不存在：1990 年 2 月没有 30 日' }],
      warnings: [],
    });
    expect(code('1990-04-31')).toEqual(['impossible-date']);
    expect(code('1990-13-01')).toEqual(['impossible-date']);
    expect(parseOfficeDate('1990-13-01').errors[0]!.message).toContain('月份应为 1–12');
    expect(code('1990-00-10')).toEqual(['impossible-date']);
    expect(code('1990-01-00')).toEqual(['impossible-date']);
    expect(code('19900230')).toEqual(['impossible-date']);
    expect(code('1990年2月30日')).toEqual(['impossible-date']);
  });

  it('never guesses', () => {
    expect(code('03/07/1990')).toEqual(['ambiguous-date']);
    expect(code('7.3.1990')).toEqual(['ambiguous-date']);
    expect(code('90-3-7')).toEqual(['two-digit-year']);
    expect(code('90年3月7日')).toEqual(['two-digit-year']);
    expect(code('1990')).toEqual(['incomplete-date']);
    expect(code('1990年')).toEqual(['incomplete-date']);
    expect(code('1990-03')).toEqual(['incomplete-date']);
    expect(code('1990年3月')).toEqual(['incomplete-date']);
    expect(code('1990-3/7')).toEqual(['unrecognized-date']); // mixed separators
    expect(code('三月七日')).toEqual(['unrecognized-date']);
    expect(code('1990-03-07T15:30:00')).toEqual(['has-time']);
    // A Date serialised in UTC+8 at local midnight: the UTC text shows the day before.
    expect(code('1990-03-06T16:00:00.000Z')).toEqual(['has-time']);
  });

  it('empty and other types', () => {
    expect(code('')).toEqual(['empty']);
    expect(code('  ')).toEqual(['empty']);
    expect(code(null)).toEqual(['empty']);
    expect(code(undefined)).toEqual(['empty']);
    expect(code(true)).toEqual(['unrecognized-date']);
    expect(code({})).toEqual(['unrecognized-date']);
  });
});

describe('parseOfficeDate: Excel serial numbers (1900 date system)', () => {
  it.each([
    '1990-03-07',
    '1900-01-01',
    '1900-02-28',
    '1900-03-01',
    '1999-12-31',
    '2000-02-29',
    '2026-05-01',
    '9999-12-31',
  ])('%s', (day) => {
    expect(parseOfficeDate(serialOf(day))).toEqual({ valid: true, iso: day, errors: [], warnings: [] });
    expect(excelSerialToIso(serialOf(day))).toBe(day);
  });

  it('known serials', () => {
    expect(iso(32939)).toBe('1990-03-07');
    expect(iso(1)).toBe('1900-01-01');
    expect(iso(59)).toBe('1900-02-28');
    expect(iso(61)).toBe('1900-03-01');
    expect(iso(36526)).toBe('2000-01-01');
    expect(iso(45658)).toBe('2025-01-01');
  });

  it('the 1900 leap-year bug: serial 60 is a day that never was', () => {
    expect(code(60)).toEqual(['impossible-date']);
    expect(parseOfficeDate(60).errors[0]!.message).toContain('1900-02-29');
    expect(excelSerialToIso(60)).toBeNull();
  });

  it('a time of day in the serial is dropped, with a warning', () => {
    const r = parseOfficeDate(32939.75);
    expect(r).toMatchObject({ valid: true, iso: '1990-03-07' });
    expect(r.warnings.map((w) => w.code)).toEqual(['time-ignored']);
  });

  it('a five-digit text is read as a serial that lost its format, with a warning', () => {
    const r = parseOfficeDate('32939');
    expect(r).toMatchObject({ valid: true, iso: '1990-03-07' });
    expect(r.warnings.map((w) => w.code)).toEqual(['excel-serial']);
  });

  it('yyyymmdd numbers, year-only numbers and out-of-range numbers', () => {
    expect(iso(19900307)).toBe('1990-03-07');
    expect(code(19900230)).toEqual(['impossible-date']);
    expect(code(1990)).toEqual(['incomplete-date']);
    expect(code(0)).toEqual(['unrecognized-date']);
    expect(code(-5)).toEqual(['unrecognized-date']);
    expect(code(3_000_000)).toEqual(['unrecognized-date']);
    expect(code(Number.NaN)).toEqual(['unrecognized-date']);
    expect(code(Number.POSITIVE_INFINITY)).toEqual(['unrecognized-date']);
  });
});

describe('parseOfficeDate: Date objects', () => {
  it('UTC midnight (exceljs) and local midnight (SheetJS cellDates) are the same day', () => {
    expect(parseOfficeDate(new Date(Date.UTC(1990, 2, 7)))).toEqual({
      valid: true,
      iso: '1990-03-07',
      errors: [],
      warnings: [],
    });
    expect(parseOfficeDate(new Date(1990, 2, 7))).toMatchObject({
      valid: true,
      iso: '1990-03-07',
      warnings: [],
    });
    expect(iso(new Date(Date.UTC(2000, 1, 29)))).toBe('2000-02-29');
  });

  it('another time of day: the local day, with a warning', () => {
    const r = parseOfficeDate(new Date(1990, 2, 7, 15, 30));
    expect(r).toMatchObject({ valid: true, iso: '1990-03-07' });
    expect(r.warnings.map((w) => w.code)).toEqual(['time-ignored']);
  });

  it('an invalid Date', () => {
    expect(code(new Date('nope'))).toEqual(['unrecognized-date']);
  });
});
