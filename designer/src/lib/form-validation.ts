// Client-side validation of the generated record form, in one place.
// For now: required fields and simple JSON types/lengths/ranges. The full rules (Chinese ID numbers,
// plates, mobiles, cross-field checks) will come from core/validation through the `@core` alias and
// replace the body of `validateRecord` — keep every caller going through this one function.
import { isEmpty, isMasked, type FieldDef } from './form-fields';
import type { FieldIssue, RecordValues } from './types';

export type FieldErrors = Record<string, FieldIssue[]>;

function issue(code: string, message: string): FieldIssue {
  return { code, message };
}

function checkField(field: FieldDef, value: unknown): FieldIssue[] {
  if (isEmpty(value)) {
    // Photos cannot be uploaded from the form yet; the server decides.
    if (field.required && field.widget !== 'photo') {
      const choose = ['select', 'radio', 'cardType', 'zones', 'checkbox', 'date'].includes(field.widget);
      return [issue('required', `请${choose ? '选择' : '填写'}${field.label}`)];
    }
    return [];
  }
  switch (field.type) {
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return [issue('type', '请输入数字')];
      if (field.type === 'integer' && !Number.isInteger(value)) return [issue('type', '请输入整数')];
      if (field.minimum !== null && value < field.minimum)
        return [issue('minimum', `不能小于 ${field.minimum}`)];
      if (field.maximum !== null && value > field.maximum)
        return [issue('maximum', `不能大于 ${field.maximum}`)];
      return [];
    }
    case 'boolean':
      return typeof value === 'boolean' ? [] : [issue('type', '取值无效')];
    case 'array':
      return Array.isArray(value) ? [] : [issue('type', '取值无效')];
    case 'string': {
      if (typeof value !== 'string') return [issue('type', '取值无效')];
      if (isMasked(value)) return []; // an unchanged masked ID number; the server keeps the stored one
      const length = [...value.trim()].length;
      if (field.minLength !== null && length < field.minLength)
        return [issue('minLength', `至少 ${field.minLength} 个字符`)];
      if (field.maxLength !== null && length > field.maxLength)
        return [issue('maxLength', `不能超过 ${field.maxLength} 个字符`)];
      if (
        field.options.length > 0 &&
        field.widget !== 'text' &&
        !field.options.some((o) => o.value === value)
      )
        return [issue('enum', '请从列表中选择')];
      return [];
    }
  }
}

/** Errors by field key, in field order; empty when the values may be sent. */
export function validateRecord(fields: FieldDef[], values: RecordValues): FieldErrors {
  const errors: FieldErrors = {};
  for (const field of fields) {
    const issues = checkField(field, values[field.key]);
    if (issues.length > 0) errors[field.key] = issues;
  }
  return errors;
}
