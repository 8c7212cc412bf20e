import { stringify } from 'csv-stringify/sync';

// Exports go back into Excel or WPS, which run a cell that starts with = + - @ (or a tab or
// carriage return before one) as a formula: a name like `=HYPERLINK(...)` sent in by a unit
// must come out as text. One rule for every export of the product, here.

const FORMULA_START = /^[=+\-@\t\r]/;

/** The text as a spreadsheet will show it, never run: a leading `'` when it could start a formula. */
export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * CSV for Excel on Chinese Windows: UTF-8 with a byte-order mark (without it Excel reads GBK and
 * shows mojibake), CRLF line ends, every cell neutralised.
 */
export function toExcelCsv(rows: readonly (readonly (string | number | null | undefined)[])[]): Buffer {
  const text = stringify(
    rows.map((r) =>
      r.map((cell) => (cell === null || cell === undefined ? '' : neutraliseFormula(String(cell)))),
    ),
    { record_delimiter: '\r\n' },
  );
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
}
