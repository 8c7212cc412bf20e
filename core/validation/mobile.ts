import { stripBlanks, toHalfWidth, type FormatCheckResult } from './format-result.ts';

/** Mainland China mobile number: 11 digits, `1[3-9]` prefix. Accepts +86 / 0086 and separators on input. */
export function normalizeMobile(input: string): string {
  let s = stripBlanks(toHalfWidth(input)).replace(/[-()（）]/g, '');
  if (/^(\+?86|0086)1\d{10}$/.test(s)) s = s.slice(s.length - 11);
  return s;
}

export function checkMobile(input: string): FormatCheckResult {
  const normalized = normalizeMobile(input);
  if (normalized === '')
    return { valid: false, normalized, errors: [{ code: 'empty', message: '手机号码为空' }] };
  if (!/^\d+$/.test(normalized)) {
    return { valid: false, normalized, errors: [{ code: 'charset', message: '手机号码只能包含数字' }] };
  }
  if (normalized.length !== 11) {
    return {
      valid: false,
      normalized,
      errors: [{ code: 'length', message: `手机号码应为 11 位，实际 ${normalized.length} 位` }],
    };
  }
  if (!/^1[3-9]\d{9}$/.test(normalized)) {
    return { valid: false, normalized, errors: [{ code: 'prefix', message: '手机号码应以 13–19 开头' }] };
  }
  return { valid: true, normalized, errors: [] };
}
