export type SortValue = string | number | boolean | null | undefined;

export interface Column<T> {
  key: string;
  label: string;
  /** The value to sort by; a column without it is not sortable. */
  sort?: (row: T) => SortValue;
  align?: 'left' | 'right' | 'center';
  width?: string;
  /** Extra class on the column's cells. */
  class?: string;
}

export interface SortState {
  key: string;
  dir: 'asc' | 'desc';
}

const collator = new Intl.Collator('zh-CN', { numeric: true, sensitivity: 'base' });

function rank(value: SortValue): number {
  return value === null || value === undefined || value === '' ? 1 : 0;
}

/** Compare two sort values; empty values always sort last. */
export function compareValues(a: SortValue, b: SortValue, dir: 'asc' | 'desc'): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 1) return 0;
  let result: number;
  if (typeof a === 'number' && typeof b === 'number') result = a - b;
  else if (typeof a === 'boolean' && typeof b === 'boolean') result = Number(a) - Number(b);
  else result = collator.compare(String(a), String(b));
  return dir === 'asc' ? result : -result;
}

/** Rows matching every whitespace-separated term of `query` (case-insensitive). */
export function matchesQuery(text: string, query: string): boolean {
  const terms = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return true;
  const haystack = text.toLowerCase();
  return terms.every((t) => haystack.includes(t));
}
