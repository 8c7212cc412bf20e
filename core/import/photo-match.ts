// Which photo belongs to which row. Offices send photos in every naming habit: by ID number
// (110101199003071234.jpg, any case of x, sometimes with the name appended), by name (张三.jpg),
// by a file-name column in the sheet, or pasted into the sheet itself. A photo is taken only when
// it is unambiguous; everything else goes to the review (matched / unmatched / ambiguous).
import { toHalfWidth } from '../validation/format-result.ts';

export type PhotoSource = 'embedded' | 'file-column' | 'id-number' | 'name';

export interface PhotoRowKeys {
  /** Stable key of the row (its sheet row number). */
  row: number;
  /** Normalised ID number (upper-case X), if the row has a valid one. */
  idNumber?: string | null;
  name?: string | null;
  /** Value of the sheet's photo file-name column, if any. */
  fileName?: string | null;
  /** The row has a picture pasted into the sheet. */
  embedded?: boolean;
}

export interface PhotoMatch {
  row: number;
  source: PhotoSource;
  /** The zip entry name; null for an embedded picture. */
  file: string | null;
}

export interface PhotoReview {
  matched: PhotoMatch[];
  /** Photos in the zip that no row took. */
  unmatchedFiles: string[];
  /** Rows that could have taken several photos, or photos several rows could have taken. */
  ambiguous: { row: number; files: string[]; reason: string }[];
  /** Rows with no photo at all. */
  rowsWithoutPhoto: number[];
}

/** The part of a path that names the photo: no folders, no extension, half-width, upper-case. */
export function photoKey(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const stem = base.replace(/\.[A-Za-z0-9]{2,5}$/, '');
  return toHalfWidth(stem).replace(/\s+/g, '').toUpperCase();
}

const ID_IN_NAME = /(\d{17}[\dX]|\d{15})/;

export function matchPhotos(rows: readonly PhotoRowKeys[], files: readonly string[]): PhotoReview {
  const byKey = new Map<string, string[]>();
  const byId = new Map<string, string[]>();
  for (const file of files) {
    const key = photoKey(file);
    byKey.set(key, [...(byKey.get(key) ?? []), file]);
    const id = ID_IN_NAME.exec(key)?.[1];
    if (id) byId.set(id, [...(byId.get(id) ?? []), file]);
  }
  // A name shared by two rows cannot pick a photo for either.
  const nameCount = new Map<string, number>();
  for (const r of rows)
    if (r.name) nameCount.set(photoKey(r.name), (nameCount.get(photoKey(r.name)) ?? 0) + 1);

  const matched: PhotoMatch[] = [];
  const ambiguous: PhotoReview['ambiguous'] = [];
  const taken = new Map<string, number>();
  const take = (row: number, source: PhotoSource, candidates: string[] | undefined): boolean => {
    if (!candidates || candidates.length === 0) return false;
    if (candidates.length > 1) {
      ambiguous.push({ row, files: candidates, reason: '有多张照片都可能属于这一行' });
      return true;
    }
    const file = candidates[0]!;
    const other = taken.get(file);
    if (other !== undefined) {
      ambiguous.push({ row, files: [file], reason: `这张照片已匹配第 ${other} 行` });
      return true;
    }
    taken.set(file, row);
    matched.push({ row, source, file });
    return true;
  };

  for (const r of rows) {
    if (r.embedded) {
      matched.push({ row: r.row, source: 'embedded', file: null });
      continue;
    }
    if (r.fileName && take(r.row, 'file-column', byKey.get(photoKey(r.fileName)))) continue;
    if (r.idNumber && take(r.row, 'id-number', byId.get(r.idNumber.toUpperCase()))) continue;
    if (r.name) {
      const key = photoKey(r.name);
      const files = byKey.get(key);
      if (files && (nameCount.get(key) ?? 0) > 1) {
        ambiguous.push({
          row: r.row,
          files,
          reason: `有 ${nameCount.get(key)} 行同名“${r.name}”，无法按姓名匹配`,
        });
        continue;
      }
      take(r.row, 'name', files);
    }
  }
  const withPhoto = new Set(matched.map((m) => m.row));
  const inDoubt = new Set(ambiguous.map((a) => a.row));
  return {
    matched,
    unmatchedFiles: files.filter((f) => !taken.has(f)),
    ambiguous,
    rowsWithoutPhoto: rows.filter((r) => !withPhoto.has(r.row) && !inDoubt.has(r.row)).map((r) => r.row),
  };
}
