/**
 * QR codes and barcodes as inline SVG: vectors print sharp at any size and cost Chromium less
 * than PNG data URLs. QR with `qrcode` (≈0.4 ms a code, against ≈6 ms with bwip-js, which matters
 * at a thousand cards); 1-D and PDF417 symbols with `bwip-js`, bars only: the human-readable line
 * is set in the card's own font by the caller.
 */
import { createRequire } from 'node:module';
import type * as Bwip from 'bwip-js';
import QRCode from 'qrcode';

// bwip-js is 2 MB of code: loaded on the first barcode, not whenever the plugin host (which checks
// templates) starts.
let bwipModule: typeof Bwip | undefined;
const bwip = (): typeof Bwip => (bwipModule ??= createRequire(import.meta.url)('bwip-js') as typeof Bwip);

export type QrLevel = 'L' | 'M' | 'Q' | 'H';
export type Symbology = 'code128' | 'code39' | 'ean13' | 'pdf417';

/** Thrown for content a symbology cannot encode (EAN-13 with letters, Chinese in Code 39 …). */
export class CodeContentError extends Error {}

/**
 * A QR code filling its box: dark modules as one path of horizontal runs on a white square with
 * a one-module margin (the card around it provides the rest of the quiet zone).
 */
export function qrSvg(text: string, level: QrLevel = 'M'): string {
  if (text === '') throw new CodeContentError('二维码内容为空');
  let qr: ReturnType<typeof QRCode.create>;
  try {
    qr = QRCode.create(text, { errorCorrectionLevel: level });
  } catch (error) {
    throw new CodeContentError(`二维码无法编码：${(error as Error).message}`);
  }
  const { size, data } = qr.modules;
  const margin = 1;
  let d = '';
  for (let y = 0; y < size; y++) {
    let x = 0;
    while (x < size) {
      if (!data[y * size + x]) {
        x++;
        continue;
      }
      const start = x;
      while (x < size && data[y * size + x]) x++;
      d += `M${start + margin} ${y + margin}h${x - start}v1h${start - x}z`;
    }
  }
  const full = size + 2 * margin;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${full} ${full}" preserveAspectRatio="xMidYMid meet" shape-rendering="crispEdges">` +
    `<rect width="${full}" height="${full}" fill="#fff"/><path fill="#000" d="${d}"/></svg>`
  );
}

/** bwip-js's encoder names and their content rules, checked before encoding for a clear message. */
const SYMBOLOGY: Record<Symbology, { bcid: string; check: (t: string) => string | null }> = {
  code128: {
    bcid: 'code128',
    check: (t) => (/^[\x20-\x7e]+$/.test(t) ? null : 'Code 128 只能编码 ASCII 字母、数字和符号'),
  },
  code39: {
    bcid: 'code39',
    check: (t) =>
      /^[0-9A-Z \-.$/+%]+$/.test(t) ? null : 'Code 39 只能编码大写字母、数字和 - . $ / + % 空格',
  },
  ean13: {
    bcid: 'ean13',
    check: (t) => (/^\d{12,13}$/.test(t) ? null : 'EAN-13 需要 12 或 13 位数字'),
  },
  pdf417: { bcid: 'pdf417', check: () => null },
};

/**
 * A barcode's bars as SVG stretched to its box (`preserveAspectRatio="none"`: widening a 1-D
 * code scales every module alike), with a quiet zone of ten modules either side.
 */
export function barcodeSvg(text: string, symbology: Symbology): string {
  if (text === '') throw new CodeContentError('条码内容为空');
  const spec = SYMBOLOGY[symbology];
  const problem = spec.check(text);
  if (problem) throw new CodeContentError(problem);
  let svg: string;
  try {
    svg = bwip().toSVG({
      bcid: spec.bcid,
      text,
      scale: 1,
      height: symbology === 'pdf417' ? undefined : 10,
      includetext: false,
      paddingwidth: symbology === 'pdf417' ? 2 : 10,
      paddingheight: 0,
      backgroundcolor: 'FFFFFF',
    });
  } catch (error) {
    throw new CodeContentError(`条码无法编码：${(error as Error).message}`);
  }
  return svg.replace('<svg ', '<svg preserveAspectRatio="none" ');
}
