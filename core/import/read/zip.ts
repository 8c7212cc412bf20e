import type { ImportLimits, ReadZip } from '../types.ts';
import { extensionOf } from './signature.ts';
import { openZip, type OpenedZip } from './zip-scan.ts';

// A zip upload (压缩包): collection sheet(s) plus photos, as offices pack them on Windows, macOS
// or with WinRAR. Entries are sorted into sheets, photos and the rest; nothing is extracted to
// disk, and every entry not used is reported with why.

const SHEET_TYPES = new Set(['xlsx', 'xlsm', 'csv', 'xls']);
const PHOTO_TYPES = new Set(['jpg', 'jpeg', 'png', 'webp', 'bmp', 'heic']);
const ARCHIVE_TYPES = new Set(['zip', 'rar', '7z', 'tar', 'gz', 'tgz', 'bz2', 'xz']);
const SYSTEM_FILES = new Set(['thumbs.db', 'desktop.ini', '.ds_store']);

/** A name that would climb out of or sit outside a folder, were it ever extracted. */
export function isUnsafeEntryName(name: string): boolean {
  const n = name.replace(/\\/g, '/');
  return n.startsWith('/') || /^[a-z]:/i.test(n) || n.includes('\0') || n.split('/').includes('..');
}

/** Why a (safe, `/`-separated) entry is not used, or null when it is a sheet or a photo. */
function skipReason(name: string): string | null {
  const parts = name.split('/');
  const base = (parts[parts.length - 1] ?? '').toLowerCase();
  if (parts[0] === '__MACOSX' || base.startsWith('._') || SYSTEM_FILES.has(base))
    return '系统自动生成的文件，已忽略';
  const ext = extensionOf(base);
  if (ARCHIVE_TYPES.has(ext)) return '压缩包中还有压缩包，请解开后重新打包';
  if (SHEET_TYPES.has(ext) || PHOTO_TYPES.has(ext)) return null;
  return '不是表格（.xlsx/.csv）或照片（.jpg/.png/.webp/.bmp/.heic），已忽略';
}

/**
 * Reads a zip upload: `.xlsx/.xlsm/.csv/.xls` entries are sheets (an .xls gets its clear error
 * from the sheet reader), `.jpg/.jpeg/.png/.webp/.bmp/.heic` are photos (any case); folders,
 * macOS and Windows clutter, unsafe paths, nested archives and other types are skipped with why.
 * Names come back with `/` separators. Refuses bombs, lying sizes and password-protected entries
 * with an ImportFileError; `fileName` (the upload's name) is what the messages call it.
 */
export async function readZip(
  bytes: Uint8Array,
  limits: ImportLimits,
  fileName = '压缩包.zip',
): Promise<ReadZip> {
  return sortZip(await openZip(bytes, limits, fileName));
}

/**
 * readZip on a zip already opened (and checked) by openZip. Sheets are read now; photos when
 * asked for, so the caller closes the zip (`close`) when done with them. Closed here on failure.
 */
export async function sortZip(zip: OpenedZip): Promise<ReadZip> {
  const out: ReadZip = { sheets: [], photos: [], skipped: [], close: () => zip.close() };
  try {
    for (const item of zip.items) {
      // Unsafe names are reported exactly as stored; the others with `/` separators.
      const unsafe = isUnsafeEntryName(item.name);
      const name = unsafe ? item.name : item.name.replace(/\\/g, '/');
      const reason = unsafe
        ? '文件路径不安全（含 ../、绝对路径或盘符），已忽略'
        : item.directory
          ? '文件夹'
          : skipReason(name);
      if (reason) {
        out.skipped.push({ name, reason });
        continue;
      }
      // A Buffer is a Uint8Array: handed over as is, not copied.
      // A password is known from the directory: the whole package is refused now, as the user
      // must repack it anyway. A photo's own damage shows when it is read (that row's photo).
      if (item.encrypted) await zip.read(item);
      if (SHEET_TYPES.has(extensionOf(name))) out.sheets.push({ name, bytes: await zip.read(item) });
      else out.photos.push({ name, size: item.size, read: () => zip.read(item) });
    }
  } catch (error) {
    zip.close();
    throw error;
  }
  return out;
}
