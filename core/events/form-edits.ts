// Edits the no-code form editor makes to a form (a JSON Schema per record kind), as pure functions:
// each takes a form and returns a new one, so the editor can keep undo-free immutable state and the
// rules are unit-tested once. Browser-safe.
import type { FormField, FormSchema } from '../types/generated/index.ts';
import type { FormWidgetName } from '../validation/form-keywords.ts';
import { newField, WIDGET_TYPES } from './field-catalog.ts';

export interface FormSection {
  label: string;
  description?: string;
  fields: string[];
}

const FIELD_KEY = /^[a-z][a-zA-Z0-9]{0,63}$/;

/** The form's sections; a form without `x-groups` is one section holding every field. */
export function sectionsOf(form: FormSchema): FormSection[] {
  const groups = form['x-groups'];
  if (groups && groups.length > 0) return groups.map((g) => ({ ...g, fields: [...g.fields] }));
  return [{ label: form['x-label'] || '基本信息', fields: Object.keys(form.properties) }];
}

/**
 * Writes sections back and puts `properties` in section order: that order is the form's field
 * order and the column order of the Excel collection template.
 */
function withSections(form: FormSchema, sections: FormSection[]): FormSchema {
  const kept = sections.filter((s) => s.fields.length > 0 || sections.length === 1);
  const order = kept.flatMap((s) => s.fields);
  const properties: FormSchema['properties'] = {};
  for (const key of order) if (form.properties[key]) properties[key] = form.properties[key];
  for (const [key, field] of Object.entries(form.properties))
    if (!(key in properties)) properties[key] = field;
  return {
    ...form,
    properties,
    'x-groups': kept.map((s) => ({
      label: s.label,
      ...(s.description ? { description: s.description } : {}),
      fields: s.fields,
    })) as FormSchema['x-groups'],
  };
}

export function isValidFieldKey(key: string): boolean {
  return FIELD_KEY.test(key);
}

/** Why a new field key cannot be used, or null when it can. */
export function fieldKeyProblem(form: FormSchema, key: string): string | null {
  if (!key) return '请填写字段名';
  if (!FIELD_KEY.test(key)) return '字段名须以小写字母开头，只含字母和数字，如 hotelName';
  if (key in form.properties) return `字段名 "${key}" 已存在`;
  return null;
}

/** `field1`, `field2`, … the first free one. */
export function suggestFieldKey(form: FormSchema, base = 'field'): string {
  for (let n = 1; ; n++) if (!(`${base}${n}` in form.properties)) return `${base}${n}`;
}

export function addField(
  form: FormSchema,
  key: string,
  field: FormField,
  opts: { section?: number; required?: boolean } = {},
): FormSchema {
  const problem = fieldKeyProblem(form, key);
  if (problem) throw new Error(problem);
  const sections = sectionsOf(form);
  const index = Math.min(Math.max(opts.section ?? sections.length - 1, 0), sections.length - 1);
  sections[index]!.fields.push(key);
  const next = withSections({ ...form, properties: { ...form.properties, [key]: field } }, sections);
  return opts.required ? setRequired(next, key, true) : next;
}

/** Removes a field and every mention of it (required, sections, other fields' visibility rules). */
export function removeField(form: FormSchema, key: string): FormSchema {
  const properties = { ...form.properties };
  delete properties[key];
  for (const [k, f] of Object.entries(properties)) {
    if (f && visibleIfOf(f)?.field === key) {
      const copy = { ...f } as FormField & { 'x-visibleIf'?: unknown };
      delete copy['x-visibleIf'];
      properties[k] = copy;
    }
  }
  const sections = sectionsOf(form).map((s) => ({ ...s, fields: s.fields.filter((f) => f !== key) }));
  const next = withSections({ ...form, properties }, sections);
  if (next.required) next.required = next.required.filter((k) => k !== key);
  return next;
}

/** Moves a field to position `toIndex` of section `toSection` (indices after removal). */
export function moveField(form: FormSchema, key: string, toSection: number, toIndex: number): FormSchema {
  const sections = sectionsOf(form).map((s) => ({ ...s, fields: s.fields.filter((f) => f !== key) }));
  const target = sections[Math.min(Math.max(toSection, 0), sections.length - 1)]!;
  target.fields.splice(Math.min(Math.max(toIndex, 0), target.fields.length), 0, key);
  return withSections(form, sections);
}

/** One step up or down, crossing into the neighbouring section at its edge. */
export function nudgeField(form: FormSchema, key: string, step: -1 | 1): FormSchema {
  const sections = sectionsOf(form);
  const s = sections.findIndex((sec) => sec.fields.includes(key));
  if (s < 0) return form;
  const i = sections[s]!.fields.indexOf(key);
  const j = i + step;
  if (j >= 0 && j < sections[s]!.fields.length) return moveField(form, key, s, j);
  const t = s + step;
  if (t < 0 || t >= sections.length) return form;
  return moveField(form, key, t, step < 0 ? sections[t]!.fields.length : 0);
}

export function setRequired(form: FormSchema, key: string, required: boolean): FormSchema {
  const list = (form.required ?? []).filter((k) => k !== key);
  if (required) {
    // Keep `required` in field order: easier to read in the exported plugin.
    const order = Object.keys(form.properties);
    list.push(key);
    list.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  }
  return { ...form, required: list };
}

export function replaceField(form: FormSchema, key: string, field: FormField): FormSchema {
  return { ...form, properties: { ...form.properties, [key]: field } };
}

export function addSection(form: FormSchema, label: string): FormSchema {
  return withSections(form, [...sectionsOf(form), { label, fields: [] }]);
}

export function updateSection(
  form: FormSchema,
  index: number,
  change: { label?: string; description?: string },
): FormSchema {
  const sections = sectionsOf(form);
  const section = sections[index];
  if (!section) return form;
  if (change.label !== undefined) section.label = change.label;
  if (change.description !== undefined) section.description = change.description || undefined;
  return withSections(form, sections);
}

/** Removes a section; its fields join the section before it (or after it, for the first). */
export function removeSection(form: FormSchema, index: number): FormSchema {
  const sections = sectionsOf(form);
  if (sections.length <= 1 || !sections[index]) return form;
  const [removed] = sections.splice(index, 1);
  const heir = sections[Math.max(index - 1, 0)]!;
  if (index === 0) heir.fields.unshift(...removed!.fields);
  else heir.fields.push(...removed!.fields);
  return withSections(form, sections);
}

export function moveSection(form: FormSchema, index: number, step: -1 | 1): FormSchema {
  const sections = sectionsOf(form);
  const j = index + step;
  if (!sections[index] || j < 0 || j >= sections.length) return form;
  [sections[index], sections[j]] = [sections[j]!, sections[index]!];
  return withSections(form, sections);
}

/**
 * A field with another widget: what describes the field for people (label, help, placeholder,
 * width, Excel headers, visibility) stays; what belongs to the old widget goes.
 */
export function changeWidget(field: FormField, widget: FormWidgetName): FormField {
  if (field['x-widget'] === widget) return field;
  const fresh = newField(widget, field['x-label']);
  const keep: (keyof FormField | 'x-visibleIf')[] = [
    'x-help',
    'x-placeholder',
    'x-width',
    'x-excelHeaders',
    'description',
    'x-visibleIf',
  ];
  const out = { ...fresh } as Record<string, unknown>;
  for (const k of keep)
    if ((field as unknown as Record<string, unknown>)[k] !== undefined)
      out[k] = (field as unknown as Record<string, unknown>)[k];
  out.type = WIDGET_TYPES[widget];
  return out as unknown as FormField;
}

/** The field's options as value/label pairs (oneOf, enum, or the items of a multi-value field). */
export function optionsOf(field: FormField): { value: string | number; label: string }[] {
  const holder = field.type === 'array' ? field.items : field;
  if (!holder) return [];
  if (holder.oneOf) return holder.oneOf.map((o) => ({ value: o.const, label: o.title }));
  if (holder.enum) return holder.enum.map((v) => ({ value: v as string | number, label: String(v) }));
  return [];
}

/** Sets a choice field's options; a multi-value field keeps them on its items. */
export function withOptions(field: FormField, options: { value: string; label: string }[]): FormField {
  const oneOf = options.map((o) => ({ const: o.value, title: o.label || o.value }));
  if (field.type === 'array') {
    const items = { ...(field.items ?? { type: 'string' as const }) };
    delete items.enum;
    return { ...field, items: { ...items, oneOf: oneOf as NonNullable<typeof items.oneOf> } };
  }
  const copy = { ...field };
  delete copy.enum;
  return { ...copy, oneOf: oneOf as NonNullable<FormField['oneOf']> };
}

/** `x-visibleIf` of a field, read loosely so the editor works with any form. */
export function visibleIfOf(
  field: FormField,
): { field: string; in?: unknown[]; notIn?: unknown[] } | undefined {
  const rule = (field as unknown as Record<string, unknown>)['x-visibleIf'];
  if (rule && typeof rule === 'object' && typeof (rule as { field?: unknown }).field === 'string') {
    return rule as { field: string; in?: unknown[]; notIn?: unknown[] };
  }
  return undefined;
}
