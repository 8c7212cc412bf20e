import { parseOfficeDate } from './dates.ts';
import { stripBlanks, toHalfWidth, type FormatIssue } from './format-result.ts';
import { checkIdNumber, type IdNumberCheckResult } from './id-number.ts';

/**
 * Gender as the standard vocabulary stores it (`M` / `F`) from what forms and spreadsheets
 * contain: M/F (any case), 男/女, 男性/女性, male/female, and the GB/T 2261.1 codes 1 (男) / 2 (女).
 * Null when the value says neither.
 */
export function normalizeGender(value: unknown): 'M' | 'F' | null {
  if (typeof value === 'number') return value === 1 ? 'M' : value === 2 ? 'F' : null;
  if (typeof value !== 'string') return null;
  const s = stripBlanks(toHalfWidth(value)).toLowerCase();
  if (['m', 'male', '男', '男性', '1'].includes(s)) return 'M';
  if (['f', 'female', '女', '女性', '2'].includes(s)) return 'F';
  return null;
}

export interface PersonCrossCheckInput {
  idNumber: unknown;
  /** The form's birth date, in any spelling parseOfficeDate reads. */
  birthDate?: unknown;
  /** The form's gender, in any spelling normalizeGender reads. */
  gender?: unknown;
  /** The record's document type (see IdNumberCheckOptions.idType). */
  idType?: string;
  today?: Date;
}

/** A disagreement between a form field and what the ID number says; `field` names the form field. */
export interface CrossCheckIssue extends FormatIssue {
  field: 'birthDate' | 'gender';
}

export interface PersonCrossCheckResult {
  /** False when a field disagrees with the ID number. */
  valid: boolean;
  /** True when the ID number was valid and carried something to compare with. */
  checked: boolean;
  errors: CrossCheckIssue[];
  /** The ID number's own check (its errors are not repeated in `errors`). */
  id: IdNumberCheckResult;
}

const genderName = (g: 'M' | 'F') => (g === 'M' ? '男' : '女');

/**
 * Cross-checks a person's birth date and gender fields against the ID number. Only a valid ID
 * number is compared with (an invalid one has its own errors in `id`); empty or unreadable
 * fields are left to their own validation. A 2017 foreign permanent resident card does not
 * encode the century, so for it the year is compared by its last two digits.
 */
export function crossCheckPerson(input: PersonCrossCheckInput): PersonCrossCheckResult {
  const id = checkIdNumber(input.idNumber, { idType: input.idType, today: input.today });
  const errors: CrossCheckIssue[] = [];
  let checked = false;
  if (id.valid && id.birthDate) {
    checked = true;
    const parsed = parseOfficeDate(input.birthDate);
    if (parsed.valid && parsed.iso) {
      const same =
        id.kind === 'foreign-permanent-2017'
          ? parsed.iso.slice(2) === id.birthDate.slice(2)
          : parsed.iso === id.birthDate;
      if (!same) {
        errors.push({
          field: 'birthDate',
          code: 'birth-date-mismatch',
          message: `出生日期 ${parsed.iso} 与证件号码中的出生日期 ${id.birthDate} 不一致`,
        });
      }
    }
  }
  if (id.valid && id.gender) {
    checked = true;
    const gender = normalizeGender(input.gender);
    if (gender && gender !== id.gender) {
      errors.push({
        field: 'gender',
        code: 'gender-mismatch',
        message: `性别填写为${genderName(gender)}，但证件号码显示为${genderName(id.gender)}`,
      });
    }
  }
  return { valid: errors.length === 0, checked, errors, id };
}
