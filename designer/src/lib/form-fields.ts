// The generated form's field model: one FieldDef per property of the event's JSON Schema form,
// in declaration order, with the widget, options and layout resolved from the `x-` hints.
import type { FieldSchema, FormCardType, FormResponse, FormZone, RecordValues } from './types';

export type Widget =
  | 'text'
  | 'textarea'
  | 'select'
  | 'radio'
  | 'checkbox'
  | 'date'
  | 'number'
  | 'idNumber'
  | 'mobile'
  | 'plate'
  | 'photo'
  | 'cardType'
  | 'zones';

export type ValueType = 'string' | 'number' | 'integer' | 'boolean' | 'array';

export interface FieldOption {
  value: string;
  label: string;
  /** Important card types are marked in the select. */
  important?: boolean;
  color?: string | null;
}

export interface FieldDef {
  key: string;
  label: string;
  widget: Widget;
  type: ValueType;
  required: boolean;
  options: FieldOption[];
  placeholder: string;
  help: string;
  /** Columns of the 12-column grid. */
  width: number;
  maxLength: number | null;
  minLength: number | null;
  minimum: number | null;
  maximum: number | null;
  sensitive: boolean;
  schema: FieldSchema;
}

const WIDGETS: readonly Widget[] = [
  'text',
  'textarea',
  'select',
  'radio',
  'checkbox',
  'date',
  'number',
  'idNumber',
  'mobile',
  'plate',
  'photo',
  'cardType',
  'zones',
];

/** Widgets whose value is an identifier typed in monospace. */
export const MONO_WIDGETS: ReadonlySet<Widget> = new Set(['idNumber', 'mobile', 'plate']);

function schemaType(schema: FieldSchema): ValueType {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  for (const t of types) {
    if (t === 'number' || t === 'integer' || t === 'boolean' || t === 'array') return t;
  }
  return 'string';
}

function guessWidget(schema: FieldSchema, type: ValueType): Widget {
  const hint = schema['x-widget'];
  if (hint && (WIDGETS as readonly string[]).includes(hint)) return hint as Widget;
  if (type === 'boolean') return 'checkbox';
  if (type === 'number' || type === 'integer') return 'number';
  if (schema.format === 'date') return 'date';
  if (schema.oneOf || schema.enum) return 'select';
  return 'text';
}

function schemaOptions(schema: FieldSchema): FieldOption[] {
  if (schema.oneOf)
    return schema.oneOf.map((o) => ({ value: String(o.const), label: o.title ?? String(o.const) }));
  if (schema.enum) return schema.enum.map((v) => ({ value: String(v), label: String(v) }));
  return [];
}

function cardTypeOptions(schema: FieldSchema, kind: string, cardTypes: FormCardType[]): FieldOption[] {
  const allowed = schema.enum?.map(String) ?? schema.oneOf?.map((o) => String(o.const));
  return cardTypes
    .filter(
      (c) => (c.recordKind === undefined || c.recordKind === kind) && (!allowed || allowed.includes(c.code)),
    )
    .map((c) => ({ value: c.code, label: c.name, important: c.important }));
}

function zoneOptions(schema: FieldSchema, zones: FormZone[]): FieldOption[] {
  const items = schema.items;
  const allowed = items?.enum?.map(String) ?? items?.oneOf?.map((o) => String(o.const));
  return zones
    .filter((z) => !allowed || allowed.includes(z.code))
    .map((z) => ({ value: z.code, label: z.name, color: z.color }));
}

function clampWidth(width: number | undefined, widget: Widget): number {
  if (typeof width === 'number' && Number.isFinite(width))
    return Math.min(12, Math.max(1, Math.round(width)));
  return widget === 'textarea' || widget === 'zones' ? 12 : 6;
}

function num(value: number | undefined): number | null {
  return typeof value === 'number' ? value : null;
}

export function buildFields(form: FormResponse): FieldDef[] {
  const required = new Set([...(form.required ?? []), ...(form.schema.required ?? [])]);
  return Object.entries(form.schema.properties ?? {}).map(([key, schema]) => {
    const type = schemaType(schema);
    const widget = guessWidget(schema, type);
    const options =
      widget === 'cardType'
        ? cardTypeOptions(schema, form.kind, form.cardTypes)
        : widget === 'zones'
          ? zoneOptions(schema, form.zones)
          : schemaOptions(schema);
    return {
      key,
      label: schema['x-label'] ?? schema.title ?? key,
      widget,
      type: widget === 'zones' ? 'array' : type,
      required: required.has(key),
      options,
      placeholder: schema['x-placeholder'] ?? '',
      help: schema['x-help'] ?? schema.description ?? '',
      width: clampWidth(schema['x-width'], widget),
      maxLength: num(schema.maxLength),
      minLength: num(schema.minLength),
      minimum: num(schema.minimum),
      maximum: num(schema.maximum),
      sensitive: schema['x-sensitive'] === true,
      schema,
    };
  });
}

/** The starting values of a new record: schema defaults. */
export function defaultValues(fields: FieldDef[]): RecordValues {
  const values: RecordValues = {};
  for (const f of fields) {
    const d = f.schema.default;
    if (d !== undefined) values[f.key] = Array.isArray(d) ? [...(d as unknown[])] : d;
    else if (f.widget === 'zones') values[f.key] = [];
    else if (f.widget === 'checkbox') values[f.key] = false;
  }
  return values;
}

/** True for a value the user has not filled in. */
export function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    (typeof value === 'string' && value.trim() === '') ||
    (Array.isArray(value) && value.length === 0)
  );
}

/** A masked ID number as the server sends it (`110101********1234`). */
export function isMasked(value: unknown): boolean {
  return typeof value === 'string' && value.includes('*');
}

/** Label of a coded value (select/radio/cardType), for lists. */
export function optionLabel(field: FieldDef | undefined, value: unknown): string {
  if (isEmpty(value)) return '—';
  const text = String(value);
  return field?.options.find((o) => o.value === text)?.label ?? text;
}
