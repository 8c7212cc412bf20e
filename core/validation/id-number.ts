import {
  isoDate,
  localIsoDay,
  stripBlanks,
  toHalfWidth,
  type FormatCheckResult,
  type FormatIssue,
} from './format-result.ts';
import { provinceName } from './regions.ts';

/**
 * Identity document numbers a person may be registered with.
 *
 * - `resident`: 公民身份号码, GB 11643-1999: 6-digit address code (only the province part is
 *   checked, see regions.ts), 8-digit birth date, 3-digit sequence (odd = male), ISO 7064
 *   MOD 11-2 check character (0-9 or X).
 * - `resident-legacy15`: GB 11643-1989 15-digit number (6 address, YYMMDD, 3 sequence, no check
 *   digit). Accepted and converted to 18 digits the way the 1999 standard prescribes (insert
 *   `19`, compute the check character); the result says so in a `legacy-15-converted` warning.
 * - `hk-macau-tw-residence`: 港澳台居民居住证, 18 digits starting 810000 / 820000 / 830000, same
 *   structure and check character as a resident number.
 * - `foreign-permanent-2023`: 外国人永久居留身份证 issued from 2023-12-01, 18 digits:
 *   `9` + 2-digit province of the accepting office + 3-digit ISO 3166-1 numeric nationality +
 *   8-digit birth date + 3-digit sequence (odd = male) + MOD 11-2 check character.
 *   Relied on: the National Immigration Administration's "新版外国人永久居留身份证机读信息规则
 *   (2023版)" as republished by card-reader vendors (eastcoms.com/service/pro/840.html:
 *   "首位设置为9 … 最后一位采用 MOD11-2 算法设置为校验码，与公民身份号码校验方式相同"), and the
 *   NIA's own example quoted in public code (nia.gov.cn/20231013/2.pdf: 9 | 32 江苏 | 682 沙特阿拉伯
 *   | 19850101 | 001 | 7).
 * - `foreign-permanent-2017`: the 2017 card, 15 characters: 3-letter ISO 3166-1 alpha-3
 *   nationality + 4-digit accepting-office code (province + city) + YYMMDD birth date + 1-digit
 *   sequence (odd = male) + 1 check digit: Σ value × weight (7, 3, 1 repeating) over the first
 *   14 characters, letters A=10 … Z=35, modulo 10 (the ICAO 9303 rule).
 *   Relied on (no official text was at hand; three independent public implementations agree):
 *   github.com/howardli/CredentialKit ForeignerPermanentResidenceIdProcessor.java ("3位国籍码 +
 *   4位地区码 + 6位生日 + 1位性别 + 1位校验位", 7-3-1 check, sample KAZ110090123105), a Python
 *   generator of test cards (TypeYJZ2017, `calculate_check_num_731`) and a JS validator
 *   (`isTrueValidateCodeBy15IdCard`, weights [7,3,1], A=10 … Z=35, mod 10); the NIA 2023 rules
 *   confirm "15 位(3 位拉丁字母+12 位数字)". The century of YYMMDD is not encoded: the most
 *   recent century that does not put the birth date in the future is taken.
 * - `passport`: Chinese passports by pattern (E + 8 digits, E + letter + 7 digits, G + 8 digits,
 *   D/S/P + 7 digits, DE/SE/PE + 7 digits). With `idType` 护照, other letters-and-digits numbers
 *   (5–17 characters) are accepted as foreign passports, by pattern only.
 * - `hk-macau-permit`: 港澳居民来往内地通行证 (H or M + 8 or 10 digits) and 往来港澳通行证 of
 *   mainland residents (C + 8 digits, C + letter + 7 digits), by pattern.
 * - `taiwan-permit`: 台湾居民来往大陆通行证, 8 digits, by pattern.
 *
 * Normalisation before checking: full-width characters folded, every blank removed (incl.
 * U+3000, no-break and zero-width spaces), a leading Excel text apostrophe dropped, letters
 * upper-cased (so a lower-case x is fine). Nothing is ever repaired by guessing: a wrong check
 * digit is invalid, and the message does not reveal which digit would fit.
 */
export const ID_KINDS = [
  'resident',
  'resident-legacy15',
  'hk-macau-tw-residence',
  'foreign-permanent-2017',
  'foreign-permanent-2023',
  'passport',
  'hk-macau-permit',
  'taiwan-permit',
  'unknown',
] as const;
export type IdKind = (typeof ID_KINDS)[number];

export const ID_KIND_LABELS: Readonly<Record<IdKind, string>> = {
  resident: '居民身份证',
  'resident-legacy15': '居民身份证（15 位旧号码）',
  'hk-macau-tw-residence': '港澳台居民居住证',
  'foreign-permanent-2017': '外国人永久居留身份证（2017 版）',
  'foreign-permanent-2023': '外国人永久居留身份证（2023 版）',
  passport: '护照',
  'hk-macau-permit': '港澳通行证',
  'taiwan-permit': '台湾居民来往大陆通行证',
  unknown: '未识别的证件',
};

export interface IdNumberCheckResult extends FormatCheckResult {
  /** The value as given. */
  input: unknown;
  valid: boolean;
  /** 18-character form for GB 11643 numbers (converted 15-digit ones included), else the normalised text. */
  normalized: string;
  kind: IdKind;
  /** ISO `YYYY-MM-DD`, when the number is valid and carries one. */
  birthDate: string | null;
  /** From the sequence digit (odd = M), when the number is valid and carries one. */
  gender: 'M' | 'F' | null;
  /** Province (or 港澳台) of the address code, or of the office that accepted a foreign permanent resident. */
  region: string | null;
  errors: FormatIssue[];
  /** Accepted, but worth telling the user (e.g. `legacy-15-converted`, `format-only`). */
  warnings: FormatIssue[];
}

export interface IdNumberCheckOptions {
  /**
   * The record's document type: a code of the standard vocabulary ("1" 居民身份证, "2" 港澳居民来往
   * 内地通行证, "3" 台湾居民来往大陆通行证, "4" 护照, "5" 外国人永久居留身份证, "6" 港澳台居民居住证),
   * its Chinese name, or an IdKind. When given, the number must be of that type
   * (`id-type-mismatch` otherwise). Unknown values are ignored.
   */
  idType?: string;
  /** "Today" for the birth-date-in-the-future check (default: now). */
  today?: Date;
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';

/** The ISO 7064 MOD 11-2 check character (GB 11643-1999) for the first 17 digits. */
export function idNumberCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new Error('idNumberCheckChar: 需要 17 位数字');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

/** The 7-3-1 check digit of a 2017 foreign permanent resident ID card, over its first 14 characters. */
export function foreignPermanent2017CheckDigit(first14: string): string {
  if (!/^[A-Z]{3}\d{11}$/.test(first14))
    throw new Error('foreignPermanent2017CheckDigit: 需要 3 个字母加 11 位数字');
  const weights = [7, 3, 1];
  let sum = 0;
  for (let i = 0; i < 14; i++) {
    const c = first14.charCodeAt(i);
    const value = c >= 65 ? c - 55 : c - 48; // 'A' (65) → 10, '0' (48) → 0
    sum += value * weights[i % 3]!;
  }
  return String(sum % 10);
}

/**
 * Canonical spelling of an identity document number: full-width folded, blanks removed, a
 * leading Excel text apostrophe dropped, upper-cased. Does not convert 15-digit numbers (see
 * checkIdNumber's `normalized`).
 */
export function normalizeIdNumber(input: string): string {
  return stripBlanks(toHalfWidth(input))
    .replace(/^['‘’]+/, '')
    .toUpperCase();
}

// ---------------------------------------------------------------------------------------------
// Document types

interface IdTypeRule {
  label: string;
  kinds: readonly IdKind[];
  /** For 港澳居民来往内地通行证: only H/M numbers; C numbers are mainland residents' permits. */
  prefixes?: string;
  /** Message when the text fits no pattern of this type. */
  formatHint: string;
}

const RESIDENT_RULE: IdTypeRule = {
  label: '居民身份证',
  kinds: ['resident', 'resident-legacy15'],
  formatHint: '居民身份证号码应为 18 位（前 17 位数字，最后一位数字或 X），或 15 位旧号码',
};
const HK_MACAU_RESIDENT_PERMIT_RULE: IdTypeRule = {
  label: '港澳居民来往内地通行证',
  kinds: ['hk-macau-permit'],
  prefixes: 'HM',
  formatHint: '港澳居民来往内地通行证号码应为 H（香港）或 M（澳门）加 8 位数字（旧证 10 位）',
};
const HK_MACAU_PERMIT_RULE: IdTypeRule = {
  label: '港澳通行证',
  kinds: ['hk-macau-permit'],
  formatHint: '港澳通行证号码应为 H/M 加 8 位数字，或 C 加 8 位（C 后可为 1 个字母加 7 位数字）',
};
const MAINLAND_HK_MACAU_PERMIT_RULE: IdTypeRule = {
  label: '往来港澳通行证',
  kinds: ['hk-macau-permit'],
  prefixes: 'C',
  formatHint: '往来港澳通行证号码应为 C 加 8 位数字，或 C 加 1 个字母和 7 位数字',
};
const TAIWAN_PERMIT_RULE: IdTypeRule = {
  label: '台湾居民来往大陆通行证',
  kinds: ['taiwan-permit'],
  formatHint: '台湾居民来往大陆通行证号码应为 8 位数字',
};
const PASSPORT_RULE: IdTypeRule = {
  label: '护照',
  kinds: ['passport'],
  formatHint:
    '护照号码格式不正确：中国护照为 E 加 8 位数字、E 加 1 个字母和 7 位数字或 G 加 8 位数字；外国护照只含字母和数字（5–17 位）',
};
const FOREIGN_PERMANENT_RULE: IdTypeRule = {
  label: '外国人永久居留身份证',
  kinds: ['foreign-permanent-2017', 'foreign-permanent-2023'],
  formatHint:
    '外国人永久居留身份证号码应为 18 位数字（2023 版，以 9 开头）或 3 个字母加 12 位数字（2017 版）',
};
const RESIDENCE_PERMIT_RULE: IdTypeRule = {
  label: '港澳台居民居住证',
  kinds: ['hk-macau-tw-residence'],
  formatHint: '港澳台居民居住证号码应为 18 位，以 810000（香港）、820000（澳门）或 830000（台湾）开头',
};

const ID_TYPE_RULES: Readonly<Record<string, IdTypeRule>> = {
  '1': RESIDENT_RULE,
  居民身份证: RESIDENT_RULE,
  身份证: RESIDENT_RULE,
  二代身份证: RESIDENT_RULE,
  resident: RESIDENT_RULE,
  'resident-legacy15': RESIDENT_RULE,
  '2': HK_MACAU_RESIDENT_PERMIT_RULE,
  港澳居民来往内地通行证: HK_MACAU_RESIDENT_PERMIT_RULE,
  回乡证: HK_MACAU_RESIDENT_PERMIT_RULE,
  港澳通行证: HK_MACAU_PERMIT_RULE,
  'hk-macau-permit': HK_MACAU_PERMIT_RULE,
  往来港澳通行证: MAINLAND_HK_MACAU_PERMIT_RULE,
  '3': TAIWAN_PERMIT_RULE,
  台湾居民来往大陆通行证: TAIWAN_PERMIT_RULE,
  台胞证: TAIWAN_PERMIT_RULE,
  'taiwan-permit': TAIWAN_PERMIT_RULE,
  '4': PASSPORT_RULE,
  护照: PASSPORT_RULE,
  passport: PASSPORT_RULE,
  '5': FOREIGN_PERMANENT_RULE,
  外国人永久居留身份证: FOREIGN_PERMANENT_RULE,
  外国人永久居留证: FOREIGN_PERMANENT_RULE,
  永久居留证: FOREIGN_PERMANENT_RULE,
  'foreign-permanent-2017': FOREIGN_PERMANENT_RULE,
  'foreign-permanent-2023': FOREIGN_PERMANENT_RULE,
  '6': RESIDENCE_PERMIT_RULE,
  港澳台居民居住证: RESIDENCE_PERMIT_RULE,
  居住证: RESIDENCE_PERMIT_RULE,
  'hk-macau-tw-residence': RESIDENCE_PERMIT_RULE,
};

function idTypeRule(idType: unknown): IdTypeRule | null {
  if (typeof idType !== 'string' && typeof idType !== 'number') return null;
  const key = stripBlanks(toHalfWidth(String(idType)));
  return Object.hasOwn(ID_TYPE_RULES, key) ? (ID_TYPE_RULES[key] ?? null) : null;
}

/** The document kinds a record's `idType` allows, or null when the idType is empty or unknown. */
export function idTypeKinds(idType: unknown): { label: string; kinds: readonly IdKind[] } | null {
  const rule = idTypeRule(idType);
  return rule ? { label: rule.label, kinds: rule.kinds } : null;
}

// ---------------------------------------------------------------------------------------------
// Shapes

const CN_PASSPORT = /^(?:E\d{8}|E[A-HJ-NP-Z]\d{7}|G\d{8}|[DSP]\d{7}|[DSP]E\d{7})$/;
const HK_MACAU_PERMIT = /^(?:[HM]\d{8}|[HM]\d{10}|C\d{8}|C[A-HJ-NP-Z]\d{7})$/;
const TAIWAN_PERMIT = /^\d{8}$/;
const FOREIGN_PASSPORT = /^[A-Z0-9]{5,17}$/;
const SCIENTIFIC = /^[+-]?\d+(?:\.\d+)?E[+-]?\d+$/;

function shapeOf(s: string): IdKind {
  if (/^\d{17}[\dX]$/.test(s)) {
    if (s[0] === '9') return 'foreign-permanent-2023';
    if (/^8[123]0000/.test(s)) return 'hk-macau-tw-residence';
    return 'resident';
  }
  if (/^\d{15}$/.test(s)) return 'resident-legacy15';
  if (/^[A-Z]{3}\d{12}$/.test(s)) return 'foreign-permanent-2017';
  if (CN_PASSPORT.test(s)) return 'passport';
  if (HK_MACAU_PERMIT.test(s)) return 'hk-macau-permit';
  if (TAIWAN_PERMIT.test(s)) return 'taiwan-permit';
  return 'unknown';
}

// ---------------------------------------------------------------------------------------------
// Messages

const EXCEL_MANGLED: FormatIssue = {
  code: 'excel-mangled',
  message:
    '证件号码被 Excel 当成数字保存，后几位已经丢失（例如显示成 1.10101E+17，或末尾变成 000）。请把该列单元格格式设为“文本”，再重新录入完整号码',
};
const FORMAT_ONLY: FormatIssue = {
  code: 'format-only',
  message: '该类证件号码没有校验位，只核对了格式，请对照证件核对',
};

function checkDigitIssue(first: number): FormatIssue {
  return {
    code: 'check-digit',
    message: `证件号码校验位不符：最后一位与前 ${first} 位对不上，号码有误，请对照证件逐位核对`,
  };
}

// ---------------------------------------------------------------------------------------------
// Checks of the structured kinds

interface Parsed {
  errors: FormatIssue[];
  warnings: FormatIssue[];
  normalized: string;
  birthDate: string | null;
  gender: 'M' | 'F' | null;
  region: string | null;
}

function birthDateIssues(
  y: number,
  m: number,
  d: number,
  today: Date,
): { iso: string | null; issue?: FormatIssue } {
  const shown = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  const iso = isoDate(y, m, d);
  if (!iso) {
    return {
      iso: null,
      issue: { code: 'birth-date-invalid', message: `证件号码中的出生日期 ${shown} 不存在` },
    };
  }
  if (y < 1900) {
    return {
      iso,
      issue: { code: 'birth-date-too-early', message: `证件号码中的出生日期 ${shown} 早于 1900 年` },
    };
  }
  if (iso > localIsoDay(today)) {
    return { iso, issue: { code: 'birth-date-future', message: `证件号码中的出生日期 ${shown} 晚于今天` } };
  }
  return { iso };
}

const genderOf = (digit: string | undefined): 'M' | 'F' => (Number(digit) % 2 === 1 ? 'M' : 'F');

/** 18-digit GB 11643 structure: resident, residence permit, 2023 foreign permanent resident card. */
function parse18(s: string, kind: IdKind, today: Date): Parsed {
  const errors: FormatIssue[] = [];
  let region: string | null;
  if (kind === 'foreign-permanent-2023') {
    region = provinceName(s.slice(1, 3));
    if (!region) {
      errors.push({
        code: 'region',
        message: `外国人永久居留身份证号码第 2–3 位（受理地代码 ${s.slice(1, 3)}）不是有效的省级代码`,
      });
    }
  } else {
    region = provinceName(s.slice(0, 2));
    if (!region) {
      errors.push({
        code: 'region',
        message: `身份证号码的地区码 ${s.slice(0, 6)} 无效：前两位 ${s.slice(0, 2)} 不是省级行政区代码`,
      });
    }
  }
  const birth = birthDateIssues(
    Number(s.slice(6, 10)),
    Number(s.slice(10, 12)),
    Number(s.slice(12, 14)),
    today,
  );
  if (birth.issue) errors.push(birth.issue);
  if (s[17] !== idNumberCheckChar(s.slice(0, 17))) {
    // Excel keeps 15 significant digits: an 18-digit number typed into a number cell comes back
    // with its last three digits as 000. A valid number may end in 000; a failing one is mangled.
    errors.push(s.endsWith('000') ? EXCEL_MANGLED : checkDigitIssue(17));
  }
  return { errors, warnings: [], normalized: s, birthDate: birth.iso, gender: genderOf(s[16]), region };
}

/** GB 11643-1989 15-digit number; converted to 18 digits when valid. */
function parse15(s: string, today: Date): Parsed {
  const errors: FormatIssue[] = [];
  const region = provinceName(s.slice(0, 2));
  if (!region) {
    errors.push({
      code: 'region',
      message: `身份证号码的地区码 ${s.slice(0, 6)} 无效：前两位 ${s.slice(0, 2)} 不是省级行政区代码`,
    });
  }
  const birth = birthDateIssues(
    1900 + Number(s.slice(6, 8)),
    Number(s.slice(8, 10)),
    Number(s.slice(10, 12)),
    today,
  );
  if (birth.issue) errors.push(birth.issue);
  if (errors.length > 0) {
    return { errors, warnings: [], normalized: s, birthDate: null, gender: null, region: null };
  }
  const first17 = `${s.slice(0, 6)}19${s.slice(6)}`;
  const normalized = first17 + idNumberCheckChar(first17);
  return {
    errors,
    warnings: [
      {
        code: 'legacy-15-converted',
        message: `这是 15 位旧身份证号码，已按国家标准（GB 11643-1999）转换为 18 位：${normalized}`,
      },
    ],
    normalized,
    birthDate: birth.iso,
    gender: genderOf(s[14]),
    region,
  };
}

/** 2017 foreign permanent resident ID card, 15 characters. */
function parseForeign2017(s: string, today: Date): Parsed {
  const errors: FormatIssue[] = [];
  const region = provinceName(s.slice(3, 5));
  if (!region) {
    errors.push({
      code: 'region',
      message: `外国人永久居留身份证号码第 4–7 位（受理地代码 ${s.slice(3, 7)}）不是有效的地区代码`,
    });
  }
  const yy = Number(s.slice(7, 9));
  const m = Number(s.slice(9, 11));
  const d = Number(s.slice(11, 13));
  // The century is not in the number: take the most recent one that is not in the future.
  const recent = isoDate(2000 + yy, m, d);
  const y = recent !== null && recent <= localIsoDay(today) ? 2000 + yy : 1900 + yy;
  const birth = birthDateIssues(y, m, d, today);
  if (birth.issue) {
    errors.push(
      birth.issue.code === 'birth-date-invalid'
        ? { code: 'birth-date-invalid', message: `证件号码中的出生日期 ${s.slice(7, 13)}（年月日）不存在` }
        : birth.issue,
    );
  }
  if (s[14] !== foreignPermanent2017CheckDigit(s.slice(0, 14))) errors.push(checkDigitIssue(14));
  return { errors, warnings: [], normalized: s, birthDate: birth.iso, gender: genderOf(s[13]), region };
}

// ---------------------------------------------------------------------------------------------
// Input

interface ReadInput {
  text: string;
  issue?: FormatIssue;
  warning?: FormatIssue;
}

function readInput(input: unknown): ReadInput {
  if (input === null || input === undefined) return { text: '' };
  if (typeof input === 'string') return { text: input };
  if (typeof input === 'bigint') return { text: input.toString() };
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return { text: String(input), issue: EXCEL_MANGLED };
    const digits = String(input);
    // A number cell keeps 15 significant digits: 18-digit numbers have lost their tail (and a
    // check character X cannot be a number at all). Up to 15 digits the value is intact.
    if (!Number.isSafeInteger(input) || input < 0 || digits.length > 15) {
      return { text: digits, issue: EXCEL_MANGLED };
    }
    return {
      text: digits,
      warning: {
        code: 'numeric-cell',
        message: '证件号码是以数字格式保存的，请把该列设为“文本”（数字格式会丢掉开头的 0 和末尾的位数）',
      },
    };
  }
  return { text: '', issue: { code: 'not-text', message: '证件号码应为文本' } };
}

function unknownShapeIssue(s: string, rule: IdTypeRule | null): FormatIssue {
  const bad = [...s].find((c) => !/[A-Z0-9]/.test(c));
  if (bad !== undefined) {
    const hint = bad === '×' || bad === 'Ⅹ' ? '（最后一位应为字母 X，不是“' + bad + '”）' : '';
    return { code: 'charset', message: `证件号码只能包含数字和字母，其中有“${bad}”${hint}` };
  }
  if (rule && rule !== RESIDENT_RULE) return { code: 'format', message: rule.formatHint };
  if (/^\d+$/.test(s)) {
    return { code: 'length', message: `身份证号码应为 18 位（旧号码 15 位），实际 ${s.length} 位` };
  }
  if (s.length === 18 || s.length === 15) {
    return { code: 'charset', message: '身份证号码除最后一位可为 X 外，其余各位都应为数字' };
  }
  if (rule === RESIDENT_RULE) return { code: 'format', message: rule.formatHint };
  return {
    code: 'unrecognized',
    message: '无法识别的证件号码：不是居民身份证、居住证、永久居留身份证、护照或通行证号码的格式',
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * Checks an identity document number (see the module comment for the kinds and rules).
 * `opts` may also be a Date (the former `checkIdNumber(input, today)` signature).
 */
export function checkIdNumber(input: unknown, opts: IdNumberCheckOptions | Date = {}): IdNumberCheckResult {
  const options = opts instanceof Date ? { today: opts } : opts;
  const today = options.today ?? new Date();
  const rule = idTypeRule(options.idType);

  const read = readInput(input);
  const normalized = normalizeIdNumber(read.text);
  const warnings: FormatIssue[] = read.warning ? [read.warning] : [];
  const result = (
    kind: IdKind,
    errors: FormatIssue[],
    parsed?: Omit<Parsed, 'errors' | 'warnings'>,
    extraWarnings: FormatIssue[] = [],
  ): IdNumberCheckResult => {
    const valid = errors.length === 0;
    return {
      input,
      valid,
      normalized: parsed?.normalized ?? normalized,
      kind,
      birthDate: valid ? (parsed?.birthDate ?? null) : null,
      gender: valid ? (parsed?.gender ?? null) : null,
      region: valid ? (parsed?.region ?? null) : null,
      errors,
      warnings: [...warnings, ...extraWarnings],
    };
  };

  if (read.issue) return result('unknown', [read.issue]);
  if (normalized === '') return result('unknown', [{ code: 'empty', message: '证件号码为空' }]);
  if (SCIENTIFIC.test(normalized)) return result('unknown', [EXCEL_MANGLED]);

  const kind = shapeOf(normalized);
  // A foreign passport can be any letters-and-digits number: only when the record says 护照.
  if (
    rule === PASSPORT_RULE &&
    (kind === 'unknown' || kind === 'hk-macau-permit' || kind === 'taiwan-permit') &&
    FOREIGN_PASSPORT.test(normalized) &&
    !/^[EG]\d+$/.test(normalized)
  ) {
    return result('passport', [], undefined, [
      { code: 'format-only', message: '非中国护照号码，只核对了字符（字母和数字，5–17 位），请对照护照核对' },
    ]);
  }
  if (kind === 'unknown') return result('unknown', [unknownShapeIssue(normalized, rule)]);

  let parsed: Parsed;
  switch (kind) {
    case 'resident':
    case 'hk-macau-tw-residence':
    case 'foreign-permanent-2023':
      parsed = parse18(normalized, kind, today);
      break;
    case 'resident-legacy15':
      parsed = parse15(normalized, today);
      break;
    case 'foreign-permanent-2017':
      parsed = parseForeign2017(normalized, today);
      break;
    default:
      parsed = {
        errors: [],
        warnings: [FORMAT_ONLY],
        normalized,
        birthDate: null,
        gender: null,
        region: null,
      };
  }

  const errors = [...parsed.errors];
  if (rule && (!rule.kinds.includes(kind) || (rule.prefixes && !rule.prefixes.includes(normalized[0]!)))) {
    const actual =
      kind === 'hk-macau-permit'
        ? normalized.startsWith('C')
          ? '内地居民往来港澳通行证'
          : '港澳居民来往内地通行证'
        : ID_KIND_LABELS[kind];
    errors.unshift({
      code: 'id-type-mismatch',
      message: `证件类型为${rule.label}，但号码是${actual}的格式`,
    });
  }
  return result(kind, errors, parsed, parsed.warnings);
}

/** One readable Chinese line for a result (command line, logs). */
export function describeIdCheck(r: IdNumberCheckResult): string {
  const shown = typeof r.input === 'string' ? r.input : String(r.input);
  if (r.valid) {
    const parts = [`✓ ${r.normalized}`, ID_KIND_LABELS[r.kind]];
    if (r.birthDate) parts.push(`出生日期 ${r.birthDate}`);
    if (r.gender) parts.push(r.gender === 'M' ? '男' : '女');
    if (r.region) parts.push(r.region);
    const notes = r.warnings.map((w) => w.message);
    return parts.join('  ') + (notes.length > 0 ? `  （${notes.join('；')}）` : '');
  }
  const label = r.kind === 'unknown' ? '' : `（${ID_KIND_LABELS[r.kind]}）`;
  return `✗ ${shown}${label}：${r.errors.map((e) => e.message).join('；')}`;
}
