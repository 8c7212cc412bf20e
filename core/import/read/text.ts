import iconv from 'iconv-lite';

// Text as Chinese offices save it: UTF-8 (with or without a BOM) from newer tools and Macs, GBK
// from Excel/WPS on Chinese Windows ("CSV (逗号分隔)"), UTF-16 from Excel's "Unicode 文本".
// GB18030 is decoded for GBK: it is a strict superset, so a GBK file never decodes wrongly.

export type TextEncoding = 'utf-8' | 'gbk' | 'utf-16le' | 'utf-16be';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const looseUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Bytes that are well-formed UTF-8 (pure ASCII included). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export function decodeUtf8(bytes: Uint8Array): string {
  return looseUtf8.decode(bytes);
}

export function decodeGbk(bytes: Uint8Array): string {
  return iconv.decode(asBuffer(bytes), 'gb18030');
}

/**
 * Decodes a text file: a BOM decides; else valid UTF-8 is UTF-8; else GBK. Valid UTF-8 that is
 * really GBK needs every multi-byte GBK pair to form UTF-8 sequences, which real Chinese text
 * (more than a character or two) practically never does.
 */
export function decodeText(bytes: Uint8Array): { text: string; encoding: TextEncoding } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { text: decodeUtf8(bytes.subarray(3)), encoding: 'utf-8' };
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return { text: iconv.decode(asBuffer(bytes.subarray(2)), 'utf-16le'), encoding: 'utf-16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return { text: iconv.decode(asBuffer(bytes.subarray(2)), 'utf-16be'), encoding: 'utf-16be' };
  if (isValidUtf8(bytes)) return { text: decodeUtf8(bytes), encoding: 'utf-8' };
  return { text: decodeGbk(bytes), encoding: 'gbk' };
}
