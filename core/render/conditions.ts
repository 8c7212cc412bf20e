import type { Condition } from '../types/generated/index.ts';

/** A value as a layout condition sees it: arrays (zones) are compared member by member. */
type Scalar = string | number | boolean;

const isBlank = (v: unknown): boolean =>
  v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

function members(v: unknown): Scalar[] {
  if (Array.isArray(v))
    return v.filter((x): x is Scalar => ['string', 'number', 'boolean'].includes(typeof x));
  return ['string', 'number', 'boolean'].includes(typeof v) ? [v as Scalar] : [];
}

/** `1` and `"1"` are equal: values arrive from spreadsheets as text and from forms as numbers. */
const same = (a: Scalar, b: Scalar): boolean => a === b || String(a) === String(b);

/** True when `value` equals `expected`, or, for a list (zones), when one member does. */
export function valueEquals(value: unknown, expected: unknown): boolean {
  const want = members(expected);
  return members(value).some((m) => want.some((w) => same(m, w)));
}

/** True when `value` (or one of its members) is one of `list`. */
export function valueIn(value: unknown, list: readonly unknown[]): boolean {
  return members(value).some((m) =>
    list.some((w) => ['string', 'number', 'boolean'].includes(typeof w) && same(m, w as Scalar)),
  );
}

export const valueIsEmpty = isBlank;

/**
 * One rule for layout conditions (visibleIf, styleRules) wherever they are decided: the
 * compiled template's helpers and the renderer's own checks call this.
 */
export function testCondition(cond: Condition, value: unknown): boolean {
  switch (cond.op) {
    case 'eq':
      return valueEquals(value, cond.value);
    case 'ne':
      return !valueEquals(value, cond.value);
    case 'in':
      return valueIn(value, Array.isArray(cond.value) ? cond.value : [cond.value]);
    case 'notIn':
      return !valueIn(value, Array.isArray(cond.value) ? cond.value : [cond.value]);
    case 'empty':
      return isBlank(value);
    case 'notEmpty':
      return !isBlank(value);
  }
}
