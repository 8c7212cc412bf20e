import ExcelJS from 'exceljs';
import {
  ImportFileError,
  type CellRange,
  type ImportIssue,
  type ImportLimits,
  type ReadWorkbook,
  type SheetCell,
  type SheetImage,
  type SheetRow,
  type SheetTable,
} from '../types.ts';
import { dateText, numberText } from './cell-text.ts';
import { isEncryptedOoxml, isOle2, isZip, looksLikeHtml } from './signature.ts';
import { CELL_IMAGES_PART, CELL_IMAGES_RELS, dispimgName, parseCellImages } from './wps-cell-images.ts';
import { openZip } from './zip-scan.ts';

// The .xlsx reader: every visible worksheet as rows of cells that keep what Excel knew (a number,
// a date, a formula's cached result), pictures with the cell they are anchored to. Cells are read,
// never evaluated. The workbook is a zip: it passes the same bomb guards as a zip upload before
// exceljs (which inflates everything in memory, unchecked) is allowed near it.

const { ValueType } = ExcelJS;

export function xlsNotSupported(fileName: string): ImportFileError {
  return new ImportFileError(
    'xls-not-supported',
    `「${fileName}」是旧版 Excel 97-2003 格式，请在 Excel 或 WPS 中“另存为”Excel 工作簿（.xlsx）后再上传`,
    fileName,
  );
}

export function encryptedWorkbook(fileName: string): ImportFileError {
  return new ImportFileError(
    'file-encrypted',
    `「${fileName}」设置了打开密码，无法读取。请在 Excel 或 WPS 中打开并取消密码，另存为 Excel 工作簿（.xlsx）后再上传`,
    fileName,
  );
}

function corruptWorkbook(fileName: string): ImportFileError {
  return new ImportFileError(
    'file-corrupt',
    `「${fileName}」已损坏或不是有效的 Excel 工作簿（.xlsx），无法读取。请在 Excel 或 WPS 中打开确认，另存为 .xlsx 后再上传`,
    fileName,
  );
}

/** Refuses what is not an xlsx, by content, with the message that tells the office what to do. */
function checkSignature(bytes: Uint8Array, fileName: string): void {
  if (isOle2(bytes)) throw isEncryptedOoxml(bytes) ? encryptedWorkbook(fileName) : xlsNotSupported(fileName);
  if (isZip(bytes)) return;
  if (looksLikeHtml(bytes))
    throw new ImportFileError(
      'html-not-supported',
      `「${fileName}」不是真正的 Excel 文件（是网页格式的表格，常见于从系统中导出的 .xls），请在 Excel 或 WPS 中打开并“另存为”Excel 工作簿（.xlsx）后再上传`,
      fileName,
    );
  throw corruptWorkbook(fileName);
}

/** Inflates every part once, counting, so a bomb or a lying size never reaches exceljs. */
/** WPS pictures in cells, by name: their bytes and type (see wps-cell-images.ts). */
type CellImages = Map<string, { data: Uint8Array; extension: string }>;

/**
 * Checks the package (a workbook part; every entry inflates to its declared size within the
 * caps) and takes out what exceljs does not read: WPS's pictures in cells.
 */
async function checkContainer(
  bytes: Uint8Array,
  fileName: string,
  limits: ImportLimits,
): Promise<CellImages> {
  let zip;
  try {
    zip = await openZip(bytes, limits, fileName, '文件');
  } catch (error) {
    throw error instanceof ImportFileError && error.code === 'zip-corrupt'
      ? corruptWorkbook(fileName)
      : error;
  }
  try {
    if (!zip.items.some((i) => i.name === 'xl/workbook.xml')) throw corruptWorkbook(fileName);
    for (const item of zip.items) if (!item.directory) await zip.verify(item);
    const byName = new Map(zip.items.map((i) => [i.name, i]));
    const part = byName.get(CELL_IMAGES_PART);
    const rels = byName.get(CELL_IMAGES_RELS);
    const images: CellImages = new Map();
    if (part && rels) {
      const names = parseCellImages(
        (await zip.read(part)).toString('utf8'),
        (await zip.read(rels)).toString('utf8'),
      );
      for (const [name, target] of names) {
        const file = byName.get(target);
        if (file) images.set(name, { data: await zip.read(file), extension: target.replace(/^.*\./, '') });
      }
    }
    return images;
  } catch (error) {
    throw error instanceof ImportFileError && error.code === 'zip-corrupt'
      ? corruptWorkbook(fileName)
      : error;
  } finally {
    zip.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Cells

type RichText = { richText: { text: string }[] };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Text of a string, a rich text or a hyperlink's display text. */
function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (isObject(v) && Array.isArray(v.richText))
    return (v as RichText).richText.map((r) => r.text ?? '').join('');
  if (v === null || v === undefined) return '';
  return String(v);
}

/** A value as exceljs gives it (or a formula's cached result) → a cell; null for an empty one. */
function cellOf(value: unknown, numFmt: string | undefined): SheetCell | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value === '' ? null : { text: value, numeric: false };
  if (typeof value === 'number') return { text: numberText(value, numFmt), numeric: true };
  if (typeof value === 'boolean') return { text: value ? 'TRUE' : 'FALSE', numeric: false };
  if (value instanceof Date) {
    const d = dateText(value);
    return { text: d.text, numeric: false, ...(d.date ? { date: d.date } : {}) };
  }
  if (isObject(value)) {
    if (typeof value.error === 'string') return { text: value.error, numeric: false };
    // Rich text, or a hyperlink: the text the cell shows, not the link.
    const text = 'richText' in value ? textOf(value) : textOf(value.text);
    return text === '' ? null : { text, numeric: false };
  }
  return { text: String(value), numeric: false };
}

function readCell(cell: ExcelJS.Cell): SheetCell | null {
  switch (cell.type) {
    case ValueType.Null:
    case ValueType.Merge: // not the master of its merged range: empty, the master holds the value
      return null;
    case ValueType.Formula: {
      // The result Excel cached when the file was saved; never evaluated here.
      const result = (cell.value as { result?: unknown }).result;
      return { ...(cellOf(result, cell.numFmt) ?? { text: '', numeric: false }), formula: true };
    }
    default:
      return cellOf(cell.value, cell.numFmt);
  }
}

// ---------------------------------------------------------------------------------------------
// Sheets

/** exceljs keeps merges in a private map; its public `model` would serialise the whole sheet. */
type WithMerges = { _merges?: Record<string, { top: number; left: number; bottom: number; right: number }> };

function mergesOf(ws: ExcelJS.Worksheet): CellRange[] {
  return Object.values((ws as unknown as WithMerges)._merges ?? {}).map((m) => ({
    top: m.top,
    left: m.left - 1,
    bottom: m.bottom,
    right: m.right - 1,
  }));
}

function imagesOf(ws: ExcelJS.Worksheet, wb: ExcelJS.Workbook): SheetImage[] {
  const images: SheetImage[] = [];
  for (const image of ws.getImages()) {
    const media = wb.getImage(Number(image.imageId));
    const tl = image.range?.tl;
    // exceljs types its buffers as its own ArrayBuffer-like; at run time they are Node Buffers.
    const data = media?.buffer as unknown as Buffer | undefined;
    if (!media || !data || !tl) continue;
    // Anchors are 0-based in the file; rows are given as the sheet shows them.
    images.push({
      row: Math.floor(tl.nativeRow) + 1,
      col: Math.floor(tl.nativeCol),
      data,
      extension: String(media.extension ?? ''),
    });
  }
  return images;
}

function tooLarge(fileName: string, sheet: string, what: string): ImportFileError {
  return new ImportFileError('sheet-too-large', `「${fileName}」的工作表「${sheet}」${what}`, fileName);
}

function readSheet(
  ws: ExcelJS.Worksheet,
  wb: ExcelJS.Workbook,
  fileName: string,
  limits: ImportLimits,
  warnings: ImportIssue[],
  cellImages: CellImages = new Map(),
): SheetTable {
  const inCells: SheetImage[] = [];
  const count = ws.actualRowCount;
  if (count > limits.maxRows)
    throw tooLarge(
      fileName,
      ws.name,
      `有 ${count} 行，超过了单次导入的上限 ${limits.maxRows} 行，请拆分成几个文件分别上传`,
    );
  const rows: SheetRow[] = [];
  let formulas = 0;
  let firstFormula: { row: number; col: number } | null = null;
  ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: (SheetCell | null)[] = [];
    row.eachCell((cell, col) => {
      if (cell.type === ValueType.Formula) {
        const name = dispimgName(String((cell.value as { formula?: string }).formula ?? ''));
        const picture = name ? cellImages.get(name) : undefined;
        if (picture) {
          // The picture is the cell's content; its formula text is not.
          inCells.push({ row: rowNumber, col: col - 1, ...picture });
          return;
        }
      }
      const value = readCell(cell);
      if (!value) return;
      if (col > limits.maxColumns)
        throw tooLarge(
          fileName,
          ws.name,
          `第 ${col} 列还有内容，超过了上限 ${limits.maxColumns} 列，请删除多余的列后再上传`,
        );
      if (value.formula && formulas++ === 0) firstFormula = { row: rowNumber, col };
      cells[col - 1] = value;
    });
    if (cells.length === 0) return; // only the covered parts of merged ranges: nothing to read
    for (let i = 0; i < cells.length; i++) cells[i] ??= null;
    rows.push({ row: rowNumber, cells });
  });
  if (formulas > 0) {
    const first = firstFormula as { row: number; col: number } | null;
    warnings.push({
      code: 'formula-cells',
      file: fileName,
      sheet: ws.name,
      ...(first ? { row: first.row, col: first.col } : {}),
      message: `工作表「${ws.name}」有 ${formulas} 个公式单元格，已按文件中保存的计算结果读取（未重新计算）`,
    });
  }
  const merges = mergesOf(ws);
  return {
    name: ws.name,
    rows,
    images: [...inCells, ...imagesOf(ws, wb)],
    ...(merges.length ? { merges } : {}),
  };
}

/**
 * Reads an .xlsx (or .xlsm) workbook. Visible sheets in `sheets`; hidden ones in `hiddenSheets`
 * with a warning (none for very hidden sheets, which no one can unhide from Excel's menus: they
 * hold a tool's data, such as a generated template's metadata) — unless no sheet is visible.
 * Throws ImportFileError: `xls-not-supported`, `file-encrypted`, `html-not-supported`,
 * `file-corrupt`, `sheet-too-large`, and the zip guards' codes (`zip-bomb`, …).
 */
export async function readXlsx(
  bytes: Uint8Array,
  fileName: string,
  limits: ImportLimits,
): Promise<ReadWorkbook> {
  checkSignature(bytes, fileName);
  const cellImages = await checkContainer(bytes, fileName, limits);
  const wb = new ExcelJS.Workbook();
  try {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    await wb.xlsx.load(buffer as unknown as Parameters<ExcelJS.Xlsx['load']>[0]);
  } catch {
    throw corruptWorkbook(fileName);
  }
  if (wb.worksheets.length === 0) throw corruptWorkbook(fileName);
  const warnings: ImportIssue[] = [];
  const visible = wb.worksheets.filter((ws) => ws.state !== 'hidden' && ws.state !== 'veryHidden');
  const shown = visible.length > 0 ? visible : wb.worksheets;
  const sheets = shown.map((ws) => readSheet(ws, wb, fileName, limits, warnings, cellImages));
  const hiddenSheets: SheetTable[] = [];
  for (const ws of wb.worksheets) {
    if (shown.includes(ws)) continue;
    if (ws.state === 'hidden')
      warnings.push({
        code: 'hidden-sheet',
        file: fileName,
        sheet: ws.name,
        message: `工作表「${ws.name}」是隐藏的，未导入；如需导入，请在 Excel 中取消隐藏后重新上传`,
      });
    try {
      hiddenSheets.push(readSheet(ws, wb, fileName, limits, []));
    } catch (error) {
      // A hidden sheet too large to read is not what is being imported: left out, not fatal.
      if (!(error instanceof ImportFileError)) throw error;
    }
  }
  return {
    fileName,
    format: 'xlsx',
    sheets,
    ...(hiddenSheets.length ? { hiddenSheets } : {}),
    warnings,
  };
}
