import { promisify } from 'node:util';
import { crc32, inflateRaw } from 'node:zlib';
import yauzl from 'yauzl';
import { ImportFileError, type ImportLimits } from '../types.ts';
import { decodeGbk, decodeUtf8, isValidUtf8 } from './text.ts';

// Guarded access to a zip container (an upload of sheets and photos, or an xlsx workbook, which
// is a zip too). Everything that could be hostile is refused from the central directory alone,
// before a byte is inflated: too many entries, too much declared data, a compression ratio only a
// bomb has. While inflating, actual bytes are counted against the declared size, so a header
// that lies about its size is caught after at most one zlib chunk. Nothing is ever written to disk.

/** yauzl's Entry as it is with `decodeStrings: false` (the typings assume decoded strings). */
type RawEntry = yauzl.Entry & { fileNameRaw: Buffer };

export interface ZipItem {
  /** Decoded name as stored (GBK names without the UTF-8 flag included); backslashes kept. */
  name: string;
  directory: boolean;
  encrypted: boolean;
  /** Declared uncompressed size. */
  size: number;
  entry: yauzl.Entry;
}

export interface OpenedZip {
  items: ZipItem[];
  /** The entry's bytes, counted against its declared size and the total cap. */
  read(item: ZipItem): Promise<Buffer>;
  /** Inflates and lets go: proves an entry's true size without keeping it. */
  verify(item: ZipItem): Promise<void>;
  close(): void;
}

/** Below this size an entry cannot hurt, whatever its ratio (a text file of blanks, an empty one). */
const RATIO_FLOOR = 1024 * 1024;

const LOCAL_HEADER = 0x04034b50;
const GENERAL_PURPOSE_UTF8 = 0x800;
const INFO_ZIP_UNICODE_PATH = 0x7075;

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} 字节`;
}

/**
 * The entry's name: UTF-8 when the entry says so (bit 11); else the Info-ZIP Unicode Path field
 * when present and still describing this name (its CRC of the stored name matches); else UTF-8
 * when the bytes are valid UTF-8 (macOS, 7-Zip), else GBK (Chinese Windows' own zip folders).
 */
export function decodeEntryName(entry: yauzl.Entry): string {
  const raw = (entry as RawEntry).fileNameRaw;
  if (entry.generalPurposeBitFlag & GENERAL_PURPOSE_UTF8) return decodeUtf8(raw);
  const unicode = entry.extraFields.find((f) => f.id === INFO_ZIP_UNICODE_PATH);
  if (
    unicode &&
    unicode.data.length > 5 &&
    unicode.data[0] === 1 &&
    unicode.data.readUInt32LE(1) === crc32(raw)
  )
    return decodeUtf8(unicode.data.subarray(5));
  return isValidUtf8(raw) ? decodeUtf8(raw) : decodeGbk(raw);
}

function open(buf: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(
      buf,
      { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false },
      (err, zipfile) => (err ? reject(err) : resolve(zipfile)),
    );
  });
}

function listEntries(zipfile: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zipfile.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zipfile.readEntry();
    });
    zipfile.once('end', () => resolve(entries));
    zipfile.once('error', reject);
    zipfile.readEntry();
  });
}

/**
 * Opens a zip held in memory and checks it against the caps. `what` names the container in
 * messages: 压缩包 for an upload, 文件 for a workbook.
 */
export async function openZip(
  bytes: Uint8Array,
  limits: ImportLimits,
  fileName: string,
  what = '压缩包',
): Promise<OpenedZip> {
  const label = `${what}「${fileName}」`;
  const fail = (code: string, message: string) => new ImportFileError(code, message, fileName);
  const corrupt = (detail?: string) =>
    fail('zip-corrupt', `${label}已损坏，无法打开${detail ? `（${detail}）` : ''}，请重新打包后上传`);

  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let zipfile: yauzl.ZipFile;
  try {
    zipfile = await open(buf);
  } catch {
    throw corrupt();
  }
  if (zipfile.entryCount > limits.maxZipEntries) {
    zipfile.close();
    throw fail(
      'zip-too-many-entries',
      `${label}中有 ${zipfile.entryCount} 个文件，超过了上限 ${limits.maxZipEntries} 个，请分批打包上传`,
    );
  }
  let entries: yauzl.Entry[];
  try {
    entries = await listEntries(zipfile);
  } catch (error) {
    zipfile.close();
    // yauzl refuses a stored entry whose two declared sizes differ: a header that lies.
    if (/size mismatch/.test((error as Error).message))
      throw fail('zip-size-mismatch', `${label}中有文件记录的大小与实际不符，文件可能已损坏或被篡改，已拒绝`);
    throw corrupt();
  }

  const items: ZipItem[] = entries.map((entry) => {
    const name = decodeEntryName(entry);
    return {
      name,
      directory: /[/\\]$/.test(name),
      encrypted: entry.isEncrypted(),
      size: entry.uncompressedSize,
      entry,
    };
  });

  const declared = items.reduce((n, i) => n + i.size, 0);
  if (declared > limits.maxZipUncompressedBytes) {
    zipfile.close();
    throw fail(
      'zip-too-large',
      `${label}解压后共 ${formatBytes(declared)}，超过了上限 ${formatBytes(limits.maxZipUncompressedBytes)}，请分批打包上传`,
    );
  }
  for (const item of items) {
    const ratio = item.size / Math.max(item.entry.compressedSize, 1);
    if (item.size > RATIO_FLOOR && ratio > limits.maxZipRatio) {
      zipfile.close();
      throw fail(
        'zip-bomb',
        `${label}中的「${item.name}」压缩比异常（约 ${Math.round(ratio)} 倍，上限 ${limits.maxZipRatio} 倍），疑似“压缩炸弹”，已拒绝`,
      );
    }
  }

  let inflated = 0;
  const mismatch = (item: ZipItem) =>
    fail(
      'zip-size-mismatch',
      `${label}中的「${item.name}」实际大小与记录的不符，文件可能已损坏或被篡改，已拒绝`,
    );

  // The entry's data: after its local header, whose name and extra lengths may differ from the
  // central directory's (read here from the buffer, as yauzl's readLocalFileHeader does, without
  // a callback per entry).
  const localData = (entry: yauzl.Entry): Buffer | null => {
    const at = entry.relativeOffsetOfLocalHeader;
    if (at + 30 > buf.length || buf.readUInt32LE(at) !== LOCAL_HEADER) return null;
    const start = at + 30 + buf.readUInt16LE(at + 26) + buf.readUInt16LE(at + 28);
    const end = start + entry.compressedSize;
    return end > buf.length ? null : buf.subarray(start, end);
  };

  // Inflated on libuv's thread pool: the event loop stays free and both cores work.
  const inflate = promisify(inflateRaw);

  const extract = async (item: ZipItem): Promise<Buffer> => {
    if (item.encrypted)
      throw fail(
        'zip-encrypted',
        `${label}中的「${item.name}」设置了密码，无法读取。请去掉密码后重新打包上传`,
      );
    const method = item.entry.compressionMethod;
    if (method !== 0 && method !== 8)
      throw fail(
        'zip-unsupported-method',
        `${label}中的「${item.name}」使用了不支持的压缩方式，请用系统自带的“压缩”功能或 ZIP 格式（标准压缩）重新打包`,
      );
    const raw = localData(item.entry);
    if (!raw) throw corrupt(item.name);
    let data: Buffer;
    if (method === 0) {
      data = raw; // stored: a view of the upload, not a copy (yauzl checked both sizes agree)
    } else {
      try {
        data = await inflate(raw, { maxOutputLength: Math.max(item.size, 1) });
      } catch (error) {
        throw (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
          ? mismatch(item)
          : corrupt(item.name);
      }
    }
    if (data.length !== item.size) throw mismatch(item);
    inflated += data.length;
    if (inflated > limits.maxZipUncompressedBytes)
      throw fail(
        'zip-too-large',
        `${label}解压后超过了上限 ${formatBytes(limits.maxZipUncompressedBytes)}，已拒绝`,
      );
    return data;
  };

  return {
    items,
    read: extract,
    verify: async (item) => {
      await extract(item);
    },
    close: () => zipfile.close(),
  };
}
