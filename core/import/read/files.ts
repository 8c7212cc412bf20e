import type { ImportIssue, ImportLimits, SheetTable, ZipPhotoFile } from '../types.ts';
import { readUpload, readWorkbook, type WorkbookReader } from './index.ts';

/** What an upload holds once read: its sheets (those of every workbook in a zip) and photos. */
export interface ImportFiles {
  sheets: SheetTable[];
  /** Hidden sheets (a generated template's metadata lives in one). */
  hiddenSheets: SheetTable[];
  /** A zip's photos, read when asked for; `close` lets go of the zip afterwards. */
  zipPhotos: ZipPhotoFile[];
  notes: ImportIssue[];
  close(): void;
}

/**
 * Reads an upload: a workbook or CSV, or a zip of workbooks and photos. `parse` reads each
 * workbook (the server runs it in a worker thread: parsing a big sheet is long CPU work).
 */
export async function readImportFiles(
  bytes: Uint8Array,
  fileName: string,
  limits: ImportLimits,
  parse: WorkbookReader = readWorkbook,
): Promise<ImportFiles> {
  const upload = await readUpload(bytes, fileName, limits, parse);
  const notes: ImportIssue[] = [];
  const sheets: SheetTable[] = [];
  const hiddenSheets: SheetTable[] = [];
  if (upload.kind === 'workbook') {
    notes.push(...upload.workbook.warnings);
    sheets.push(...upload.workbook.sheets);
    hiddenSheets.push(...(upload.workbook.hiddenSheets ?? []));
    return { sheets, hiddenSheets, zipPhotos: [], notes, close: () => undefined };
  }
  const zip = upload.zip;
  try {
    for (const s of zip.skipped)
      notes.push({ code: 'zip-skipped', file: s.name, message: `${s.name}：${s.reason}` });
    for (const file of zip.sheets) {
      const inner = await readUpload(file.bytes, file.name, limits, parse);
      if (inner.kind !== 'workbook') {
        inner.zip.close();
        notes.push({ code: 'zip-skipped', file: file.name, message: `${file.name}：不是表格，未读取` });
        continue;
      }
      notes.push(...inner.workbook.warnings.map((w) => ({ ...w, file: w.file ?? file.name })));
      sheets.push(...inner.workbook.sheets);
      hiddenSheets.push(...(inner.workbook.hiddenSheets ?? []));
    }
  } catch (error) {
    zip.close();
    throw error;
  }
  return { sheets, hiddenSheets, zipPhotos: zip.photos, notes, close: () => zip.close() };
}
