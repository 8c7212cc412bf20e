import { stripBlanks, toHalfWidth, type FormatCheckResult } from './format-result.ts';

/**
 * Mainland China mobile number: 11 digits, `1[3-9]` + 9 digits. On input, a +86 / 0086 / 86
 * country prefix, blanks, dashes, dots and brackets are accepted and dropped; the canonical
 * spelling is the bare 11 digits.
 */
export function normalizeMobile(input: unknown): string {
  const text = typeof input === 'number' && Number.isSafeInteger(input) ? String(input) : input;
  if (typeof text !== 'string') return '';
  let s = stripBlanks(toHalfWidth(text)).replace(/[-‐-―−().·]/g, '');
  if (/^(?:\+86|0086|86)1\d{10}$/.test(s)) s = s.slice(-11);
  return s;
}

export function checkMobile(input: unknown): FormatCheckResult {
  const normalized = normalizeMobile(input);
  const fail = (code: string, message: string): FormatCheckResult => ({
    valid: false,
    normalized,
    errors: [{ code, message }],
  });
  const isText = typeof input === 'string' || (typeof input === 'number' && Number.isSafeInteger(input));
  if (input !== null && input !== undefined && !isText) {
    return fail('not-text', '手机号码应为文本');
  }
  if (normalized === '') return fail('empty', '手机号码为空');
  if (/^(?:\+|00)(?!86)\d+$/.test(normalized)) {
    return fail('not-mainland', '只接受中国大陆手机号码（11 位，以 13–19 开头）');
  }
  if (!/^\d+$/.test(normalized)) return fail('charset', '手机号码只能包含数字');
  if (normalized.length !== 11) return fail('length', `手机号码应为 11 位，实际 ${normalized.length} 位`);
  if (!/^1[3-9]\d{9}$/.test(normalized)) return fail('prefix', '手机号码应以 13–19 开头');
  return { valid: true, normalized, errors: [] };
}
