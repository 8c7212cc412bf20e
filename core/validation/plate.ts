import { stripBlanks, toHalfWidth, type FormatCheckResult } from './format-result.ts';

/**
 * Mainland China motor vehicle plate (机动车号牌, GA 36): province abbreviation, issuing-authority
 * letter, then 5 characters (ordinary, optional 挂/学/警/港/澳 as last) or 6 (new-energy:
 * small `D|F` + 5, large 5 digits + `D|F`). Letters I and O are never used. Separators such as
 * `·`, `-` and blanks are dropped; letters are upper-cased.
 */
export interface PlateCheckResult extends FormatCheckResult {
  kind?: 'ordinary' | 'new-energy';
}

const PROVINCE = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';
const L = 'A-HJ-NP-Z'; // letters without I and O
const ORDINARY = new RegExp(`^[${PROVINCE}][${L}][${L}0-9]{4}[${L}0-9挂学警港澳]$`);
const NEW_ENERGY = new RegExp(`^[${PROVINCE}][${L}](?:[DF][${L}0-9][0-9]{4}|[0-9]{5}[DF])$`);

export function normalizePlate(input: string): string {
  return stripBlanks(toHalfWidth(input))
    .replace(/[·•・.\-_]/g, '')
    .toUpperCase();
}

export function checkPlate(input: string): PlateCheckResult {
  const normalized = normalizePlate(input);
  if (normalized === '')
    return { valid: false, normalized, errors: [{ code: 'empty', message: '车牌号码为空' }] };
  if (ORDINARY.test(normalized)) return { valid: true, normalized, errors: [], kind: 'ordinary' };
  if (NEW_ENERGY.test(normalized)) return { valid: true, normalized, errors: [], kind: 'new-energy' };
  const first = normalized[0] ?? '';
  if (!PROVINCE.includes(first)) {
    return {
      valid: false,
      normalized,
      errors: [{ code: 'province', message: `车牌号码应以省份简称开头，实际为“${first}”` }],
    };
  }
  const length = [...normalized].length;
  if (length !== 7 && length !== 8) {
    return {
      valid: false,
      normalized,
      errors: [{ code: 'length', message: `车牌号码应为 7 位（新能源 8 位），实际 ${length} 位` }],
    };
  }
  return {
    valid: false,
    normalized,
    errors: [{ code: 'format', message: `车牌号码“${normalized}”格式不正确（号牌中不使用字母 I 和 O）` }],
  };
}
