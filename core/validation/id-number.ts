import { stripBlanks, toHalfWidth, type FormatCheckResult } from './format-result.ts';

/**
 * Chinese resident identity number (公民身份号码, GB 11643-1999), 18-digit form.
 *
 * Checks: shape, province code, birth date, MOD 11-2 check digit. Normalises full-width
 * characters, blanks and a lower-case `x`. Legacy 15-digit numbers and numbers that Excel
 * turned into floating point are reported with their own codes, never "fixed" silently.
 * Deeper rules (residence permits, foreign permanent resident cards) come later.
 */
export interface IdNumberCheckResult extends FormatCheckResult {
  /** Present when the number is structurally valid: ISO birth date and gender from the sequence digit. */
  info?: { birthDate: string; gender: 'M' | 'F'; regionCode: string };
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';

/** Province-level codes (GB/T 2260) plus 71 台湾, 81 香港, 82 澳门, 83 台湾居民居住证. */
const PROVINCES = new Set(
  '11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83'.split(
    ' ',
  ),
);

/** The MOD 11-2 check character for the first 17 digits. */
export function idNumberCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new Error('idNumberCheckChar: 需要 17 位数字');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

export function normalizeIdNumber(input: string): string {
  return stripBlanks(toHalfWidth(input)).toUpperCase();
}

function isRealDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

export function checkIdNumber(input: string, today: Date = new Date()): IdNumberCheckResult {
  const normalized = normalizeIdNumber(input);
  const fail = (code: string, message: string): IdNumberCheckResult => ({
    valid: false,
    normalized,
    errors: [{ code, message }],
  });
  if (normalized === '') return fail('empty', '身份证号码为空');
  if (/^\d(\.\d+)?E\+?\d+$/.test(normalized)) {
    return fail(
      'excel-number',
      '身份证号码被 Excel 存成了数字（科学计数法），后几位已丢失，请把该列设为文本后重新填写',
    );
  }
  if (/^\d{15}$/.test(normalized)) {
    return fail('legacy-15', '这是 15 位旧身份证号码，请填写 18 位号码');
  }
  if (normalized.length !== 18) return fail('length', `身份证号码应为 18 位，实际 ${normalized.length} 位`);
  if (!/^\d{17}[\dX]$/.test(normalized))
    return fail('charset', '身份证号码前 17 位应为数字，最后一位为数字或 X');
  const errors: IdNumberCheckResult['errors'] = [];
  const regionCode = normalized.slice(0, 6);
  if (!PROVINCES.has(normalized.slice(0, 2))) {
    errors.push({ code: 'region', message: `身份证号码的地区码 ${regionCode} 无效` });
  }
  const y = Number(normalized.slice(6, 10));
  const m = Number(normalized.slice(10, 12));
  const d = Number(normalized.slice(12, 14));
  const birthDate = `${normalized.slice(6, 10)}-${normalized.slice(10, 12)}-${normalized.slice(12, 14)}`;
  if (!isRealDate(y, m, d) || y < 1900) {
    errors.push({ code: 'birth-date', message: `身份证号码中的出生日期 ${birthDate} 无效` });
  } else if (Date.UTC(y, m - 1, d) > today.getTime()) {
    errors.push({ code: 'birth-date', message: `身份证号码中的出生日期 ${birthDate} 晚于今天` });
  }
  const expected = idNumberCheckChar(normalized.slice(0, 17));
  if (normalized[17] !== expected) {
    errors.push({
      code: 'check-digit',
      message: `身份证号码校验位错误（最后一位应为 ${expected}），请核对是否抄错`,
    });
  }
  if (errors.length > 0) return { valid: false, normalized, errors };
  const gender = Number(normalized[16]) % 2 === 1 ? 'M' : 'F';
  return { valid: true, normalized, errors, info: { birthDate, gender, regionCode } };
}
