import type { ErrorObject } from 'ajv/dist/2020.js';
import type { FormField, FormSchema } from '../types/generated/index.ts';
import { checkIdNumber, checkMobile, checkPlate, createAjv, localizeErrors } from '../validation/index.ts';

export interface FieldIssue {
  code: string;
  message: string;
}

export interface RecordValidation {
  ok: boolean;
  /** Normalised values (blanks trimmed, ID numbers and plates in canonical spelling); empty fields dropped. */
  values: Record<string, unknown>;
  fields: Record<string, FieldIssue[]>;
}

export interface RecordContext {
  cardTypes: { code: string; recordKind: string }[];
  zones: string[];
  kind: string;
}

const ajv = createAjv();
const compiled = new WeakMap<FormSchema, ReturnType<typeof ajv.compile>>();

function validatorFor(form: FormSchema) {
  let validate = compiled.get(form);
  if (!validate) {
    validate = ajv.compile(form);
    compiled.set(form, validate);
  }
  return validate;
}

/** The standard vocabulary's idType code for 居民身份证. */
const RESIDENT_ID_TYPE = '1';
const RESIDENT_KINDS = new Set(['resident', 'resident-legacy15']);

const isIdField = (field: FormField) => field['x-widget'] === 'idNumber' || field.format === 'cn-id-number';

/**
 * Server-side validation of one record against its event form: the same shared rules
 * (core/validation) that the browser runs, then the form's own JSON Schema.
 */
export function validateRecordValues(
  form: FormSchema,
  input: Record<string, unknown>,
  context: RecordContext,
): RecordValidation {
  const fields: Record<string, FieldIssue[]> = {};
  const add = (key: string, issue: FieldIssue) => (fields[key] ??= []).push(issue);
  const values: Record<string, unknown> = {};
  const properties = form.properties;

  for (const key of Object.keys(input)) {
    if (!(key in properties)) add(key, { code: 'unknown-field', message: `表单中没有字段 "${key}"` });
  }

  let idInfo: { key: string; birthDate: string | null; gender: 'M' | 'F' | null } | undefined;
  for (const [key, field] of Object.entries(properties)) {
    if (!field) continue;
    let value = input[key];
    if (typeof value === 'string') value = value.trim();
    if (value === '' || value === null || value === undefined) continue;
    if (Array.isArray(value) && value.length === 0) continue;

    if (isIdField(field)) {
      const idType = typeof input.idType === 'string' ? input.idType : undefined;
      const result = checkIdNumber(value, idType ? { idType } : {});
      if (!result.valid) result.errors.forEach((e) => add(key, e));
      else if (idType === RESIDENT_ID_TYPE && !RESIDENT_KINDS.has(result.kind)) {
        add(key, { code: 'id-type-mismatch', message: '证件类型为居民身份证，但号码不是居民身份证号码' });
      } else idInfo ??= { key, birthDate: result.birthDate, gender: result.gender };
      value = result.normalized || value;
    } else if (field['x-widget'] === 'mobile' || field.format === 'cn-mobile') {
      const result = checkMobile(String(value));
      if (!result.valid) result.errors.forEach((e) => add(key, e));
      value = result.normalized || value;
    } else if (field['x-widget'] === 'plate' || field.format === 'cn-plate') {
      const result = checkPlate(String(value));
      if (!result.valid) result.errors.forEach((e) => add(key, e));
      value = result.normalized || value;
    } else if (field['x-widget'] === 'cardType') {
      const allowed = context.cardTypes.filter((t) => t.recordKind === context.kind).map((t) => t.code);
      if (!allowed.includes(String(value))) {
        add(key, {
          code: 'unknown-card-type',
          message: `证件类型 "${String(value)}" 不可用，可选：${allowed.join('、')}`,
        });
      }
    } else if (field['x-widget'] === 'zones') {
      const list = Array.isArray(value)
        ? value.map(String)
        : String(value)
            .split(/[,，、\s]+/)
            .filter(Boolean);
      const unknown = list.filter((z) => !context.zones.includes(z));
      if (unknown.length) add(key, { code: 'unknown-zone', message: `区域 ${unknown.join('、')} 不存在` });
      value = list;
    } else if ((field.type === 'integer' || field.type === 'number') && typeof value === 'string') {
      const n = Number(value);
      if (!Number.isNaN(n)) value = n;
    }
    values[key] = value;
  }

  // Cross-checks: birth date and gender must agree with the ID number.
  if (idInfo) {
    const birthDate = values.birthDate;
    if (typeof birthDate === 'string' && idInfo.birthDate && birthDate !== idInfo.birthDate) {
      add('birthDate', {
        code: 'birth-date-mismatch',
        message: `出生日期 ${birthDate} 与证件号码中的出生日期 ${idInfo.birthDate} 不一致`,
      });
    }
    const gender = values.gender;
    if (typeof gender === 'string' && idInfo.gender && gender !== idInfo.gender) {
      add('gender', {
        code: 'gender-mismatch',
        message: `性别与证件号码不一致：号码显示为${idInfo.gender === 'M' ? '男' : '女'}`,
      });
    }
  }

  const validate = validatorFor(form);
  if (!validate(values)) {
    for (const error of localizeErrors(validate.errors as ErrorObject[])) {
      const key =
        error.keyword === 'required'
          ? String((error.params as { missingProperty?: string }).missingProperty)
          : error.instancePath.split('/')[1];
      if (!key) continue;
      // Photos arrive through their own upload after the record exists; a missing photo
      // blocks submission for review, not saving the record.
      if (error.keyword === 'required' && properties[key]?.['x-widget'] === 'photo') continue;
      // A field that already failed a shared rule keeps that clearer message alone.
      if (fields[key]?.length && error.keyword !== 'required') continue;
      const label = properties[key]?.['x-label'] ?? key;
      add(key, {
        code: error.keyword === 'required' ? 'required' : `schema-${error.keyword}`,
        message: error.keyword === 'required' ? `请填写${label}` : `${label}${error.message ?? '不符合要求'}`,
      });
    }
  }
  return { ok: Object.keys(fields).length === 0, values, fields };
}
