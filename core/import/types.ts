// The shapes the import pipeline (信息采集) passes between its steps:
//   read (xlsx / csv / zip) → find the header row → map columns to form fields → stage rows
//   (validate, duplicates, quota, photos) → prune online → commit.
// Readers know nothing of forms; mapping knows nothing of files; staging knows nothing of Excel.

/** One problem met while reading or mapping, said so the person holding the file can act on it. */
export interface ImportIssue {
  code: string;
  message: string;
  /** File inside a zip, or the uploaded file's own name. */
  file?: string;
  sheet?: string;
  /** The sheet's own 1-based row number. */
  row?: number;
  /** 1-based column number. */
  col?: number;
}

/** A cell as read, keeping what Excel knew about it. */
export interface SheetCell {
  /** Text as the office sees it (trimmed of nothing; numbers in plain decimal, dates ISO). */
  text: string;
  /** The cell held a number (so a long ID number in it has lost digits beyond the 15th). */
  numeric: boolean;
  /** The cell held a date (Excel date serial with a date format, or a Date). */
  date?: string;
  /** The cell held a formula; `text` is its cached result. */
  formula?: boolean;
}

export interface SheetRow {
  /** The sheet's own 1-based row number (what the office sees in Excel). */
  row: number;
  /** Cells by 0-based column index; null for empty cells. */
  cells: (SheetCell | null)[];
}

/** A picture embedded in a sheet, anchored to a cell (its top-left corner). */
export interface SheetImage {
  row: number;
  col: number;
  data: Uint8Array;
  /** jpeg, png, … as declared in the file. */
  extension: string;
}

/** A merged range of cells: rows are the sheet's own 1-based numbers, columns 0-based (as `cells`). */
export interface CellRange {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

export interface SheetTable {
  name: string;
  rows: SheetRow[];
  images: SheetImage[];
  /** Merged ranges (xlsx only): the header detector uses them to read two-row headers. */
  merges?: CellRange[];
}

export interface ReadWorkbook {
  fileName: string;
  format: 'xlsx' | 'csv';
  /** For CSV: the encoding it was read in (utf-8, gbk). */
  encoding?: string;
  sheets: SheetTable[];
  /**
   * Hidden sheets, read but not offered for import: a generated template keeps its `_tessera`
   * metadata in a very hidden one (pass `[...sheets, ...hiddenSheets]` to readTemplateMeta).
   */
  hiddenSheets?: SheetTable[];
  /** Things worth telling but not stopping for (formula cells, hidden sheets skipped …). */
  warnings: ImportIssue[];
}

/** Where the header is and what lies above and below it. */
export interface HeaderDetection {
  /** The sheet's own row number of the header. */
  headerRow: number;
  /** Header texts by 0-based column; empty string for an unnamed column. */
  headers: string[];
  /** Rows above the header (titles, notes) and rows skipped below it, with why. */
  skipped: { row: number; reason: 'title' | 'blank' | 'instructions' | 'repeated-header' }[];
  /** The data rows, in sheet order. */
  dataRows: SheetRow[];
}

export interface ZipEntryFile {
  /** Path inside the zip, decoded (GBK names without the UTF-8 flag included). */
  name: string;
  bytes: Uint8Array;
}

/** A photo in a zip, inflated only when read (10,000 photos are not all held at once). */
export interface ZipPhotoFile {
  name: string;
  /** Declared uncompressed size. */
  size: number;
  /** The bytes, checked against the declared size and the zip's total cap. */
  read(): Promise<Uint8Array>;
}

export interface ReadZip {
  sheets: ZipEntryFile[];
  photos: ZipPhotoFile[];
  /** Entries not used (folders, __MACOSX, Thumbs.db, other types), with why. */
  skipped: { name: string; reason: string }[];
  /** Lets go of the zip once the photos needed have been read. */
  close(): void;
}

/** Caps against hostile or accidental monsters; every reader takes them. */
export interface ImportLimits {
  /** Largest upload accepted at all. */
  maxFileBytes: number;
  /** Zip: most entries, largest total uncompressed size, highest per-entry compression ratio. */
  maxZipEntries: number;
  maxZipUncompressedBytes: number;
  maxZipRatio: number;
  /** Sheets: most data rows and columns read. */
  maxRows: number;
  maxColumns: number;
}

export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  maxFileBytes: 1024 * 1024 * 1024,
  maxZipEntries: 30_000,
  maxZipUncompressedBytes: 2 * 1024 * 1024 * 1024,
  maxZipRatio: 200,
  maxRows: 100_000,
  maxColumns: 200,
};

/** Raised for a file that cannot be read at all; the message says what to do. */
export class ImportFileError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = 'ImportFileError';
  }
}
