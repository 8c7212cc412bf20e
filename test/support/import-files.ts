// Real import files built in the tests (no binary fixtures in git): collection workbooks as
// offices lay them out, CSVs in GBK and UTF-8, and zips as Chinese Windows, macOS and attackers
// make them. yauzl cannot write zips, so a minimal writer is here: local headers, central
// directory, end record; stored or deflated; names in UTF-8 (flag set) or GBK (flag not set).
import { constants, crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import sharp from 'sharp';

// ---------------------------------------------------------------------------------------------
// Zips

export interface ZipSpec {
  /** A string (encoded per `gbkNames` / `utf8`) or the raw name bytes. */
  name: string | Uint8Array;
  data?: Uint8Array | string;
  /** Default: deflate (what Windows' “发送到 → 压缩文件夹” does). */
  method?: 'store' | 'deflate';
  /** Already deflated data with the size and CRC of what it inflates to (bombs, built cheaply). */
  deflated?: { data: Uint8Array; size: number; crc: number };
  /** The UTF-8 flag (bit 11); default: set for string names unless `gbkNames`. */
  utf8?: boolean;
  /** Sets the “encrypted” flag (bit 0); the data is left as is. */
  encrypted?: boolean;
  /** An uncompressed size to declare instead of the true one (a lying header). */
  declaredSize?: number;
  /** Raw extra field bytes (id, length, data …). */
  extra?: Uint8Array;
}

export interface ZipOptions {
  /** Encode string names in GBK without the UTF-8 flag, as Chinese Windows does. */
  gbkNames?: boolean;
  /** Deflate level; default: fastest (the bench zips 500 MB of photos). */
  level?: number;
}

const DOS_TIME = (10 << 11) | (0 << 5); // 10:00:00
const DOS_DATE = ((2026 - 1980) << 9) | (3 << 5) | 1; // 2026-03-01

function nameBytes(spec: ZipSpec, opts: ZipOptions): { bytes: Buffer; utf8: boolean } {
  if (typeof spec.name !== 'string') return { bytes: Buffer.from(spec.name), utf8: spec.utf8 ?? false };
  if (opts.gbkNames && spec.utf8 !== true) return { bytes: iconv.encode(spec.name, 'gbk'), utf8: false };
  return { bytes: Buffer.from(spec.name, 'utf8'), utf8: spec.utf8 ?? true };
}

/** A zip of the given entries, in order. */
export function zipEntries(entries: ZipSpec[], opts: ZipOptions = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const spec of entries) {
    const name = nameBytes(spec, opts);
    const extra = Buffer.from(spec.extra ?? new Uint8Array(0));
    const plain =
      typeof spec.data === 'string' ? Buffer.from(spec.data) : Buffer.from(spec.data ?? new Uint8Array(0));
    const isDir = name.bytes.at(-1) === 0x2f;
    let method: number;
    let body: Buffer;
    let size: number;
    let crc: number;
    if (spec.deflated) {
      method = 8;
      body = Buffer.from(spec.deflated.data);
      size = spec.deflated.size;
      crc = spec.deflated.crc;
    } else {
      method = spec.method === 'store' || isDir ? 0 : 8;
      body = method === 8 ? deflateRawSync(plain, { level: opts.level ?? constants.Z_BEST_SPEED }) : plain;
      size = plain.length;
      crc = crc32(plain);
    }
    const declared = spec.declaredSize ?? size;
    const flags = (name.utf8 ? 0x800 : 0) | (spec.encrypted ? 0x1 : 0);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(declared, 22);
    local.writeUInt16LE(name.bytes.length, 26);
    local.writeUInt16LE(extra.length, 28);
    locals.push(local, name.bytes, extra, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(declared, 24);
    central.writeUInt16LE(name.bytes.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(isDir ? 0x10 : 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name.bytes, extra);
    offset += local.length + name.bytes.length + extra.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** An Info-ZIP Unicode Path extra field (0x7075) giving `name` in UTF-8 for the stored `raw` name. */
export function unicodePathExtra(raw: Uint8Array, name: string): Buffer {
  const utf8 = Buffer.from(name, 'utf8');
  const field = Buffer.alloc(9 + utf8.length);
  field.writeUInt16LE(0x7075, 0);
  field.writeUInt16LE(5 + utf8.length, 2);
  field.writeUInt8(1, 4);
  field.writeUInt32LE(crc32(raw) >>> 0, 5);
  utf8.copy(field, 9);
  return field;
}

const zerosCache = new Map<number, { data: Buffer; size: number; crc: number }>();

/** `size` zero bytes deflated, built by streaming 1 MB at a time (the bomb is never in memory). */
export async function deflatedZeros(size: number): Promise<{ data: Buffer; size: number; crc: number }> {
  const cached = zerosCache.get(size);
  if (cached) return cached;
  const chunk = Buffer.alloc(1024 * 1024);
  const deflate = createDeflateRaw({ level: constants.Z_BEST_COMPRESSION });
  const out: Buffer[] = [];
  deflate.on('data', (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  let crc = 0;
  for (let left = size; left > 0; left -= chunk.length) {
    const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
    crc = crc32(part, crc);
    if (!deflate.write(part)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  const result = { data: Buffer.concat(out), size, crc };
  zerosCache.set(size, result);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Pictures

/** A small PNG of one colour (a stand-in for an ID photo). */
export function pngPhoto(width = 30, height = 40, colour = { r: 200, g: 30, b: 30 }): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toBuffer();
}

// ---------------------------------------------------------------------------------------------
// The collection workbook

/** What the collection workbook holds, for the tests to assert against. */
export const COLLECTION = {
  fileName: '数博会人员申报表.xlsx',
  sheet: '人员信息',
  title: '2026数博会人员证件申报表',
  notes: '填表说明：证件号码请填写18位，末位X请大写；照片请插入到对应行。',
  headerRow: 3,
  headers: ['序号', '姓名', '性别', '证件类型', '证件号码', '工作单位', '手机号码', '出生日期', '照片'],
  firstDataRow: 4,
  lastDataRow: 23,
  /** Row 5: the ID typed as a number (Excel kept 15 digits). */
  numberIdRow: 5,
  // What Excel stores when an 18-digit ID is typed into a General cell (a double: digits lost).
  numberId: Number('110101199003071234'),
  numberIdText: '110101199003071000',
  /** Row 6: lower-case x; row 7: full-width digits. */
  lowerXRow: 6,
  lowerXId: '11010119900307123x',
  fullWidthRow: 7,
  fullWidthId: '１１０１０５１９８５０６１５００１Ｘ',
  /** Row 8: the 序号 is a formula with a cached result. */
  formulaRow: 8,
  /** Row 10: a photo is anchored to the 照片 column (I = 0-based 8). */
  pictureRow: 10,
  pictureCol: 8,
  instructionRows: [25, 26],
  instructions: ['注：1. 本表由各单位统一填写，一人一行。', '2. 照片为近期免冠证件照。'],
  hiddenSheet: '选项',
  vehicleSheet: '车辆信息',
  vehicleHeaders: ['车牌号', '车辆类型', '驾驶员', '驾驶员证件号码'],
} as const;

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗';

/** ID numbers of the plain data rows (18 digits, check digit not computed: readers do not check). */
const plainId = (i: number) => `11010119900307${String(1000 + i)}`;

/**
 * A collection workbook as an office sends it: merged title (row 1), notes (row 2), header at
 * row 3, 20 data rows (4–23) including an ID typed as a number, lower-case x, full-width digits,
 * a formula, a birth date, a picture anchored to row 10; two trailing instruction rows (25–26)
 * after a blank gap; a hidden options sheet; a second sheet of vehicles.
 */
export async function collectionWorkbook(): Promise<Buffer> {
  const c = COLLECTION;
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(c.sheet);
  ws.getCell('A1').value = c.title;
  ws.mergeCells('A1:I1');
  ws.getCell('A2').value = c.notes;
  ws.mergeCells('A2:I2');
  ws.getRow(3).values = [...c.headers];
  for (let r = c.firstDataRow; r <= c.lastDataRow; r++) {
    const i = r - c.firstDataRow;
    const row = ws.getRow(r);
    row.getCell(1).value = i + 1;
    row.getCell(2).value = `${SURNAMES[i % SURNAMES.length]}测试${i}`;
    row.getCell(3).value = i % 2 ? '女' : '男';
    row.getCell(4).value = '居民身份证';
    row.getCell(5).value = plainId(i);
    row.getCell(6).value = '滨江市会展办';
    row.getCell(7).value = `1391000${String(1000 + i)}`;
    row.getCell(8).value = new Date(Date.UTC(1990, 2, 7));
    row.getCell(8).numFmt = 'yyyy-mm-dd';
  }
  ws.getCell(`E${c.numberIdRow}`).value = c.numberId;
  ws.getCell(`E${c.lowerXRow}`).value = c.lowerXId;
  ws.getCell(`E${c.fullWidthRow}`).value = c.fullWidthId;
  ws.getCell(`A${c.formulaRow}`).value = { formula: `A${c.formulaRow - 1}+1`, result: c.formulaRow - 3 };
  const photo = wb.addImage({ buffer: (await pngPhoto()) as unknown as ExcelJS.Buffer, extension: 'png' });
  ws.addImage(photo, { tl: { col: c.pictureCol, row: c.pictureRow - 1 }, ext: { width: 30, height: 40 } });
  c.instructions.forEach((text, k) => {
    const r = c.instructionRows[k]!;
    ws.getCell(`A${r}`).value = text;
    ws.mergeCells(`A${r}:I${r}`);
  });

  const options = wb.addWorksheet(c.hiddenSheet, { state: 'hidden' });
  options.addRow(['居民身份证', '护照', '港澳居民来往内地通行证']);

  const vehicles = wb.addWorksheet(c.vehicleSheet);
  vehicles.addRow([...c.vehicleHeaders]);
  vehicles.addRow(['贵A12345', '小型轿车', '王测试', plainId(30)]);
  vehicles.addRow(['贵A D1234', '小型新能源汽车', '李测试', plainId(31)]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** A workbook with one sheet of the given rows (row 1 first), and options for the sheet. */
export async function simpleWorkbook(
  rows: ExcelJS.CellValue[][],
  sheet = 'Sheet1',
  setup?: (ws: ExcelJS.Worksheet, wb: ExcelJS.Workbook) => void,
): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(sheet);
  for (const r of rows) ws.addRow(r);
  setup?.(ws, wb);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

// ---------------------------------------------------------------------------------------------
// CSV

/** CSV text in GBK, as Excel's “CSV (逗号分隔)” saves it on Chinese Windows. */
export const gbkCsv = (text: string): Buffer => iconv.encode(text, 'gbk');

/** CSV text in UTF-8 with a BOM, as Excel's “CSV UTF-8” saves it. */
export const utf8BomCsv = (text: string): Buffer =>
  Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);

/** The first bytes of an OLE2 compound file, optionally naming the streams of an encrypted workbook. */
export function ole2File(encrypted = false): Buffer {
  const header = Buffer.alloc(1536);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header);
  if (encrypted) {
    Buffer.from('EncryptionInfo', 'utf16le').copy(header, 1024);
    Buffer.from('EncryptedPackage', 'utf16le').copy(header, 1152);
  } else {
    Buffer.from('Workbook', 'utf16le').copy(header, 1024);
  }
  return header;
}

// ---------------------------------------------------------------------------------------------
// WPS 表格: pictures placed in cells

/**
 * A workbook as WPS 表格 saves one with pictures placed in cells (嵌入单元格图片): the cells hold
 * `=DISPIMG("ID_…",1)`, the pictures live in xl/cellimages.xml and its relationships.
 * `pictures`: cell address (e.g. `F2`) → image bytes (JPEG).
 */
export async function wpsCellImageWorkbook(
  rows: ExcelJS.CellValue[][],
  pictures: Record<string, Uint8Array>,
  sheet = 'Sheet1',
): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(sheet);
  for (const r of rows) ws.addRow(r);
  const names = Object.keys(pictures).map((address, i) => {
    const name = `ID_${(0x5e7b0c0e + i).toString(16).toUpperCase()}2F3C4F0A9E6E3A7C9E8D1F2B`;
    ws.getCell(address).value = { formula: `_xlfn.DISPIMG("${name}",1)`, result: `=DISPIMG("${name}",1)` };
    return name;
  });
  const base = Buffer.from(await wb.xlsx.writeBuffer());
  // Re-pack with the WPS parts added, as WPS writes them.
  const { openZip } = await import('../../core/import/read/zip-scan.ts');
  const { DEFAULT_IMPORT_LIMITS } = await import('../../core/import/types.ts');
  const zip = await openZip(base, DEFAULT_IMPORT_LIMITS, 'base.xlsx');
  const entries: ZipSpec[] = [];
  for (const item of zip.items)
    if (!item.directory) entries.push({ name: item.name, data: await zip.read(item) });
  zip.close();
  const pics = names
    .map(
      (name, i) =>
        `<etc:cellImage><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="${i + 2}" name="${name}" descr="照片"/><xdr:cNvPicPr/></xdr:nvPicPr>` +
        `<xdr:blipFill><a:blip r:embed="rId${i + 1}"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill>` +
        `<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="1028700" cy="1371600"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic></etc:cellImage>`,
    )
    .join('');
  entries.push({
    name: 'xl/cellimages.xml',
    data:
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
      '<etc:cellImages xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" ' +
      'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" ' +
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ' +
      `xmlns:etc="http://www.wps.cn/officeDocument/2017/etCustomData">${pics}</etc:cellImages>`,
  });
  entries.push({
    name: 'xl/_rels/cellimages.xml.rels',
    data:
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
      names
        .map(
          (_, i) =>
            `<Relationship Id="rId${i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/wps-image${i + 1}.jpeg"/>`,
        )
        .join('') +
      '</Relationships>',
  });
  Object.values(pictures).forEach((data, i) =>
    entries.push({ name: `xl/media/wps-image${i + 1}.jpeg`, data }),
  );
  return zipEntries(entries);
}
