import { fullFormats } from 'ajv-formats/dist/formats.js';
import { crossCheckPerson } from '../validation/cross-check.ts';
import { fieldRule, normalizeFieldValue } from '../validation/fields.ts';
import { fieldLabel, type FormFieldLike, type FormSchemaLike } from './form-like.ts';
import { isMaskedIdNumber } from './masked.ts';
import { isFieldVisible } from './visibility.ts';

/**
 * The record rules of a generated form, written once for the browser and the server
 * (browser-safe: no Node APIs, no ajv compilation — the page's CSP forbids eval).
 *
 * checkRecordFields runs, per visible field of the form:
 * 1. normalisation and the field's data rule (normalizeFieldValue: ID numbers against the
 *    record's `idType`, mobiles, plates, dates), card types and zones of the event;
 * 2. required, type (integer/number/boolean/array, numeric text read as a number), enum/oneOf
 *    membership, minLength/maxLength (characters, not UTF-16 units), pattern (`u` flag),
 *    minimum/maximum/exclusive*, multipleOf, formats (email, uri, date-time …), array items,
 *    minItems/maxItems/uniqueItems;
 * 3. cross-checks: birth date and gender against the ID number.
 * Fields hidden by `x-visibleIf` are neither required nor checked, and their values dropped.
 * One field gets the messages of its first failing step only.
 *
 * The server (core/records/validate-record.ts) runs this and then the form's JSON Schema with
 * ajv as a backstop, for `allOf` if/then rules; everything else it accepts exactly when this does.
 */

export interface FieldIssue {
  code: string;
  message: string;
}

export interface RecordCheckContext {
  /** The record kind of the form (card types are filtered by it). */
  kind: string;
  /** The event's card types; ones with another `recordKind` are not offered. */
  cardTypes: readonly { code: string; recordKind?: string }[];
  /** The event's zone codes. */
  zones: readonly string[];
  /**
   * Masked values as the server sent them, by field (the designer's edit form). A field whose
   * value still equals its masked original is the stored number, which the server keeps: it is
   * accepted without checks (and kept as is in `values`; the caller leaves it out of what it sends).
   * Any other masked-looking ID number is an error. The server passes nothing here: it swaps the
   * unchanged masked value for the stored number before validating.
   */
  maskedOriginal?: Readonly<Record<string, unknown>>;
  /** "Today" for date rules (birth dates in the future); defaults to now. */
  today?: Date;
}

export interface RecordCheck {
  /** No errors (warnings do not count): the record may be saved. */
  ok: boolean;
  /**
   * Normalised values of the visible fields (blanks trimmed, ID numbers, plates, mobiles and dates
   * in canonical spelling, numeric text as numbers); empty, hidden and unknown fields dropped.
   */
  values: Record<string, unknown>;
  /** Errors by field key: unknown keys first, then in form order. */
  fields: Record<string, FieldIssue[]>;
  /**
   * Problems that do not block saving. Today only a required photo that is missing (code
   * `photo-required`): photos are uploaded after the record exists, so a missing photo blocks
   * submitting the record for review, not saving it.
   */
  warnings: Record<string, FieldIssue[]>;
  /** `ok` and no warnings: the record is complete enough to submit for review. */
  complete: boolean;
  /** Keys hidden by `x-visibleIf` for these values, in form order. */
  hidden: string[];
}

/** Widgets whose empty value reads "请选择…" rather than "请填写…". */
const CHOICE_WIDGETS = new Set(['select', 'radio', 'checkbox', 'cardType', 'zones', 'date']);

export function isEmptyValue(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    (typeof value === 'string' && value.trim() === '') ||
    (Array.isArray(value) && value.length === 0)
  );
}

function jsonTypes(field: FormFieldLike): string[] {
  if (field.type === undefined) return [];
  return typeof field.type === 'string' ? [field.type] : [...field.type];
}

function mainType(field: FormFieldLike): string {
  const types = jsonTypes(field);
  if (field['x-widget'] === 'zones') return 'array';
  return types.find((t) => t !== 'null') ?? 'string';
}

/** The required-field message: "请填写姓名" / "请选择性别" / "请上传照片". */
export function requiredMessage(field: FormFieldLike | undefined, label: string): string {
  const widget = field?.['x-widget'] ?? '';
  if (widget === 'photo') return `请上传${label}`;
  return `请${CHOICE_WIDGETS.has(widget) ? '选择' : '填写'}${label}`;
}

type FormatCheck = RegExp | ((s: string) => boolean) | { validate: RegExp | ((s: string) => boolean) };

function formatOk(format: string, value: string): boolean {
  const known = (fullFormats as unknown as Record<string, FormatCheck | undefined>)[format];
  if (!known) return true;
  const check = known instanceof RegExp || typeof known === 'function' ? known : known.validate;
  return check instanceof RegExp ? check.test(value) : check(value);
}

const FORMAT_LABELS: Record<string, string> = {
  date: '日期（YYYY-MM-DD）',
  'date-time': '日期时间',
  email: '电子邮箱地址',
  uri: '网址',
  'cn-id-number': '居民身份证号码',
  'cn-mobile': '手机号码',
  'cn-plate': '车牌号码',
};

/** Reads text as the field's JSON type: `"12"` → 12 for numbers, `"true"` → true for booleans. */
function coerce(type: string, value: unknown): unknown {
  if ((type === 'integer' || type === 'number') && typeof value === 'string') {
    const n = Number(value.trim());
    return value.trim() !== '' && Number.isFinite(n) ? n : value;
  }
  if (type === 'boolean' && typeof value === 'string') {
    const t = value.trim().toLowerCase();
    return t === 'true' ? true : t === 'false' ? false : value;
  }
  if (type === 'string' && typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (type === 'string' && typeof value === 'string') return value.trim();
  return value;
}

function options(field: FormFieldLike): unknown[] | null {
  if (field.oneOf) return field.oneOf.map((o) => o.const);
  if (field.enum) return [...field.enum];
  return null;
}

const isInteger = (v: number) => Number.isInteger(v);

/**
 * The JSON-Schema-level checks of one value (or one array item, `label` naming it); null when it
 * passes. Mirrors what ajv would say about the keywords a form field may use.
 */
function checkScalar(field: FormFieldLike, value: unknown, label: string): FieldIssue | null {
  const type = mainType(field);
  switch (type) {
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value))
        return { code: 'type', message: `${label}应为数字` };
      if (type === 'integer' && !isInteger(value)) return { code: 'type', message: `${label}应为整数` };
      break;
    }
    case 'boolean':
      if (typeof value !== 'boolean') return { code: 'type', message: `${label}的取值无效` };
      break;
    case 'string':
      if (typeof value !== 'string') return { code: 'type', message: `${label}应为文本` };
      break;
    default:
      break;
  }
  const allowed = options(field);
  if (allowed && !allowed.some((o) => o === value)) {
    return { code: 'enum', message: `${label}"${String(value)}"不在可选范围内，请从列表中选择` };
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (field.minLength !== undefined && length < field.minLength)
      return {
        code: 'minLength',
        message: field.minLength === 1 ? `请填写${label}` : `${label}至少 ${field.minLength} 个字符`,
      };
    if (field.maxLength !== undefined && length > field.maxLength)
      return { code: 'maxLength', message: `${label}不能超过 ${field.maxLength} 个字符` };
    if (field.pattern !== undefined && !new RegExp(field.pattern, 'u').test(value))
      return { code: 'pattern', message: `${label}格式不正确` };
    if (field.format !== undefined && !formatOk(field.format, value))
      return {
        code: 'format',
        message: `${label}格式不正确，应为${FORMAT_LABELS[field.format] ?? field.format}`,
      };
  }
  if (typeof value === 'number') {
    if (field.minimum !== undefined && value < field.minimum)
      return { code: 'minimum', message: `${label}不能小于 ${field.minimum}` };
    if (field.maximum !== undefined && value > field.maximum)
      return { code: 'maximum', message: `${label}不能大于 ${field.maximum}` };
    if (field.exclusiveMinimum !== undefined && value <= field.exclusiveMinimum)
      return { code: 'exclusiveMinimum', message: `${label}应大于 ${field.exclusiveMinimum}` };
    if (field.exclusiveMaximum !== undefined && value >= field.exclusiveMaximum)
      return { code: 'exclusiveMaximum', message: `${label}应小于 ${field.exclusiveMaximum}` };
    if (field.multipleOf !== undefined && !isInteger(Number((value / field.multipleOf).toPrecision(12))))
      return { code: 'multipleOf', message: `${label}应为 ${field.multipleOf} 的整数倍` };
  }
  return null;
}

function checkArray(field: FormFieldLike, list: unknown[], label: string): FieldIssue | null {
  if (field.minItems !== undefined && list.length < field.minItems)
    return { code: 'minItems', message: `${label}至少选择 ${field.minItems} 项` };
  if (field.maxItems !== undefined && list.length > field.maxItems)
    return { code: 'maxItems', message: `${label}最多选择 ${field.maxItems} 项` };
  if (field.uniqueItems) {
    const seen = new Set<string>();
    for (const item of list) {
      const k = JSON.stringify(item);
      if (seen.has(k)) return { code: 'uniqueItems', message: `${label}中"${String(item)}"重复` };
      seen.add(k);
    }
  }
  if (field.items) {
    for (const item of list) {
      const issue = checkScalar(field.items, item, label);
      if (issue) return issue;
    }
  }
  return null;
}

/** Text of a multi-value field split into items ("A,B、C" → ["A", "B", "C"]). */
function toList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string')
    return value
      .split(/[,，、;；\s]+/)
      .map((s) => s.trim())
      .filter(Boolean);
  return [value];
}

interface Prepared {
  key: string;
  field: FormFieldLike;
  label: string;
  empty: boolean;
  value: unknown;
  errors: FieldIssue[];
  /** An unchanged masked ID number: accepted as is. */
  keep: boolean;
  id?: { birthDate: string | null; gender: 'M' | 'F' | null };
}

/**
 * Normalises one field value and applies its data rule (step 1 of the module comment).
 * `idType` is the record's normalised document type, for ID number fields.
 */
function prepare(
  key: string,
  field: FormFieldLike,
  label: string,
  raw: unknown,
  idType: unknown,
  context: RecordCheckContext,
): Prepared {
  const type = mainType(field);
  const widget = field['x-widget'];
  const base = { key, field, label, keep: false };
  if (isEmptyValue(raw)) return { ...base, empty: true, value: undefined, errors: [] };

  if (type === 'array') {
    const itemType = field.items?.type === 'integer' ? 'integer' : 'string';
    const list = toList(raw).map((item) => coerce(itemType, item));
    if (list.length === 0) return { ...base, empty: true, value: undefined, errors: [] };
    const errors: FieldIssue[] = [];
    if (widget === 'zones') {
      const unknown = list.filter((z) => !context.zones.includes(String(z)));
      if (unknown.length)
        errors.push({ code: 'unknown-zone', message: `区域 ${unknown.map(String).join('、')} 不存在` });
    }
    return { ...base, empty: false, value: list, errors };
  }

  let rule = fieldRule(field);
  if (rule === 'date' && field.format === 'date-time') rule = null;

  if (rule === 'id-number' && isMaskedIdNumber(raw)) {
    const original = context.maskedOriginal?.[key];
    if (original !== undefined && typeof raw === 'string' && raw.trim() === String(original).trim())
      return { ...base, keep: true, empty: false, value: raw, errors: [] };
    return {
      ...base,
      empty: false,
      value: raw,
      errors: [{ code: 'masked-id-number', message: `${label}为脱敏显示的号码，请填写完整号码` }],
    };
  }

  if (rule) {
    const result = normalizeFieldValue({ 'x-widget': widget, format: field.format, type: field.type }, raw, {
      idType,
      today: context.today,
    });
    const id = result.id?.valid ? { birthDate: result.id.birthDate, gender: result.id.gender } : undefined;
    return { ...base, empty: false, value: result.value, errors: result.errors, id };
  }

  const value = coerce(type, raw);
  if (typeof value === 'string' && value === '')
    return { ...base, empty: true, value: undefined, errors: [] };
  const errors: FieldIssue[] = [];
  if (widget === 'cardType') {
    const allowed = context.cardTypes
      .filter((t) => t.recordKind === undefined || t.recordKind === context.kind)
      .map((t) => t.code);
    if (!allowed.includes(String(value))) {
      errors.push({
        code: 'unknown-card-type',
        message: `证件类型 "${String(value)}" 不可用，可选：${allowed.join('、')}`,
      });
    }
  }
  return { ...base, empty: false, value, errors };
}

/** Everything the server checks about a record except its JSON Schema `allOf` rules (see above). */
export function checkRecordFields(
  form: FormSchemaLike,
  input: Readonly<Record<string, unknown>>,
  context: RecordCheckContext,
): RecordCheck {
  const fields: Record<string, FieldIssue[]> = {};
  const warnings: Record<string, FieldIssue[]> = {};
  const add = (key: string, issue: FieldIssue) => (fields[key] ??= []).push(issue);
  const properties = form.properties;
  const required = new Set(form.required ?? []);

  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(properties, key) || !properties[key])
      add(key, { code: 'unknown-field', message: `表单中没有字段 "${key}"` });
  }

  // 1. Normalise every field first: visibility and the ID number rule read other fields' values.
  const idTypeField = properties.idType;
  const idType =
    idTypeField && !isEmptyValue(input.idType) ? coerce(mainType(idTypeField), input.idType) : undefined;
  const prepared: Prepared[] = [];
  const normalized: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(properties)) {
    if (!field) continue;
    const p = prepare(key, field, fieldLabel(form, key), input[key], idType, context);
    prepared.push(p);
    if (!p.empty) normalized[key] = p.value;
  }

  // 2. Visibility, then the checks of each shown field.
  const hidden: string[] = [];
  const values: Record<string, unknown> = {};
  let idInfo: { value: unknown; birthDate: string | null; gender: 'M' | 'F' | null } | undefined;
  for (const p of prepared) {
    if (!isFieldVisible(form, p.key, normalized)) {
      hidden.push(p.key);
      continue;
    }
    if (p.empty) {
      if (!required.has(p.key)) continue;
      const issue = { code: 'required', message: requiredMessage(p.field, p.label) };
      if (p.field['x-widget'] === 'photo')
        (warnings[p.key] ??= []).push({ ...issue, code: 'photo-required' });
      else add(p.key, issue);
      continue;
    }
    values[p.key] = p.value;
    if (p.keep) continue;
    if (p.errors.length > 0) {
      p.errors.forEach((e) => add(p.key, { code: e.code, message: e.message }));
      continue;
    }
    const issue =
      Array.isArray(p.value) && mainType(p.field) === 'array'
        ? checkArray(p.field, p.value, p.label)
        : checkScalar(p.field, p.value, p.label);
    if (issue) add(p.key, issue);
    else if (p.id && !idInfo) idInfo = { value: p.value, ...p.id };
  }

  // 3. Cross-checks: birth date and gender must agree with the ID number.
  if (idInfo && (values.birthDate !== undefined || values.gender !== undefined)) {
    const cross = crossCheckPerson({
      idNumber: idInfo.value,
      birthDate: fields.birthDate ? undefined : values.birthDate,
      gender: fields.gender ? undefined : values.gender,
      idType: typeof idType === 'string' ? idType : undefined,
      today: context.today,
    });
    for (const e of cross.errors) add(e.field, { code: e.code, message: e.message });
  }

  const ok = Object.keys(fields).length === 0;
  return { ok, values, fields, warnings, complete: ok && Object.keys(warnings).length === 0, hidden };
}
