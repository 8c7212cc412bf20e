import type { FormSchemaLike } from './form-like.ts';

/**
 * Conditional visibility (`x-visibleIf`), the same in the browser and on the server.
 *
 * `{ "field": "idType", "in": ["4", "5"] }` shows a field only while the value of `idType` is
 * one of the listed values (for an array field: while any element is); `notIn` shows it while
 * the value is none of them, or empty. Values compare by their text (`1` matches `"1"`), strings
 * trimmed. A field controlled by a hidden field sees that field as empty. A hidden field is not
 * required, not validated, and its value is not stored (see checkRecordFields).
 */

function isEmptyValue(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    (typeof value === 'string' && value.trim() === '') ||
    (Array.isArray(value) && value.length === 0)
  );
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function matches(value: unknown, list: readonly unknown[]): boolean {
  const wanted = new Set(list.map(text).filter((t): t is string => t !== null));
  const items = Array.isArray(value) ? value : [value];
  return items.some((item) => {
    const t = text(item);
    return t !== null && wanted.has(t);
  });
}

function visible(
  form: FormSchemaLike,
  key: string,
  values: Readonly<Record<string, unknown>>,
  seen: Set<string>,
): boolean {
  const condition = form.properties[key]?.['x-visibleIf'];
  if (!condition) return true;
  const controller = condition.field;
  // A cycle (the plugin host rejects it) or a self-reference: ignore the condition.
  if (seen.has(controller) || controller === key) return true;
  seen.add(key);
  const controllerShown =
    form.properties[controller] !== undefined && visible(form, controller, values, seen);
  const value = controllerShown ? values[controller] : undefined;
  const empty = isEmptyValue(value);
  if (condition.in) return !empty && matches(value, condition.in);
  if (condition.notIn) return empty || !matches(value, condition.notIn);
  return true;
}

/** Whether the field `key` is shown for these values (true for a field without `x-visibleIf`). */
export function isFieldVisible(
  form: FormSchemaLike,
  key: string,
  values: Readonly<Record<string, unknown>>,
): boolean {
  return visible(form, key, values, new Set());
}

/** The keys of the fields shown for these values, in form order. */
export function visibleFieldKeys(form: FormSchemaLike, values: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(form.properties).filter((key) => isFieldVisible(form, key, values));
}

/** The keys of the fields hidden by `x-visibleIf` for these values, in form order. */
export function hiddenFieldKeys(form: FormSchemaLike, values: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(form.properties).filter((key) => !isFieldVisible(form, key, values));
}
