import type { CellRange, HeaderDetection, SheetRow, SheetTable } from './types.ts';

// Where a collection sheet's header is. Offices put a title above it (a merged
// “2026数博会人员证件申报表”), notes (“填表说明：…”), blank rows, sometimes a two-row header with
// group titles (“身份信息” over “证件类型 | 证件号码”); below the data, instructions and signature
// lines. The header is the row that looks most like the form's headers — the mapping step says
// how much a text looks like one — and every other row is either data or skipped with a reason.

/** How far down a header is looked for. */
const SCAN_ROWS = 30;
/**
 * Longer runs of rows missing from the file are not listed one by one: they are no part of the
 * table (a stray cell far below it), and listing them would flood the report.
 */
const MAX_GAP = 1000;
/** Longer texts are sentences, not column names (for the fallback and two-row headers). */
const SHORT = 30;

type Reason = HeaderDetection['skipped'][number]['reason'];
type Score = (headerText: string) => number;

const textsOf = (row: SheetRow): string[] => row.cells.map((c) => c?.text.trim() ?? '');
const isBlank = (row: SheetRow) => row.cells.every((c) => !c || c.text.trim() === '');
const filled = (texts: string[]) => texts.filter((t) => t !== '').length;

/** Sum of the scores of a row's text cells (numbers and dates are never headers), and how many scored. */
function scoreOf(row: SheetRow, texts: string[], score: Score): { sum: number; hits: number } {
  let sum = 0;
  let hits = 0;
  texts.forEach((t, col) => {
    const cell = row.cells[col];
    if (t === '' || cell?.numeric || cell?.date) return;
    const s = score(t);
    if (s > 0) {
      sum += s;
      hits++;
    }
  });
  return { sum, hits };
}

/**
 * The header texts of `lower` completed from the row just above it, when the two form a two-row
 * header: some of lower's headers sit under an empty cell or a group title merged across columns,
 * and some of upper's (序号, 姓名 merged down over both rows) sit above an empty cell of lower.
 * Upper's text fills a column when it is merged down into lower, or when upper looks like header
 * text throughout (short texts, at least two). Null when the rows are not shaped so.
 */
function twoRowHeader(
  upper: SheetRow,
  lower: SheetRow,
  merges: CellRange[],
): { texts: string[]; mergedDown: boolean } | null {
  if (upper.row !== lower.row - 1) return null;
  const up = textsOf(upper);
  const low = textsOf(lower);
  if (filled(low) < 2) return null;
  const mergedAcross = (c: number) =>
    merges.some((m) => m.top === upper.row && m.left <= c && c <= m.right && m.right > m.left);
  const mergedDown = (c: number) =>
    merges.some((m) => m.top === upper.row && m.bottom >= lower.row && m.left === c);
  const underGroup = low.some((t, c) => t !== '' && ((up[c] ?? '') === '' || mergedAcross(c)));
  if (!underGroup) return null;
  const headerLike = filled(up) >= 2 && up.every((t) => t.length <= SHORT);
  const width = Math.max(up.length, low.length);
  let used = 0;
  let down = 0;
  const texts = Array.from({ length: width }, (_, c) => {
    const l = low[c] ?? '';
    const u = up[c] ?? '';
    const merged = l === '' && u !== '' && mergedDown(c);
    if (l !== '' || u === '' || !(headerLike || merged)) return l;
    used++;
    if (merged) down++;
    return u;
  });
  return used > 0 ? { texts, mergedDown: down > 0 } : null;
}

interface Pick {
  index: number;
  texts: string[];
  /** Index of the group row above, for a two-row header. */
  upper: number | null;
}

function pickHeader(rows: SheetRow[], score: Score, merges: CellRange[]): Pick | null {
  let best: (Pick & { sum: number; hits: number }) | null = null;
  const limit = Math.min(rows.length, SCAN_ROWS);
  for (let i = 0; i < limit; i++) {
    const row = rows[i]!;
    if (isBlank(row)) continue;
    const texts = textsOf(row);
    let pick = { index: i, texts, upper: null as number | null, ...scoreOf(row, texts, score) };
    const above = i > 0 ? rows[i - 1]! : null;
    const combined = above ? twoRowHeader(above, row, merges) : null;
    if (combined) {
      const width = combined.texts.length;
      const cells = Array.from({ length: width }, (_, c) => row.cells[c] ?? above!.cells[c] ?? null);
      const s = scoreOf({ row: row.row, cells }, combined.texts, score);
      // Equal scores: the group row adds only unscored names (序号); take them when merged down.
      if (s.sum > pick.sum || (s.sum === pick.sum && combined.mergedDown))
        pick = { index: i, texts: combined.texts, upper: i - 1, ...s };
    }
    if (!best || pick.sum > best.sum || (pick.sum === best.sum && pick.hits > best.hits)) best = pick;
  }
  if (best && best.sum > 0) return best;
  // Nothing looks like a known header: the first row of at least three short texts, else the
  // first non-blank row.
  for (let i = 0; i < limit; i++) {
    const row = rows[i]!;
    const short = row.cells.filter(
      (c) => c && !c.numeric && !c.date && c.text.trim() !== '' && c.text.trim().length <= SHORT,
    );
    if (short.length >= 3) return { index: i, texts: textsOf(row), upper: null };
  }
  const first = rows.findIndex((r) => !isBlank(r));
  return first < 0 ? null : { index: first, texts: textsOf(rows[first]!), upper: null };
}

/**
 * A row repeating `target` (a header or title row): each of its texts equals target's in the same
 * column, and it repeats at least half of target's texts.
 */
function repeats(texts: string[], target: string[]): boolean {
  const n = filled(texts);
  if (n === 0) return false;
  const same = texts.filter((t, c) => t !== '' && t === target[c]).length;
  return same === n && same >= Math.ceil(filled(target) / 2);
}

/** Notes under the data: 注：, 备注：, 说明, 填表说明, 注意事项, 温馨提示, “*为必填项” … */
const NOTE =
  /^(?:[*＊※]|[（(]?\s*(?:注意事项|注意|备注|附注|注|填表说明|填报说明|填写说明|说明|填表须知|温馨提示|特别提示|特别提醒|提示)\s*\d*\s*(?:[:：、.．)）]|$))/;
/** Signature lines at the foot of a form: 填表人：  联系电话：  填报单位（盖章）： */
const SIGNATURE =
  /^(?:填表人|填报人|制表人|审核人|审批人|经办人|负责人|单位负责人|联系人|填报单位|填表单位|报送单位|填表日期|填报日期|日期)\s*(?:[（(][^)）]{0,8}[)）])?\s*[:：]/;

const firstText = (texts: string[]) => texts.find((t) => t !== '') ?? '';

/**
 * Finds the header row of a sheet and sorts the other rows. `score` tells how much a text looks
 * like a header of the form being imported (0 none … 1 exact; headerScore in mapping.ts); among
 * the first 30 rows, the row with the highest total score wins (more scoring cells, then the
 * earlier row, on a tie), a two-row header counting as its completed lower row. With no score at
 * all: the first row of three or more short texts. Above the header every row is skipped
 * (`title`, or `blank`); below it, blank rows, repeated headers or titles, and instruction or
 * signature rows trailing the data are skipped; every other row is a data row, however empty.
 * Rows the file leaves out (between rows it has, in runs of at most 1,000) are skipped as blank.
 * A sheet with no non-blank row has `headerRow` 0 and no headers.
 */
export function detectHeader(sheet: SheetTable, score: Score): HeaderDetection {
  const rows = sheet.rows;
  const pick = pickHeader(rows, score, sheet.merges ?? []);
  if (!pick)
    return {
      headerRow: 0,
      headers: [],
      skipped: rows.map((r) => ({ row: r.row, reason: 'blank' })),
      dataRows: [],
    };

  const titles: string[][] = [];
  const above: Reason[] = rows.slice(0, pick.index).map((row) => {
    if (isBlank(row)) return 'blank';
    titles.push(textsOf(row));
    return 'title';
  });

  // What a repeated header may look like: the completed header, its lower row alone, its group row.
  const own = textsOf(rows[pick.index]!);
  const headerLike = [pick.texts, own, ...(pick.upper !== null ? [textsOf(rows[pick.upper]!)] : [])];
  const below = rows.slice(pick.index + 1);
  const kinds: (Reason | 'data')[] = below.map((row) => {
    if (isBlank(row)) return 'blank';
    const texts = textsOf(row);
    if (headerLike.some((h) => repeats(texts, h))) return 'repeated-header';
    if (titles.some((t) => repeats(texts, t))) return 'title';
    return 'data';
  });

  // Trailing notes: walk up from the end over blank, one-text and signature rows; from the first
  // of them that opens a note or a signature, the rest are instructions.
  let start = below.length;
  while (start > 0) {
    const kind = kinds[start - 1];
    const texts = textsOf(below[start - 1]!);
    if (kind === 'blank' || (kind === 'data' && (filled(texts) === 1 || SIGNATURE.test(firstText(texts)))))
      start--;
    else break;
  }
  for (let i = start, notes = false; i < below.length; i++) {
    if (kinds[i] !== 'data') continue;
    const first = firstText(textsOf(below[i]!));
    notes ||= NOTE.test(first) || SIGNATURE.test(first);
    if (notes) kinds[i] = 'instructions';
  }

  // Every row number up to the last row is accounted for: rows a file leaves out (an .xlsx
  // stores no blank row that nobody formatted) are blank rows as much as those it keeps.
  const reasons: (Reason | 'data' | 'header')[] = [...above, 'header', ...kinds];
  const skipped: HeaderDetection['skipped'] = [];
  const dataRows: SheetRow[] = [];
  let previous = 0;
  rows.forEach((row, i) => {
    const gap = row.row - previous - 1;
    if (gap > 0 && gap <= MAX_GAP)
      for (let n = previous + 1; n < row.row; n++) skipped.push({ row: n, reason: 'blank' });
    previous = row.row;
    const reason = reasons[i]!;
    if (reason === 'data') dataRows.push(row);
    else if (reason !== 'header') skipped.push({ row: row.row, reason });
  });

  const width = dataRows.reduce((n, r) => Math.max(n, r.cells.length), pick.texts.length);
  const headers = Array.from({ length: width }, (_, c) => pick.texts[c] ?? '');
  return { headerRow: rows[pick.index]!.row, headers, skipped, dataRows };
}
