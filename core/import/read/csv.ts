import { CsvError, parse } from 'csv-parse/sync';
import {
  ImportFileError,
  type ImportLimits,
  type ReadWorkbook,
  type SheetCell,
  type SheetRow,
} from '../types.ts';
import { decodeText } from './text.ts';

// The .csv reader: Excel/WPS "CSV (逗号分隔)" in GBK on Chinese Windows, UTF-8 (with BOM) from
// newer tools, tab-separated "Unicode 文本". Cells are text; a row is a CSV record, numbered as
// Excel numbers it when it opens the file (a quoted field with line breaks stays one row).

const DELIMITERS = [',', '\t', ';'] as const;

/**
 * The delimiter: the candidate found on the most of the first lines (quoted text aside), then the
 * most often; comma when nothing says otherwise.
 */
export function sniffDelimiter(text: string): string {
  const lines = text
    .slice(0, 64 * 1024)
    .replace(/"[^"]*"/g, '""')
    .split(/\r\n|\n|\r/)
    .filter((l) => l.trim() !== '')
    .slice(0, 10);
  let best: string = ',';
  let bestKey = [0, 0];
  for (const d of DELIMITERS) {
    const counts = lines.map((l) => l.split(d).length - 1);
    const key = [counts.filter((c) => c > 0).length, counts.reduce((a, b) => a + b, 0)];
    if (key[0]! > bestKey[0]! || (key[0] === bestKey[0] && key[1]! > bestKey[1]!)) {
      best = d;
      bestKey = key;
    }
  }
  return best;
}

const SCIENTIFIC = /^[+-]?\d+(\.\d+)?[eE][+-]?\d+$/;
const LONG_DIGITS = /^\d{16,}$/;

/** 16+ digits with only zeros after the 15th: what Excel writes for a long number it has cut. */
const cutByExcel = (t: string) => LONG_DIGITS.test(t) && /^0+$/.test(t.slice(15));

/**
 * Marks the cells whose text shows a number that went through Excel's number format, so that the
 * mapping flags an ID number that lost its digits (`numeric: true`; see lostDigits in mapping.ts):
 *  - scientific notation (`1.10101E+17`): Excel's General format of a long number;
 *  - 16+ digits, all zeros from the 16th on (`110101199003071000`): Excel's "0" format of a
 *    number it kept to 15 digits.
 * A genuine ID ending in 000 (about 1 in 1,100) is flagged too: nothing in a CSV tells it from a
 * cut one, and a false alarm costs an edit in the staging grid, while a cut ID that happens to
 * pass the check digit (1 in 11) would be a wrong credential. Neighbouring cells prove nothing:
 * one cell of a text column may have been typed as a number.
 */
function markNumbers(rows: SheetRow[]): void {
  for (const r of rows)
    for (const c of r.cells) {
      const t = c?.text.trim() ?? '';
      if (c && (SCIENTIFIC.test(t) || cutByExcel(t))) c.numeric = true;
    }
}

/** `="0123"`: how some systems force Excel to keep a code as text. */
const EXCEL_TEXT = /^="(.*)"$/s;

function tooLarge(fileName: string, what: string): ImportFileError {
  return new ImportFileError('sheet-too-large', `「${fileName}」${what}`, fileName);
}

function csvError(fileName: string, error: unknown): ImportFileError {
  const line = error instanceof CsvError ? (error as CsvError & { lines?: number }).lines : undefined;
  const where = line ? `第 ${line} 行附近` : '';
  const quote = error instanceof CsvError && /QUOTE/.test(error.code);
  return new ImportFileError(
    'csv-invalid',
    `「${fileName}」${where}${quote ? '有未闭合的引号' : '格式有误'}，无法读取。请在 Excel 或 WPS 中打开检查后重新保存为 CSV，或另存为 .xlsx 后上传`,
    fileName,
  );
}

/**
 * Reads a CSV file as one sheet named after the file. Encoding by BOM, else UTF-8 when valid,
 * else GBK (`encoding` says which); delimiter comma, tab or semicolon (sniffed). Empty fields are
 * null; other cells are text (`numeric: false`) except the Excel-mangled numbers above.
 */
export function readCsv(bytes: Uint8Array, fileName: string, limits: ImportLimits): ReadWorkbook {
  const { text, encoding } = decodeText(bytes);
  // Text never holds NUL (UTF-16 is decoded by now): a program, picture or PDF named .csv does.
  if (text.includes('\u0000') || text.startsWith('%PDF-'))
    throw new ImportFileError(
      'unsupported-file-type',
      `「${fileName}」不是文本表格（文件内容是程序、图片或 PDF 等二进制数据），请上传 Excel 工作簿（.xlsx）或 CSV 文件（.csv）`,
      fileName,
    );
  let records: string[][];
  try {
    records = parse(text, {
      delimiter: sniffDelimiter(text),
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
      // One more than allowed, to know the cap was passed without parsing a monster whole.
      to: limits.maxRows + 1,
    }) as string[][];
  } catch (error) {
    throw csvError(fileName, error);
  }
  if (records.length > limits.maxRows)
    throw tooLarge(fileName, `超过了单次导入的上限 ${limits.maxRows} 行，请拆分成几个文件分别上传`);
  const rows: SheetRow[] = records.map((record, i) => {
    if (record.length > limits.maxColumns)
      throw tooLarge(
        fileName,
        `第 ${i + 1} 行有 ${record.length} 列，超过了上限 ${limits.maxColumns} 列，请删除多余的列后再上传`,
      );
    const cells = record.map((field): SheetCell | null => {
      const t = EXCEL_TEXT.exec(field)?.[1] ?? field;
      return t === '' ? null : { text: t, numeric: false };
    });
    while (cells.length > 0 && cells[cells.length - 1] === null) cells.pop();
    return { row: i + 1, cells };
  });
  markNumbers(rows);
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const name = base.replace(/\.[^.]*$/, '') || base;
  return { fileName, format: 'csv', encoding, sheets: [{ name, rows, images: [] }], warnings: [] };
}
