import ExcelJS from 'exceljs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../core/import/read/csv.ts';
import { readUpload } from '../../core/import/read/index.ts';
import { readXlsx } from '../../core/import/read/xlsx.ts';
import { dispimgName, parseCellImages } from '../../core/import/read/wps-cell-images.ts';
import { readZip } from '../../core/import/read/zip.ts';
import {
  DEFAULT_IMPORT_LIMITS,
  ImportFileError,
  type ImportLimits,
  type SheetRow,
  type SheetTable,
} from '../../core/import/types.ts';
import {
  COLLECTION,
  collectionWorkbook,
  deflatedZeros,
  gbkCsv,
  ole2File,
  pngPhoto,
  simpleWorkbook,
  unicodePathExtra,
  utf8BomCsv,
  wpsCellImageWorkbook,
  zipEntries,
} from '../support/import-files.ts';

const limits: ImportLimits = DEFAULT_IMPORT_LIMITS;
/** An 18-digit ID typed into a number cell: a double, digits beyond the 15th already gone. */
const typedId = Number('110101199003071234');

/** The error a promise (or a function) fails with, and how long it took. */
async function failure(run: () => unknown): Promise<{ error: ImportFileError; ms: number }> {
  const start = performance.now();
  try {
    await run();
  } catch (error) {
    if (!(error instanceof ImportFileError)) throw error;
    return { error, ms: performance.now() - start };
  }
  throw new Error('expected an ImportFileError');
}

const rowOf = (sheet: SheetTable, row: number): SheetRow => {
  const found = sheet.rows.find((r) => r.row === row);
  if (!found) throw new Error(`no row ${row}`);
  return found;
};
const texts = (row: SheetRow) => row.cells.map((c) => c?.text ?? null);

// ---------------------------------------------------------------------------------------------

describe('readXlsx: a collection workbook as offices send it', async () => {
  const c = COLLECTION;
  const bytes = await collectionWorkbook();
  const wb = await readXlsx(bytes, c.fileName, limits);
  const sheet = wb.sheets[0]!;

  it('reads the visible sheets in order, keeps the hidden one aside and says so', () => {
    expect(wb.format).toBe('xlsx');
    expect(wb.fileName).toBe(c.fileName);
    expect(wb.sheets.map((s) => s.name)).toEqual([c.sheet, c.vehicleSheet]);
    expect(wb.hiddenSheets?.map((s) => s.name)).toEqual([c.hiddenSheet]);
    expect(wb.warnings).toEqual([
      {
        code: 'formula-cells',
        file: c.fileName,
        sheet: c.sheet,
        row: c.formulaRow,
        col: 1,
        message: `工作表「${c.sheet}」有 1 个公式单元格，已按文件中保存的计算结果读取（未重新计算）`,
      },
      {
        code: 'hidden-sheet',
        file: c.fileName,
        sheet: c.hiddenSheet,
        message: `工作表「${c.hiddenSheet}」是隐藏的，未导入；如需导入，请在 Excel 中取消隐藏后重新上传`,
      },
    ]);
  });

  it("numbers rows as the sheet does, the merged title's value at its master cell only", () => {
    expect(sheet.rows.map((r) => r.row)).toEqual([
      1,
      2,
      3,
      ...Array.from({ length: 20 }, (_, i) => i + 4),
      ...c.instructionRows,
    ]);
    expect(rowOf(sheet, 1).cells).toEqual([{ text: c.title, numeric: false }]);
    expect(texts(rowOf(sheet, 2))).toEqual([c.notes]);
    expect(texts(rowOf(sheet, 3))).toEqual([...c.headers]);
    expect(texts(rowOf(sheet, 25))).toEqual([c.instructions[0]]);
    expect(sheet.merges).toEqual(
      expect.arrayContaining([
        { top: 1, left: 0, bottom: 1, right: 8 },
        { top: 25, left: 0, bottom: 25, right: 8 },
      ]),
    );
  });

  it('keeps what Excel knew about each cell', () => {
    const row4 = rowOf(sheet, 4).cells;
    expect(row4[0]).toEqual({ text: '1', numeric: true });
    expect(row4[1]).toEqual({ text: '王测试0', numeric: false });
    expect(row4[4]).toEqual({ text: '110101199003071000', numeric: false });
    expect(row4[6]).toEqual({ text: '13910001000', numeric: false });
    expect(row4[7]).toEqual({ text: '1990-03-07', numeric: false, date: '1990-03-07' });
    // The ID typed as a number: Excel's 15 digits in plain decimal, marked numeric.
    expect(rowOf(sheet, c.numberIdRow).cells[4]).toEqual({ text: c.numberIdText, numeric: true });
    expect(rowOf(sheet, c.lowerXRow).cells[4]).toEqual({ text: c.lowerXId, numeric: false });
    expect(rowOf(sheet, c.fullWidthRow).cells[4]).toEqual({ text: c.fullWidthId, numeric: false });
    expect(rowOf(sheet, c.formulaRow).cells[0]).toEqual({ text: '5', numeric: true, formula: true });
  });

  it('gives the picture with the cell it is anchored to', async () => {
    expect(sheet.images).toHaveLength(1);
    const image = sheet.images[0]!;
    expect({ row: image.row, col: image.col, extension: image.extension }).toEqual({
      row: c.pictureRow,
      col: c.pictureCol,
      extension: 'png',
    });
    expect(Buffer.from(image.data).equals(await pngPhoto())).toBe(true);
  });

  it('reads the second sheet (vehicles) with its own rows', () => {
    const vehicles = wb.sheets[1]!;
    expect(vehicles.rows.map((r) => r.row)).toEqual([1, 2, 3]);
    expect(texts(vehicles.rows[0]!)).toEqual([...c.vehicleHeaders]);
    expect(texts(vehicles.rows[2]!)).toEqual(['贵A D1234', '小型新能源汽车', '李测试', '110101199003071031']);
    expect(vehicles.images).toEqual([]);
  });
});

describe('readXlsx: cell values', () => {
  async function cells(values: ExcelJS.CellValue[], setup?: (ws: ExcelJS.Worksheet) => void) {
    const wb = await readXlsx(await simpleWorkbook([values], 'S', setup), 'v.xlsx', limits);
    return wb.sheets[0]!.rows[0]!.cells;
  }

  it('writes numbers in plain decimal with at most the 15 digits Excel keeps', async () => {
    expect(await cells([0.1 + 0.2, 1e21, 123456789012, -1.5, 1e-7, typedId, 2 ** 53, 0])).toEqual(
      [
        '0.3',
        '1000000000000000000000',
        '123456789012',
        '-1.5',
        '0.0000001',
        '110101199003071000',
        '9007199254740990',
        '0',
      ].map((text) => ({ text, numeric: true })),
    );
  });

  it('pads a number whose format is zeros only, as Excel shows it', async () => {
    expect(await cells([1234], (ws) => (ws.getCell('A1').numFmt = '000000'))).toEqual([
      { text: '001234', numeric: true },
    ]);
  });

  it('reads a number with a date format as a date, a time-only value as its time', async () => {
    expect(
      await cells([46082, 0.5, 46082.5], (ws) => {
        ws.getCell('A1').numFmt = 'yyyy"年"m"月"d"日"';
        ws.getCell('B1').numFmt = 'h:mm';
        ws.getCell('C1').numFmt = 'yyyy-mm-dd hh:mm';
      }),
    ).toEqual([
      { text: '2026-03-01', numeric: false, date: '2026-03-01' },
      { text: '12:00', numeric: false },
      { text: '2026-03-01 12:00', numeric: false, date: '2026-03-01' },
    ]);
  });

  it('joins rich text, shows hyperlinks and errors as their text, booleans as Excel writes them', async () => {
    expect(
      await cells([
        { richText: [{ text: '张' }, { font: { bold: true }, text: '三' }] },
        { text: '官网', hyperlink: 'https://example.org' },
        { error: '#N/A' },
        true,
        '',
        '  ',
      ]),
    ).toEqual([
      { text: '张三', numeric: false },
      { text: '官网', numeric: false },
      { text: '#N/A', numeric: false },
      { text: 'TRUE', numeric: false },
      null,
      { text: '  ', numeric: false },
    ]);
  });

  it('gives a formula its cached result, never evaluating it', async () => {
    expect(
      await cells([
        { formula: '1+1', result: 3 },
        { formula: 'CONCAT("a","b")', result: 'ab' },
        { formula: 'VLOOKUP(1,A:A,2)', result: { error: '#N/A' } },
        { formula: 'NOW()' },
        { formula: 'A1', result: typedId },
      ]),
    ).toEqual([
      { text: '3', numeric: true, formula: true },
      { text: 'ab', numeric: false, formula: true },
      { text: '#N/A', numeric: false, formula: true },
      { text: '', numeric: false, formula: true },
      { text: '110101199003071000', numeric: true, formula: true },
    ]);
  });

  it('keeps only the master of a merged range; a header merged over two columns keeps its text once', async () => {
    const bytes = await simpleWorkbook(
      [
        ['姓名', '身份信息', null, '电话'],
        ['张三', '居民身份证', '110101199003071234', '13900000000'],
      ],
      'S',
      (ws) => ws.mergeCells('B1:C1'),
    );
    const sheet = (await readXlsx(bytes, 'm.xlsx', limits)).sheets[0]!;
    expect(texts(sheet.rows[0]!)).toEqual(['姓名', '身份信息', null, '电话']);
    expect(sheet.merges).toEqual([{ top: 1, left: 1, bottom: 1, right: 2 }]);
  });

  it('reads a hidden sheet when it is the only one, without a warning', async () => {
    const bytes = await simpleWorkbook([['姓名'], ['张三']], '唯一', (ws) => (ws.state = 'hidden'));
    const wb = await readXlsx(bytes, 'h.xlsx', limits);
    expect(wb.sheets.map((s) => s.name)).toEqual(['唯一']);
    expect(wb.warnings).toEqual([]);
  });

  it('keeps a very hidden sheet (a template’s metadata) aside without telling anyone', async () => {
    const bytes = await simpleWorkbook([['姓名']], '人员', (_ws, wb) => {
      wb.addWorksheet('_tessera', { state: 'veryHidden' }).addRow(['format', 'tessera-collection-template']);
    });
    const wb = await readXlsx(bytes, 't.xlsx', limits);
    expect(wb.sheets.map((s) => s.name)).toEqual(['人员']);
    expect(wb.hiddenSheets?.map((s) => texts(s.rows[0]!))).toEqual([
      ['format', 'tessera-collection-template'],
    ]);
    expect(wb.warnings).toEqual([]);
  });
});

describe('readXlsx: files it cannot read', () => {
  it('refuses a legacy .xls with how to convert it', async () => {
    const { error } = await failure(() => readXlsx(ole2File(), '人员.xls', limits));
    expect(error.code).toBe('xls-not-supported');
    expect(error.file).toBe('人员.xls');
    expect(error.message).toBe(
      '「人员.xls」是旧版 Excel 97-2003 格式，请在 Excel 或 WPS 中“另存为”Excel 工作簿（.xlsx）后再上传',
    );
  });

  it('tells a password-protected workbook from a legacy .xls', async () => {
    const { error } = await failure(() => readXlsx(ole2File(true), '加密.xlsx', limits));
    expect(error.code).toBe('file-encrypted');
    expect(error.message).toBe(
      '「加密.xlsx」设置了打开密码，无法读取。请在 Excel 或 WPS 中打开并取消密码，另存为 Excel 工作簿（.xlsx）后再上传',
    );
  });

  it('refuses a web page saved as .xls', async () => {
    const html = Buffer.from('<html><body><table><tr><td>姓名</td></tr></table></body></html>');
    const { error } = await failure(() => readXlsx(html, '导出.xls', limits));
    expect(error.code).toBe('html-not-supported');
    expect(error.message).toContain('「导出.xls」不是真正的 Excel 文件');
  });

  it.each([
    ['random bytes', Buffer.from('这不是表格')],
    ['a zip header and garbage', Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200, 7)])],
    ['a zip without a workbook', zipEntries([{ name: 'a.txt', data: 'x' }])],
  ])('calls %s corrupt, naming the file', async (_what, bytes) => {
    const { error, ms } = await failure(() => readXlsx(bytes, '坏.xlsx', limits));
    expect(error.code).toBe('file-corrupt');
    expect(error.message).toBe(
      '「坏.xlsx」已损坏或不是有效的 Excel 工作簿（.xlsx），无法读取。请在 Excel 或 WPS 中打开确认，另存为 .xlsx 后再上传',
    );
    expect(ms).toBeLessThan(1000);
  });

  it('calls a truncated workbook corrupt', async () => {
    const bytes = await collectionWorkbook();
    const { error } = await failure(() => readXlsx(bytes.subarray(0, bytes.length - 100), '断.xlsx', limits));
    expect(error.code).toBe('file-corrupt');
  });

  it('refuses an xlsx that is a zip bomb before exceljs inflates it', async () => {
    const zeros = await deflatedZeros(200 * 1024 * 1024);
    const bomb = zipEntries([
      { name: '[Content_Types].xml', data: '<Types/>' },
      { name: 'xl/workbook.xml', data: '<workbook/>' },
      { name: 'xl/worksheets/sheet1.xml', deflated: zeros },
    ]);
    const before = process.memoryUsage().arrayBuffers;
    const { error, ms } = await failure(() => readXlsx(bomb, '炸弹.xlsx', limits));
    expect(error.code).toBe('zip-bomb');
    expect(error.message).toMatch(
      /^文件「炸弹\.xlsx」中的「xl\/worksheets\/sheet1\.xml」压缩比异常（约 \d+ 倍，上限 200 倍），疑似“压缩炸弹”，已拒绝$/,
    );
    expect(ms).toBeLessThan(1000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50 * 1024 * 1024);
  });

  it('refuses a sheet with more rows or columns than the caps, saying the cap', async () => {
    const bytes = await simpleWorkbook(
      Array.from({ length: 10 }, (_, i) => [`r${i}`, 'a', 'b', 'c', 'd']),
      '人员',
    );
    const rows = await failure(() => readXlsx(bytes, '大.xlsx', { ...limits, maxRows: 5 }));
    expect(rows.error.code).toBe('sheet-too-large');
    expect(rows.error.message).toBe(
      '「大.xlsx」的工作表「人员」有 10 行，超过了单次导入的上限 5 行，请拆分成几个文件分别上传',
    );
    const cols = await failure(() => readXlsx(bytes, '宽.xlsx', { ...limits, maxColumns: 3 }));
    expect(cols.error.code).toBe('sheet-too-large');
    expect(cols.error.message).toBe(
      '「宽.xlsx」的工作表「人员」第 4 列还有内容，超过了上限 3 列，请删除多余的列后再上传',
    );
  });
});

describe('readXlsx: 10,000 rows × 15 columns', () => {
  it('reads them lean (timing printed: bare exceljs load vs readXlsx)', async () => {
    const rows: ExcelJS.CellValue[][] = [Array.from({ length: 15 }, (_, i) => `列${i + 1}`)];
    for (let i = 0; i < 10_000; i++)
      rows.push([
        `张${i}`,
        '男',
        '汉族',
        new Date(Date.UTC(1990, 2, 7)),
        '居民身份证',
        `11010119900307${String(1000 + (i % 9000))}`,
        `单位${i % 50}`,
        '职员',
        `139${String(10_000_000 + i)}`,
        '工作证',
        'A,B',
        '',
        i,
        i * 1.5,
        `x${i}`,
      ]);
    const bytes = await simpleWorkbook(rows, '人员');
    let start = performance.now();
    await new ExcelJS.Workbook().xlsx.load(bytes as unknown as ExcelJS.Buffer);
    const bare = performance.now() - start;
    start = performance.now();
    const wb = await readXlsx(bytes, 'big.xlsx', limits);
    const ours = performance.now() - start;
    console.log(`10,000 × 15: bare exceljs load ${bare.toFixed(0)} ms, readXlsx ${ours.toFixed(0)} ms`);
    expect(wb.sheets[0]!.rows).toHaveLength(10_001);
    expect(wb.sheets[0]!.rows[10_000]!.cells[12]).toEqual({ text: '9999', numeric: true });
    expect(ours).toBeLessThan(5000);
  });
});

// ---------------------------------------------------------------------------------------------

describe('readCsv', () => {
  const table = (bytes: Uint8Array, name = '人员.csv', l = limits) => readCsv(bytes, name, l);

  it('reads GBK (Excel “CSV (逗号分隔)” on Chinese Windows)', () => {
    const wb = table(
      gbkCsv('姓名,性别,证件号码\r\n张三,男,11010119900307123x\r\n李四,女,110101199003071234\r\n'),
    );
    expect(wb).toMatchObject({ fileName: '人员.csv', format: 'csv', encoding: 'gbk', warnings: [] });
    expect(wb.sheets.map((s) => s.name)).toEqual(['人员']);
    expect(wb.sheets[0]!.rows).toEqual([
      { row: 1, cells: ['姓名', '性别', '证件号码'].map((text) => ({ text, numeric: false })) },
      { row: 2, cells: ['张三', '男', '11010119900307123x'].map((text) => ({ text, numeric: false })) },
      { row: 3, cells: ['李四', '女', '110101199003071234'].map((text) => ({ text, numeric: false })) },
    ]);
  });

  it('reads UTF-8 with a BOM, the BOM not in the first header', () => {
    const wb = table(utf8BomCsv('姓名,民族\n王五,维吾尔族\n'));
    expect(wb.encoding).toBe('utf-8');
    expect(texts(wb.sheets[0]!.rows[0]!)).toEqual(['姓名', '民族']);
    expect(texts(wb.sheets[0]!.rows[1]!)).toEqual(['王五', '维吾尔族']);
  });

  it('reads UTF-8 without a BOM as UTF-8', () => {
    expect(table(Buffer.from('姓名\n赵六\n')).encoding).toBe('utf-8');
  });

  it('reads quoted fields with delimiters, quotes and line breaks; a record is one row', () => {
    const wb = table(
      Buffer.from('姓名,地址,备注\n"张三","滨江市,新区","他说""好"""\n"李四","一行\n两行",\n王五,x,y\n'),
    );
    const rows = wb.sheets[0]!.rows;
    expect(rows.map((r) => r.row)).toEqual([1, 2, 3, 4]);
    expect(texts(rows[1]!)).toEqual(['张三', '滨江市,新区', '他说"好"']);
    expect(texts(rows[2]!)).toEqual(['李四', '一行\n两行']);
    expect(texts(rows[3]!)).toEqual(['王五', 'x', 'y']);
  });

  it('keeps blank lines as empty rows so that row numbers stay those of the file', () => {
    const rows = table(Buffer.from('标题\n\n姓名,性别\n张三,男\n,,\n李四,女\n')).sheets[0]!.rows;
    expect(rows.map((r) => [r.row, texts(r)])).toEqual([
      [1, ['标题']],
      [2, []],
      [3, ['姓名', '性别']],
      [4, ['张三', '男']],
      [5, []],
      [6, ['李四', '女']],
    ]);
  });

  it.each([
    ['tab', '姓名\t单位\t备注\n张三\t滨江市,新区\t无\n'],
    ['semicolon', '姓名;单位;备注\n张三;滨江市,新区;无\n'],
  ])('finds a %s delimiter from the first lines', (_what, text) => {
    expect(texts(table(Buffer.from(text)).sheets[0]!.rows[1]!)).toEqual(['张三', '滨江市,新区', '无']);
  });

  it('reads UTF-16 “Unicode 文本” (tab-separated, with a BOM)', () => {
    const bytes = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('姓名\t性别\n张三\t男\n', 'utf16le'),
    ]);
    const wb = table(bytes, '人员.txt');
    expect(wb.encoding).toBe('utf-16le');
    expect(texts(wb.sheets[0]!.rows[1]!)).toEqual(['张三', '男']);
  });

  it('marks numbers that went through Excel’s number format, so that a cut ID is flagged', () => {
    const rows = table(
      Buffer.from(
        [
          '姓名,证件号码,银行卡,手机',
          '张三,1.10101E+17,6222020200112233445,13900000000',
          '李四,110101199003071000,6222020200112233000,13900000001',
          '王五,="110101199003071234",6222020200112233000,13900000002',
        ].join('\n'),
      ),
    ).sheets[0]!.rows;
    const flags = rows.map((r) => r.cells.map((c) => c?.numeric));
    // Scientific notation and 15 digits padded with zeros are flagged; a 19-digit card number
    // with other digits after the 15th, and text forced with ="…", are not.
    expect(flags).toEqual([
      [false, false, false, false],
      [false, true, false, false],
      [false, true, false, false],
      [false, false, false, false],
    ]);
    expect(rows[3]!.cells[1]).toEqual({ text: '110101199003071234', numeric: false });
  });

  it('refuses an unclosed quote with the line it starts on', async () => {
    const { error } = await failure(() => table(Buffer.from('姓名,备注\n张三,"没有结束\n李四,x\n')));
    expect(error.code).toBe('csv-invalid');
    expect(error.message).toMatch(/^「人员\.csv」第 \d+ 行附近有未闭合的引号，无法读取。/);
  });

  it('refuses more rows or columns than the caps', async () => {
    const many = Buffer.from(Array.from({ length: 12 }, (_, i) => `r${i},a`).join('\n'));
    const rows = await failure(() => table(many, '大.csv', { ...limits, maxRows: 10 }));
    expect(rows.error).toMatchObject({ code: 'sheet-too-large', file: '大.csv' });
    expect(rows.error.message).toBe('「大.csv」超过了单次导入的上限 10 行，请拆分成几个文件分别上传');
    const cols = await failure(() => table(Buffer.from('a,b,c,d\n'), '宽.csv', { ...limits, maxColumns: 3 }));
    expect(cols.error.message).toBe('「宽.csv」第 1 行有 4 列，超过了上限 3 列，请删除多余的列后再上传');
  });
});

// ---------------------------------------------------------------------------------------------

describe('readZip', () => {
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

  it('decodes GBK names without the UTF-8 flag (Chinese Windows) and sorts sheets from photos', async () => {
    const zip = zipEntries(
      [
        { name: '照片/', data: '' },
        { name: '人员信息.xlsx', data: 'xlsx bytes' },
        { name: '照片/张三.jpg', data: jpeg },
        { name: '照片/11010119900307123X.JPG', data: jpeg, method: 'store' },
        { name: '照片/李四.Png', data: jpeg },
        { name: '旧表.xls', data: 'xls bytes' },
        { name: '车辆.csv', data: 'a,b' },
      ],
      { gbkNames: true },
    );
    const read = await readZip(zip, limits, '人员.zip');
    expect(read.sheets.map((f) => f.name)).toEqual(['人员信息.xlsx', '旧表.xls', '车辆.csv']);
    expect(read.photos.map((f) => f.name)).toEqual([
      '照片/张三.jpg',
      '照片/11010119900307123X.JPG',
      '照片/李四.Png',
    ]);
    // Photos are inflated when asked for, then the zip is let go.
    for (const p of read.photos) expect(Buffer.from(await p.read()).equals(jpeg)).toBe(true);
    read.close();
    expect(Buffer.from(read.sheets[0]!.bytes).toString()).toBe('xlsx bytes');
    expect(read.skipped).toEqual([{ name: '照片/', reason: '文件夹' }]);
  });

  it('decodes UTF-8 names without the flag (macOS) and honours the Info-ZIP Unicode Path field', async () => {
    const raw = Buffer.from('??.jpg'); // what an old tool stored, with the real name in the extra field
    const zip = zipEntries([
      { name: Buffer.from('王五.jpg', 'utf8'), data: jpeg },
      { name: raw, data: jpeg, extra: unicodePathExtra(raw, '赵六.jpg') },
      // A stale Unicode Path field (its CRC is of another name) is ignored.
      {
        name: Buffer.from('孙七.jpg', 'utf8'),
        data: jpeg,
        extra: unicodePathExtra(Buffer.from('x'), '错.jpg'),
      },
    ]);
    const read = await readZip(zip, limits);
    expect(read.photos.map((f) => f.name)).toEqual(['王五.jpg', '赵六.jpg', '孙七.jpg']);
  });

  it('skips, with why, what is not a sheet or a photo, and unsafe paths without touching them', async () => {
    const zip = zipEntries(
      [
        { name: '../../etc/passwd', data: 'root:x:0:0' },
        { name: '..\\..\\evil.jpg', data: jpeg },
        { name: '/abs.jpg', data: jpeg },
        { name: 'C:\\Windows\\win.jpg', data: jpeg },
        { name: '__MACOSX/照片/._张三.jpg', data: 'x' },
        { name: '照片/._张三.jpg', data: 'x' },
        { name: '照片/Thumbs.db', data: 'x' },
        { name: '.DS_Store', data: 'x' },
        { name: 'desktop.ini', data: 'x' },
        { name: '说明.docx', data: 'x' },
        { name: '照片备份.zip', data: 'x' },
        { name: '照片备份.RAR', data: 'x' },
        { name: '照片\\王五.jpeg', data: jpeg },
      ],
      { gbkNames: true },
    );
    const read = await readZip(zip, limits);
    const unsafe = '文件路径不安全（含 ../、绝对路径或盘符），已忽略';
    const system = '系统自动生成的文件，已忽略';
    const nested = '压缩包中还有压缩包，请解开后重新打包';
    expect(read.skipped).toEqual([
      { name: '../../etc/passwd', reason: unsafe },
      { name: '..\\..\\evil.jpg', reason: unsafe },
      { name: '/abs.jpg', reason: unsafe },
      { name: 'C:\\Windows\\win.jpg', reason: unsafe },
      { name: '__MACOSX/照片/._张三.jpg', reason: system },
      { name: '照片/._张三.jpg', reason: system },
      { name: '照片/Thumbs.db', reason: system },
      { name: '.DS_Store', reason: system },
      { name: 'desktop.ini', reason: system },
      { name: '说明.docx', reason: '不是表格（.xlsx/.csv）或照片（.jpg/.png/.webp/.bmp/.heic），已忽略' },
      { name: '照片备份.zip', reason: nested },
      { name: '照片备份.RAR', reason: nested },
    ]);
    expect(read.photos.map((p) => p.name)).toEqual(['照片/王五.jpeg']);
    expect(read.sheets).toEqual([]);
  });

  describe('hostile zips: refused from the directory or when the entry is read, fast, the bomb never inflated', () => {
    async function refused(bytes: Uint8Array, l: ImportLimits = limits) {
      const before = process.memoryUsage().arrayBuffers;
      // Photos are inflated when read: a lie in one shows then, with the same clear message.
      const readAll = async () => {
        const zip = await readZip(bytes, l, '恶意.zip');
        try {
          for (const p of zip.photos) await p.read();
        } finally {
          zip.close();
        }
      };
      const result = await failure(readAll);
      expect(result.ms).toBeLessThan(1000);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50 * 1024 * 1024);
      expect(result.error.file).toBe('恶意.zip');
      return result.error;
    }

    it('a bomb: 200 MB of zeros in one entry (ratio > 1000)', async () => {
      const zeros = await deflatedZeros(200 * 1024 * 1024);
      expect(zeros.size / zeros.data.length).toBeGreaterThan(1000);
      const error = await refused(zipEntries([{ name: 'photo.jpg', deflated: zeros }]));
      expect(error.code).toBe('zip-bomb');
      expect(error.message).toMatch(
        /^压缩包「恶意\.zip」中的「photo\.jpg」压缩比异常（约 10\d\d 倍，上限 200 倍），疑似“压缩炸弹”，已拒绝$/,
      );
    });

    it('40,000 tiny entries', async () => {
      const entries = Array.from({ length: 40_000 }, (_, i) => ({
        name: `${i}.jpg`,
        data: 'x',
        method: 'store' as const,
      }));
      const error = await refused(zipEntries(entries));
      expect(error.code).toBe('zip-too-many-entries');
      expect(error.message).toBe('压缩包「恶意.zip」中有 40000 个文件，超过了上限 30000 个，请分批打包上传');
    });

    it('more declared data than the cap', async () => {
      const error = await refused(
        zipEntries([
          { name: 'a.jpg', data: Buffer.alloc(600 * 1024, 1) },
          { name: 'b.jpg', data: Buffer.alloc(600 * 1024, 2) },
        ]),
        { ...limits, maxZipUncompressedBytes: 1024 * 1024 },
      );
      expect(error.code).toBe('zip-too-large');
      expect(error.message).toBe('压缩包「恶意.zip」解压后共 1.2 MB，超过了上限 1.0 MB，请分批打包上传');
    });

    it('a header that lies about its size (deflated): caught after one chunk', async () => {
      const zeros = await deflatedZeros(200 * 1024 * 1024);
      const error = await refused(zipEntries([{ name: '张三.jpg', deflated: zeros, declaredSize: 1000 }]));
      expect(error.code).toBe('zip-size-mismatch');
      expect(error.message).toBe(
        '压缩包「恶意.zip」中的「张三.jpg」实际大小与记录的不符，文件可能已损坏或被篡改，已拒绝',
      );
    });

    it('a header that lies about its size (stored)', async () => {
      const error = await refused(
        zipEntries([{ name: 'a.jpg', data: jpeg, method: 'store', declaredSize: 3 }]),
      );
      expect(error.code).toBe('zip-size-mismatch');
    });

    it('a header that claims more than there is', async () => {
      const error = await refused(
        zipEntries([{ name: 'a.jpg', data: Buffer.alloc(5000, 3), declaredSize: 9000 }]),
      );
      expect(error.code).toBe('zip-size-mismatch');
    });

    it('a password-protected entry', async () => {
      const error = await refused(
        zipEntries([{ name: '张三.jpg', data: jpeg, encrypted: true }], { gbkNames: true }),
      );
      expect(error.code).toBe('zip-encrypted');
      expect(error.message).toBe(
        '压缩包「恶意.zip」中的「张三.jpg」设置了密码，无法读取。请去掉密码后重新打包上传',
      );
    });

    it('a corrupt zip', async () => {
      const good = zipEntries([{ name: 'a.jpg', data: jpeg }]);
      const error = await refused(good.subarray(0, good.length - 30));
      expect(error.code).toBe('zip-corrupt');
      expect(error.message).toBe('压缩包「恶意.zip」已损坏，无法打开，请重新打包后上传');
    });

    it('corrupt deflate data in an entry', async () => {
      const zip = zipEntries([
        { name: 'a.jpg', deflated: { data: Buffer.alloc(64, 0xff), size: 100, crc: 0 } },
      ]);
      const error = await refused(zip);
      expect(error.code).toBe('zip-corrupt');
      expect(error.message).toBe('压缩包「恶意.zip」已损坏，无法打开（a.jpg），请重新打包后上传');
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('readUpload', () => {
  it('reads an xlsx by its content, whatever its name', async () => {
    const bytes = await simpleWorkbook([['姓名'], ['张三']]);
    for (const name of ['人员.xlsx', '人员.xls', '人员.zip', '人员']) {
      const read = await readUpload(bytes, name, limits);
      expect(read.kind).toBe('workbook');
      if (read.kind === 'workbook') expect(read.workbook.sheets[0]!.rows).toHaveLength(2);
    }
  });

  it('reads another zip as sheets and photos', async () => {
    const zip = zipEntries(
      [
        { name: '人员.xlsx', data: await simpleWorkbook([['姓名']]) },
        { name: '张三.jpg', data: 'x' },
      ],
      {
        gbkNames: true,
      },
    );
    const read = await readUpload(zip, '申报材料.zip', limits);
    expect(read.kind).toBe('zip');
    if (read.kind === 'zip') {
      expect(read.zip.sheets.map((s) => s.name)).toEqual(['人员.xlsx']);
      expect(read.zip.photos.map((s) => s.name)).toEqual(['张三.jpg']);
    }
  });

  it('gives the xls error for an OLE2 file and the encrypted one for a protected workbook', async () => {
    expect((await failure(() => readUpload(ole2File(), '人员.xls', limits))).error.code).toBe(
      'xls-not-supported',
    );
    expect((await failure(() => readUpload(ole2File(true), '人员.xlsx', limits))).error.code).toBe(
      'file-encrypted',
    );
  });

  it('reads .csv and .txt as CSV', async () => {
    for (const name of ['人员.csv', '人员.TXT']) {
      const read = await readUpload(gbkCsv('姓名\n张三\n'), name, limits);
      expect(read.kind === 'workbook' && read.workbook.format).toBe('csv');
    }
  });

  it('refuses other files with the accepted types, and files over the size cap', async () => {
    const other = await failure(() => readUpload(Buffer.from('%PDF-1.7'), '人员.pdf', limits));
    expect(other.error.code).toBe('unsupported-file-type');
    expect(other.error.message).toBe(
      '「人员.pdf」不是可以导入的文件。请上传 Excel 工作簿（.xlsx）、CSV 文件（.csv），或把表格和照片一起打包的压缩包（.zip）',
    );
    const big = await failure(() =>
      readUpload(Buffer.alloc(2048), '大.csv', { ...limits, maxFileBytes: 1024 }),
    );
    expect(big.error.code).toBe('file-too-large');
    expect(big.error.message).toBe('「大.csv」有 2.0 KB，超过了上限 1.0 KB，请分批上传');
  });
});

describe('WPS pictures placed in cells (嵌入单元格图片)', () => {
  it('takes each DISPIMG cell’s picture as that row’s picture, and the formula text as nothing', async () => {
    const a = await sharp({ create: { width: 30, height: 40, channels: 3, background: '#d33' } })
      .jpeg()
      .toBuffer();
    const b = await sharp({ create: { width: 30, height: 40, channels: 3, background: '#33d' } })
      .jpeg()
      .toBuffer();
    const bytes = await wpsCellImageWorkbook(
      [
        ['姓名', '身份证号码', '照片'],
        ['张三', '110101199003071234', ''],
        ['李四', '110101199003075678', ''],
        ['王五', '110101199003079999', ''],
      ],
      { C2: a, C4: b },
    );
    const read = await readXlsx(bytes, 'WPS采集表.xlsx', limits);
    const sheet = read.sheets[0]!;
    expect(sheet.images.map((i) => [i.row, i.col, i.extension])).toEqual([
      [2, 2, 'jpeg'],
      [4, 2, 'jpeg'],
    ]);
    expect(Buffer.from(sheet.images[0]!.data).equals(a)).toBe(true);
    expect(Buffer.from(sheet.images[1]!.data).equals(b)).toBe(true);
    // The cells themselves read as empty, and are not counted as formulas.
    expect(sheet.rows.find((r) => r.row === 2)!.cells[2] ?? null).toBeNull();
    expect(read.warnings.map((w) => w.code)).not.toContain('formula-cells');
  });

  it('reads the parts WPS writes', () => {
    const pictures = parseCellImages(
      '<etc:cellImages><etc:cellImage><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="ID_AB12" descr="x"/></xdr:nvPicPr>' +
        '<xdr:blipFill><a:blip r:embed="rId3"/></xdr:blipFill></xdr:pic></etc:cellImage></etc:cellImages>',
      '<Relationships><Relationship Id="rId3" Type="…/image" Target="media/image7.png"/></Relationships>',
    );
    expect([...pictures]).toEqual([['ID_AB12', 'xl/media/image7.png']]);
    expect(dispimgName('_xlfn.DISPIMG("ID_AB12",1)')).toBe('ID_AB12');
    expect(dispimgName('DISPIMG( "ID_X" ,1)')).toBe('ID_X');
    expect(dispimgName('SUM(A1:A3)')).toBeNull();
  });
});
