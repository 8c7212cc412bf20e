// What a file is, by its first bytes rather than its name: offices rename files freely
// (人员.xls that is really .xlsx, .xlsx that is a web page exported by some system).

/** A zip container (xlsx, or a zip of sheets and photos): a local header, or an empty zip. */
export function isZip(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    ((bytes[2] === 0x03 && bytes[3] === 0x04) || (bytes[2] === 0x05 && bytes[3] === 0x06))
  );
}

const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** An OLE2 compound file: a legacy .xls, or an xlsx encrypted with an opening password. */
export function isOle2(bytes: Uint8Array): boolean {
  return bytes.length >= OLE2.length && OLE2.every((b, i) => bytes[i] === b);
}

const ENCRYPTED_PACKAGE = Buffer.from('EncryptedPackage', 'utf16le');
const ENCRYPTION_INFO = Buffer.from('EncryptionInfo', 'utf16le');

/**
 * An OLE2 file holding an encrypted OOXML package (Excel/WPS "用密码进行加密"): its directory
 * names the streams `EncryptionInfo` and `EncryptedPackage` (in UTF-16LE). Searching the bytes
 * spares parsing the compound-file directory; a .xls whose cells spell both names in UTF-16 is
 * not a file anyone sends.
 */
export function isEncryptedOoxml(bytes: Uint8Array): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return isOle2(bytes) && buf.includes(ENCRYPTED_PACKAGE) && buf.includes(ENCRYPTION_INFO);
}

/** A web page saved as .xls (many systems export HTML tables under that name). */
export function looksLikeHtml(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024))
    .toString('latin1')
    .replace(/^\uFEFF|^\u00EF\u00BB\u00BF/, '')
    .trimStart()
    .toLowerCase();
  return /^<(!doctype html|html|table|\?xml[^>]*>\s*<html)/.test(head);
}

/** The extension of a file name, lower-case, without the dot ('' when none). */
export function extensionOf(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}
