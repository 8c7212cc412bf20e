import { stripBlanks, toHalfWidth, type FormatCheckResult } from './format-result.ts';

/**
 * Mainland China motor vehicle plate numbers (机动车号牌, GA 36-2018), by pattern:
 *
 * - `ordinary`: province abbreviation + issuing-authority letter + 5 letters/digits (京A12345).
 * - `new-energy` (8 characters): small vehicles put the energy letter first (京AD12345,
 *   京AF1A234 → letter/digit, then 4 digits), large vehicles last (京A12345D). D and F are the
 *   letters in use; GA 36-2018 reserves A B C E (pure electric, like D) and G H J K (other, like F)
 *   for when a series runs out, and those are accepted too.
 * - suffix series, province + letter + 4 characters + suffix: 挂 `trailer`, 学 `coach`,
 *   警 `police`, 领 `consulate`, 应急 `emergency` (4 or 5 characters), 港 / 澳 `hk-macau`
 *   (粤Z only).
 * - `embassy`: 使 + 6 digits or 6 digits + 使 (both spellings are kept as entered).
 * - `civil-aviation`: 民航 + 5 letters/digits.
 *
 * Letters I and O never occur. Military and armed-police plates are not checked (they are
 * reported as `military-unsupported` (WJ…) or as a missing province, to be checked by a person). Blanks, the middle dot and
 * other separators are dropped, full-width characters folded, letters upper-cased.
 */
export type PlateKind =
  | 'ordinary'
  | 'new-energy'
  | 'trailer'
  | 'coach'
  | 'police'
  | 'consulate'
  | 'emergency'
  | 'hk-macau'
  | 'embassy'
  | 'civil-aviation';

export interface PlateCheckResult extends FormatCheckResult {
  /** Null when invalid. */
  kind: PlateKind | null;
  /** For new-energy plates: vehicle size (where the energy letter sits) and energy type. */
  newEnergy?: { size: 'small' | 'large'; power: 'electric' | 'non-electric' };
}

export const PLATE_KIND_LABELS: Readonly<Record<PlateKind, string>> = {
  ordinary: '普通号牌',
  'new-energy': '新能源号牌',
  trailer: '挂车号牌',
  coach: '教练车号牌',
  police: '警用号牌',
  consulate: '领馆号牌',
  emergency: '应急救援号牌',
  'hk-macau': '港澳入出境车号牌',
  embassy: '使馆号牌',
  'civil-aviation': '民航号牌',
};

/** Province-level abbreviations used on plates. */
export const PLATE_PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';
const L = 'A-HJ-NP-Z'; // letters without I and O
const SERIAL = `[${L}0-9]`;
const ELECTRIC = 'DABCE';
const NON_ELECTRIC = 'FGHJK';
const SMALL_NEW_ENERGY = new RegExp(`^[${ELECTRIC}${NON_ELECTRIC}]${SERIAL}\\d{4}$`);
const LARGE_NEW_ENERGY = new RegExp(`^\\d{5}[${ELECTRIC}${NON_ELECTRIC}]$`);

const SUFFIXES: ReadonlyArray<{ suffix: string; kind: PlateKind; example: string; body: RegExp }> = [
  { suffix: '应急', kind: 'emergency', example: '京A1234应急', body: new RegExp(`^${SERIAL}{4,5}$`) },
  { suffix: '挂', kind: 'trailer', example: '沪A1234挂', body: new RegExp(`^${SERIAL}{4}$`) },
  { suffix: '学', kind: 'coach', example: '京A1234学', body: new RegExp(`^${SERIAL}{4}$`) },
  { suffix: '警', kind: 'police', example: '京A1234警', body: new RegExp(`^${SERIAL}{4}$`) },
  { suffix: '领', kind: 'consulate', example: '沪A1234领', body: new RegExp(`^${SERIAL}{4}$`) },
  { suffix: '港', kind: 'hk-macau', example: '粤Z1234港', body: new RegExp(`^${SERIAL}{4}$`) },
  { suffix: '澳', kind: 'hk-macau', example: '粤Z1234澳', body: new RegExp(`^${SERIAL}{4}$`) },
];

export function normalizePlate(input: unknown): string {
  if (typeof input !== 'string') return '';
  return stripBlanks(toHalfWidth(input))
    .replace(/[·•・.\-_‧∙⋅﹒‐-―]/g, '')
    .toUpperCase();
}

export function checkPlate(input: unknown): PlateCheckResult {
  const normalized = normalizePlate(input);
  const fail = (code: string, message: string): PlateCheckResult => ({
    valid: false,
    normalized,
    kind: null,
    errors: [{ code, message }],
  });
  const pass = (kind: PlateKind, extra: Partial<PlateCheckResult> = {}): PlateCheckResult => ({
    valid: true,
    normalized,
    kind,
    errors: [],
    ...extra,
  });

  if (input !== null && input !== undefined && typeof input !== 'string')
    return fail('not-text', '车牌号码应为文本');
  if (normalized === '') return fail('empty', '车牌号码为空');

  if (/^使\d{6}$/.test(normalized) || /^\d{6}使$/.test(normalized)) return pass('embassy');
  if (normalized.includes('使'))
    return fail('format', '使馆号牌应为“使”加 6 位数字，如 使123456 或 123456使');
  if (normalized.startsWith('民航')) {
    return new RegExp(`^民航${SERIAL}{5}$`).test(normalized)
      ? pass('civil-aviation')
      : fail('format', '民航号牌应为“民航”加 5 位字母或数字');
  }
  if (/^WJ/.test(normalized)) {
    return fail('military-unsupported', '武警、军队号牌不在本系统校验范围内，请人工核对');
  }

  const chars = [...normalized];
  const first = chars[0]!;
  if (!PLATE_PROVINCES.includes(first)) {
    const military = /^[A-Z]{2}\d{5}$/.test(normalized) ? '；如是军车号牌，请人工核对' : '';
    return fail('province', `车牌号码应以省份简称（如 京、沪、粤）开头，实际为“${first}”${military}`);
  }
  const second = chars[1];
  if (second === undefined) return fail('length', '车牌号码应为 7 位（新能源 8 位），实际 1 位');
  if (second === 'I' || second === 'O') return fail('letter-i-o', '号牌中不使用字母 I 和 O');
  if (!/^[A-Z]$/.test(second))
    return fail('authority', `车牌第 2 位应为发牌机关代号（字母），实际为“${second}”`);
  const rest = chars.slice(2).join('');
  if (/[IO]/.test(rest)) return fail('letter-i-o', '号牌中不使用字母 I 和 O（请检查是否为数字 1 和 0）');

  for (const { suffix, kind, example, body } of SUFFIXES) {
    if (!rest.endsWith(suffix)) continue;
    const serial = rest.slice(0, -suffix.length);
    if (kind === 'hk-macau' && !(first === '粤' && second === 'Z')) {
      return fail('hk-macau-prefix', `港澳入出境车号牌应以“粤Z”开头，如 ${example}`);
    }
    if (body.test(serial)) return pass(kind);
    return [...serial].length === 4 || (kind === 'emergency' && [...serial].length === 5)
      ? fail('format', `${PLATE_KIND_LABELS[kind]}格式不正确，应如 ${example}`)
      : fail('length', `${PLATE_KIND_LABELS[kind]}应为省份简称、字母加 4 位再加“${suffix}”，如 ${example}`);
  }
  if (/[^A-Z0-9]/.test(rest)) {
    const bad = [...rest].find((c) => !/[A-Z0-9]/.test(c));
    return fail('format', `车牌号码第 3 位起只能是字母和数字，含有“${bad ?? ''}”`);
  }

  if (chars.length === 7) return pass('ordinary');
  if (chars.length === 8) {
    if (SMALL_NEW_ENERGY.test(rest)) {
      return pass('new-energy', {
        newEnergy: { size: 'small', power: ELECTRIC.includes(rest[0]!) ? 'electric' : 'non-electric' },
      });
    }
    if (LARGE_NEW_ENERGY.test(rest)) {
      return pass('new-energy', {
        newEnergy: { size: 'large', power: ELECTRIC.includes(rest[5]!) ? 'electric' : 'non-electric' },
      });
    }
    return fail(
      'new-energy-format',
      '新能源号牌（8 位）格式不正确：小型车第 3 位为 D 或 F（第 4 位字母或数字，后 4 位数字），大型车前 5 位为数字、最后一位为 D 或 F',
    );
  }
  return fail('length', `车牌号码应为 7 位（新能源 8 位），实际 ${chars.length} 位`);
}
