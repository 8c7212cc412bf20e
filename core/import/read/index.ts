import { ImportFileError, type ImportLimits, type ReadWorkbook, type ReadZip } from '../types.ts';
import { readCsv } from './csv.ts';
import { extensionOf, isOle2, isZip } from './signature.ts';
import { readXlsx } from './xlsx.ts';
import { sortZip } from './zip.ts';
import { formatBytes, openZip } from './zip-scan.ts';

// The readers' front door: what an upload is, decided by its content (names lie), then read.

export { readCsv } from './csv.ts';
export { readXlsx } from './xlsx.ts';
export { readZip } from './zip.ts';

export type ReadUpload = { kind: 'workbook'; workbook: ReadWorkbook } | { kind: 'zip'; zip: ReadZip };

/** Parses a workbook or CSV file; the server hands this to a worker thread (see in-worker.ts). */
export type WorkbookReader = (
  bytes: Uint8Array,
  fileName: string,
  limits: ImportLimits,
) => Promise<ReadWorkbook>;

/** A workbook (.xlsx, legacy .xls refused with how to convert) or a CSV, parsed on this thread. */
export const readWorkbook: WorkbookReader = async (bytes, fileName, limits) => {
  if (isZip(bytes) || isOle2(bytes) || WORKBOOK_TYPES.has(extensionOf(fileName)))
    return readXlsx(bytes, fileName, limits);
  return readCsv(bytes, fileName, limits);
};

const WORKBOOK_TYPES = new Set(['xlsx', 'xlsm', 'xls']);

/**
 * Reads an upload: a zip with `[Content_Types].xml` and `xl/workbook.xml` is a workbook (so is
 * any zip named .xlsx/.xlsm, which then gets the workbook reader's "corrupt" message); another zip
 * is a package of sheets and photos; an OLE2 file is a legacy .xls (or an encrypted workbook);
 * anything else is read as CSV when named .csv/.txt, or refused with the accepted types.
 */
export async function readUpload(
  bytes: Uint8Array,
  fileName: string,
  limits: ImportLimits,
  parse: WorkbookReader = readWorkbook,
): Promise<ReadUpload> {
  if (bytes.byteLength > limits.maxFileBytes)
    throw new ImportFileError(
      'file-too-large',
      `「${fileName}」有 ${formatBytes(bytes.byteLength)}，超过了上限 ${formatBytes(limits.maxFileBytes)}，请分批上传`,
      fileName,
    );
  const ext = extensionOf(fileName);
  if (isZip(bytes)) {
    if (WORKBOOK_TYPES.has(ext)) return { kind: 'workbook', workbook: await parse(bytes, fileName, limits) };
    const zip = await openZip(bytes, limits, fileName);
    // An OOXML workbook has the package's content types and a workbook part.
    const names = new Set(zip.items.map((i) => i.name));
    if (names.has('[Content_Types].xml') && names.has('xl/workbook.xml')) {
      zip.close();
      return { kind: 'workbook', workbook: await parse(bytes, fileName, limits) };
    }
    return { kind: 'zip', zip: await sortZip(zip) };
  }
  if (isOle2(bytes) || WORKBOOK_TYPES.has(ext) || ext === 'csv' || ext === 'txt')
    return { kind: 'workbook', workbook: await parse(bytes, fileName, limits) };
  throw new ImportFileError(
    'unsupported-file-type',
    `「${fileName}」不是可以导入的文件。请上传 Excel 工作簿（.xlsx）、CSV 文件（.csv），或把表格和照片一起打包的压缩包（.zip）`,
    fileName,
  );
}
