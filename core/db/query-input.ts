// What list and search queries take from a user, made safe for SQL in one place. Values always go
// in as replacements or bind parameters; these rules are about what a value *means* there.

/** LIKE treats % and _ (and the escape \) as patterns: a typed one means itself. */
export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

/** The LIKE pattern "starts with `text`" (PostgreSQL's default escape character is \). */
export const likePrefix = (text: string): string => `${likeEscape(text)}%`;

/** Deeper pages are clamped to this one, so OFFSET (page × page size) stays a bigint. */
const MAX_PAGE = 1_000_000;

/**
 * A 1-based page number from a query: anything that is not a positive number is page 1, a huge
 * one (`1e308`, `99999999999999999999`) the last page we serve, so OFFSET never overflows.
 */
export function pageNumber(page: number | undefined): number {
  const n = Math.trunc(page ?? 1);
  if (Number.isNaN(n) || n < 1) return 1;
  return Math.min(n, MAX_PAGE);
}
