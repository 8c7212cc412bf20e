/** One reason why a value failed a format check. `code` is stable; `message` is Chinese, for people. */
export interface FormatIssue {
  code: string;
  message: string;
}

/**
 * Result of a pure format check. `normalized` is the canonical spelling of the input (full-width
 * characters folded, blanks removed, letters upper-cased …) whether or not it is valid, so that
 * a caller can show "did you mean" and store one spelling only.
 */
export interface FormatCheckResult {
  valid: boolean;
  normalized: string;
  errors: FormatIssue[];
}

/** Folds full-width ASCII (ＡＢＣ１２３，全角空格) to half-width. */
export function toHalfWidth(input: string): string {
  return input
    .replace(/[\uFF01-\uFF5E]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ');
}

/** Removes every kind of blank, including no-break and zero-width spaces that Excel cells carry. */
export function stripBlanks(input: string): string {
  return input.replace(/[\s\u00A0\u200B-\u200D\uFEFF]/g, '');
}
