// The generated form's field model: one FieldDef per property of the event's JSON Schema form,
// in declaration order, with the widget, options and layout resolved from the `x-` hints, and the
// form's sections (`x-groups`). Emptiness and masked ID numbers are core's (one rule everywhere).
import type { FormFieldLike, FormSchemaLike } from '@core/forms/form-like.ts';
import { isEmptyValue } from '@core/forms/check-record.ts';
import type { FormCardType, FormResponse, FormZone, RecordValues } from './types';

export { isMaskedIdNumber } from '@core/forms/masked.ts';

/** A property of a form's JSON Schema (the engine's FormField or the HTTP response's mirror). */
type FieldSchema = FormFieldLike;

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
  const types = typeof schema.type === 'string' ? [schema.type] : [...(schema.type ?? [])];
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

function cardTypeOptions(
  schema: FieldSchema,
  kind: string | undefined,
  cardTypes: readonly FormCardType[],
): FieldOption[] {
  const allowed = schema.enum?.map(String) ?? schema.oneOf?.map((o) => String(o.const));
  return cardTypes
    .filter(
      (c) =>
        (c.recordKind === undefined || kind === undefined || c.recordKind === kind) &&
        (!allowed || allowed.includes(c.code)),
    )
    .map((c) => ({ value: c.code, label: c.name, important: c.important }));
}

function zoneOptions(schema: FieldSchema, zones: readonly FormZone[]): FieldOption[] {
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

export interface FieldContext {
  /** The record kind (card types of other kinds are not offered); default: the form's `x-recordKind`. */
  kind?: string;
  cardTypes?: readonly FormCardType[];
  zones?: readonly FormZone[];
  /** Required keys besides the schema's own `required`. */
  required?: readonly string[];
}

/** The fields of a form schema, in declaration order. */
export function buildFieldsFromSchema(schema: FormSchemaLike, context: FieldContext = {}): FieldDef[] {
  const required = new Set([...(context.required ?? []), ...(schema.required ?? [])]);
  const kind = context.kind ?? schema['x-recordKind'];
  return Object.entries(schema.properties ?? {}).flatMap(([key, field]) => {
    if (!field) return [];
    const type = schemaType(field);
    const widget = guessWidget(field, type);
    const options =
      widget === 'cardType'
        ? cardTypeOptions(field, kind, context.cardTypes ?? [])
        : widget === 'zones'
          ? zoneOptions(field, context.zones ?? [])
          : schemaOptions(field);
    return [
      {
        key,
        label: field['x-label'] || field.title || key,
        widget,
        type: widget === 'zones' ? 'array' : type,
        required: required.has(key),
        options,
        placeholder: field['x-placeholder'] ?? '',
        help: field['x-help'] ?? field.description ?? '',
        width: clampWidth(field['x-width'], widget),
        maxLength: num(field.maxLength),
        minLength: num(field.minLength),
        minimum: num(field.minimum),
        maximum: num(field.maximum),
        sensitive: field['x-sensitive'] === true,
        schema: field,
      },
    ];
  });
}

/** The fields of a form as the server sends it. */
export function buildFields(form: FormResponse): FieldDef[] {
  return buildFieldsFromSchema(form.schema, {
    kind: form.kind,
    cardTypes: form.cardTypes,
    zones: form.zones,
    required: form.required,
  });
}

/** One section of the form (`x-groups`); `label` null for a form without sections. */
export interface FieldSection {
  label: string | null;
  description: string;
  fields: FieldDef[];
}

/**
 * The form's sections in order (`x-groups`), each with its fields in the group's order. Fields
 * in no group (the plugin host warns about them) follow in a last section, so that nothing the
 * form requires is out of reach. A form without `x-groups` is one unnamed section.
 */
export function buildSections(schema: FormSchemaLike, fields: FieldDef[]): FieldSection[] {
  const groups = schema['x-groups'];
  if (!groups || groups.length === 0) return [{ label: null, description: '', fields }];
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const placed = new Set<string>();
  const sections: FieldSection[] = groups.map((g) => ({
    label: g.label,
    description: g.description ?? '',
    fields: g.fields.flatMap((key) => {
      const field = byKey.get(key);
      if (!field || placed.has(key)) return [];
      placed.add(key);
      return [field];
    }),
  }));
  const rest = fields.filter((f) => !placed.has(f.key));
  if (rest.length > 0) sections.push({ label: '其他', description: '', fields: rest });
  return sections.filter((s) => s.fields.length > 0);
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
export const isEmpty: (value: unknown) => boolean = isEmptyValue;

/** Label of a coded value (select/radio/cardType), for lists. */
export function optionLabel(field: FieldDef | undefined, value: unknown): string {
  if (isEmpty(value)) return '—';
  const text = String(value);
  return field?.options.find((o) => o.value === text)?.label ?? text;
}
