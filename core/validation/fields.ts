import { parseOfficeDate } from './dates.ts';
import { trimBlanks, type FormatIssue } from './format-result.ts';
import { checkIdNumber, type IdKind, type IdNumberCheckResult } from './id-number.ts';
import { checkMobile } from './mobile.ts';
import { checkPlate } from './plate.ts';

/**
 * Field-level normalisation: the step forms (browser) and import (server) run on a raw value
 * BEFORE validating the record with ajv. ajv's formats (`cn-id-number`, `cn-mobile`,
 * `cn-plate`, `date`) accept canonical spellings only, so stored data has one spelling; this
 * helper turns what a person typed or a spreadsheet held into that spelling, or says why it
 * cannot. The `x-widget` of a field (`idNumber`, `mobile`, `plate`, `date`) selects the same rule
 * as the corresponding `format`; ajv treats `x-widget` as an annotation only, because the ID
 * number rule depends on a sibling field (the record's `idType`), which a format cannot see.
 */
export type FieldRule = 'id-number' | 'mobile' | 'plate' | 'date';

/** The parts of a form field (JSON Schema property) that select a rule. */
export interface FieldRuleSchema {
  type?: unknown;
  format?: unknown;
  'x-widget'?: unknown;
}

export interface FieldNormalizationContext {
  /** The record's `idType` value (code or name), for ID number fields. */
  idType?: unknown;
  today?: Date;
}

export interface FieldNormalization {
  rule: FieldRule | null;
  /** True for null, undefined, blank text and empty arrays: nothing to store (required-ness is ajv's). */
  empty: boolean;
  /** The value to store: canonical when valid; cleaned text when not (never a repaired value). */
  value: unknown;
  valid: boolean;
  errors: FormatIssue[];
  warnings: FormatIssue[];
  /** The ID number check, for ID number fields (birth date and gender for cross-checks). */
  id?: IdNumberCheckResult;
}

/** The rule a field declares through `x-widget` or `format`, or null. */
export function fieldRule(field: FieldRuleSchema): FieldRule | null {
  const widget = field['x-widget'];
  const format = field.format;
  if (widget === 'idNumber' || format === 'cn-id-number') return 'id-number';
  if (widget === 'mobile' || format === 'cn-mobile') return 'mobile';
  if (widget === 'plate' || format === 'cn-plate') return 'plate';
  if (widget === 'date' || format === 'date') return 'date';
  return null;
}

/** The kinds the `cn-id-number` format accepts: 18-character GB 11643 numbers. */
export const CN_ID_NUMBER_KINDS: ReadonlySet<IdKind> = new Set<IdKind>([
  'resident',
  'resident-legacy15',
  'hk-macau-tw-residence',
]);

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return trimBlanks(value) === '';
  return Array.isArray(value) && value.length === 0;
}

/** Normalises one raw field value (see the module comment). */
export function normalizeFieldValue(
  field: FieldRuleSchema,
  value: unknown,
  context: FieldNormalizationContext = {},
): FieldNormalization {
  const rule = fieldRule(field);
  if (isEmpty(value)) return { rule, empty: true, value: undefined, valid: true, errors: [], warnings: [] };
  const base = { rule, empty: false };
  switch (rule) {
    case 'id-number': {
      const idType =
        typeof context.idType === 'string' || typeof context.idType === 'number'
          ? String(context.idType)
          : undefined;
      const id = checkIdNumber(value, { idType, today: context.today });
      const errors = [...id.errors];
      if (id.valid && field.format === 'cn-id-number' && !CN_ID_NUMBER_KINDS.has(id.kind)) {
        errors.push({
          code: 'not-resident-id',
          message: '此处应填写居民身份证号码（或港澳台居民居住证号码）',
        });
      }
      return {
        ...base,
        value: id.normalized === '' ? value : id.normalized,
        valid: errors.length === 0,
        errors,
        warnings: id.warnings,
        id,
      };
    }
    case 'mobile': {
      const r = checkMobile(value);
      return { ...base, value: r.normalized || value, valid: r.valid, errors: r.errors, warnings: [] };
    }
    case 'plate': {
      const r = checkPlate(value);
      return { ...base, value: r.normalized || value, valid: r.valid, errors: r.errors, warnings: [] };
    }
    case 'date': {
      const r = parseOfficeDate(value);
      const fallback = typeof value === 'string' ? trimBlanks(value) : value;
      return { ...base, value: r.iso ?? fallback, valid: r.valid, errors: r.errors, warnings: r.warnings };
    }
    default:
      return {
        ...base,
        value: typeof value === 'string' ? trimBlanks(value) : value,
        valid: true,
        errors: [],
        warnings: [],
      };
  }
}
