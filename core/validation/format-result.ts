/** One reason why a value failed a format check. `code` is stable kebab-case; `message` is Chinese, for people. */
export interface FormatIssue {
  code: string;
  message: string;
}

/**
 * Result of a pure format check. `normalized` is the canonical spelling of the input (full-width
 * characters folded, blanks removed, letters upper-cased …) whether or not it is valid, so that
 * a caller can show the cleaned value and store one spelling only. A normalised value is never a
 * repaired one: a check that fails stays failed.
 */
export interface FormatCheckResult {
  valid: boolean;
  normalized: string;
  errors: FormatIssue[];
}

/** Folds full-width ASCII (ＡＢＣ１２３．－／) to half-width and the ideographic space U+3000 to a space. */
export function toHalfWidth(input: string): string {
  return input
    .replace(/[\uFF01-\uFF5E]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ');
}

/**
 * Every kind of blank a spreadsheet cell or a copy from a web page or PDF carries: white space
 * (incl. U+3000 and no-break spaces), zero-width space/joiners, word joiner, BOM, soft hyphen and
 * the Mongolian vowel separator.
 */
const BLANKS = /[\s\u00A0\u00AD\u180E\u200B-\u200D\u2060\uFEFF]/g;
const EDGE_BLANKS =
  /^[\s\u00A0\u00AD\u180E\u200B-\u200D\u2060\uFEFF]+|[\s\u00A0\u00AD\u180E\u200B-\u200D\u2060\uFEFF]+$/g;

/** Removes every blank (see BLANKS), wherever it is. */
export function stripBlanks(input: string): string {
  return input.replace(BLANKS, '');
}

/** Removes blanks at both ends only (names, free text). */
export function trimBlanks(input: string): string {
  return input.replace(EDGE_BLANKS, '');
}

/** `YYYY-MM-DD` when y-m-d is a real date of the proleptic Gregorian calendar, else null. */
export function isoDate(y: number, m: number, d: number): string | null {
  if (!Number.isInteger(y) || !Number.isInteger(m) || !Number.isInteger(d)) return null;
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return null;
  const date = new Date(Date.UTC(2000, m - 1, d));
  date.setUTCFullYear(y);
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** The calendar day of `date` in the local time zone (the user's "today"), as `YYYY-MM-DD`. */
export function localIsoDay(date: Date): string {
  return `${String(date.getFullYear()).padStart(4, '0')}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(
    date.getDate(),
  ).padStart(2, '0')}`;
}
