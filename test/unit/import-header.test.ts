import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectHeader } from '../../core/import/header.ts';
import { headerScore, type MappingFormLike } from '../../core/import/mapping.ts';
import { readCsv } from '../../core/import/read/csv.ts';
import { readXlsx } from '../../core/import/read/xlsx.ts';
import {
  DEFAULT_IMPORT_LIMITS,
  type CellRange,
  type SheetRow,
  type SheetTable,
} from '../../core/import/types.ts';
import { loadPluginFolder } from '../../core/plugins/index.ts';
import { COLLECTION, collectionWorkbook, simpleWorkbook } from '../support/import-files.ts';

const KNOWN = [
  '序号',
  '姓名',
  '性别',
  '证件类型',
  '证件号码',
  '工作单位',
  '手机号码',
  '联系电话',
  '出生日期',
  '照片',
  '车牌号',
  '车辆类型',
  '驾驶员',
  '驾驶员证件号码',
];
/** A stand-in for the mapping's headerScore: 1 exact, 0.6 contained in a short text, else 0. */
const score = (text: string): number => {
  const t = text.replace(/\s/g, '');
  if (KNOWN.includes(t)) return 1;
  return KNOWN.some((k) => t.includes(k) && k.length / t.length >= 0.3) ? 0.6 : 0;
};
const none = () => 0;

/** A sheet from rows of texts, numbered from 1 (an empty array is a blank row). */
function sheetOf(rows: (string | null)[][], merges?: CellRange[]): SheetTable {
  return {
    name: 'S',
    rows: rows.map((cells, i) => ({
      row: i + 1,
      cells: cells.map((t) => (t === null ? null : { text: t, numeric: false })),
    })),
    images: [],
    ...(merges ? { merges } : {}),
  };
}
const numbers = (rows: SheetRow[]) => rows.map((r) => r.row);

describe('detectHeader on real workbooks', () => {
  it('finds the header of the collection workbook below its title and notes; skips the trailing instructions', async () => {
    const wb = await readXlsx(await collectionWorkbook(), COLLECTION.fileName, DEFAULT_IMPORT_LIMITS);
    const found = detectHeader(wb.sheets[0]!, score);
    expect(found.headerRow).toBe(3);
    expect(found.headers).toEqual([...COLLECTION.headers]);
    expect(found.skipped).toEqual([
      { row: 1, reason: 'title' },
      { row: 2, reason: 'title' },
      { row: 24, reason: 'blank' }, // not in the file at all: Excel stores no blank row
      { row: 25, reason: 'instructions' },
      { row: 26, reason: 'instructions' },
    ]);
    expect(numbers(found.dataRows)).toEqual(Array.from({ length: 20 }, (_, i) => i + 4));

    const vehicles = detectHeader(wb.sheets[1]!, score);
    expect(vehicles).toMatchObject({ headerRow: 1, headers: [...COLLECTION.vehicleHeaders], skipped: [] });
    expect(numbers(vehicles.dataRows)).toEqual([2, 3]);
  });

  it('does the same with the mapping’s own score for the demo plugin’s person form', async () => {
    const loaded = await loadPluginFolder(path.resolve(import.meta.dirname, '../../plugins/demo-expo'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const form = loaded.plugin.forms.person as MappingFormLike;
    const wb = await readXlsx(await collectionWorkbook(), COLLECTION.fileName, DEFAULT_IMPORT_LIMITS);
    const found = detectHeader(wb.sheets[0]!, headerScore(form, loaded.plugin.mappings));
    expect(found.headerRow).toBe(3);
    expect(found.dataRows).toHaveLength(20);
  });

  it('reads a two-row header with merged group titles as its lower row, completed from above', async () => {
    const bytes = await simpleWorkbook(
      [
        ['2026数博会人员证件申报表'],
        ['序号', '姓名', '身份信息', null, '联系电话'],
        [null, null, '证件类型', '证件号码', null],
        [1, '张三', '居民身份证', '110101199003071234', '13900000000'],
        [2, '李四', '护照', 'E12345678', '13900000001'],
      ],
      '人员',
      (ws) => {
        ws.mergeCells('A1:E1');
        ws.mergeCells('A2:A3');
        ws.mergeCells('B2:B3');
        ws.mergeCells('C2:D2');
        ws.mergeCells('E2:E3');
      },
    );
    const sheet = (await readXlsx(bytes, '两行表头.xlsx', DEFAULT_IMPORT_LIMITS)).sheets[0]!;
    const found = detectHeader(sheet, score);
    expect(found.headerRow).toBe(3);
    expect(found.headers).toEqual(['序号', '姓名', '证件类型', '证件号码', '联系电话']);
    expect(found.skipped).toEqual([
      { row: 1, reason: 'title' },
      { row: 2, reason: 'title' },
    ]);
    expect(numbers(found.dataRows)).toEqual([4, 5]);
  });

  it('reads the same two-row header from a CSV, which has no merges', () => {
    const wb = readCsv(
      Buffer.from(
        '人员登记表\n序号,姓名,身份信息,,联系电话\n,,证件类型,证件号码,\n1,张三,居民身份证,110101199003071234,13900000000\n',
      ),
      '两行表头.csv',
      DEFAULT_IMPORT_LIMITS,
    );
    const found = detectHeader(wb.sheets[0]!, score);
    expect(found.headerRow).toBe(3);
    expect(found.headers).toEqual(['序号', '姓名', '证件类型', '证件号码', '联系电话']);
    expect(numbers(found.dataRows)).toEqual([4]);
  });
});

describe('detectHeader: rows below the header', () => {
  const header = ['序号', '姓名', '证件号码', '联系电话'];

  it('skips blank rows, repeated headers and titles; keeps every other row, however empty', () => {
    const found = detectHeader(
      sheetOf([
        ['人员名单'],
        [],
        header,
        ['1', '张三', '110101199003071234', '13900000000'],
        [],
        ['', '  ', null],
        [...header],
        ['人员名单'],
        ['2', null, null, null],
        [null, '王五'],
        ['3', '李四', '11010119900307123x', '13900000001'],
      ]),
      score,
    );
    expect(found.headerRow).toBe(3);
    expect(found.skipped).toEqual([
      { row: 1, reason: 'title' },
      { row: 2, reason: 'blank' },
      { row: 5, reason: 'blank' },
      { row: 6, reason: 'blank' },
      { row: 7, reason: 'repeated-header' },
      { row: 8, reason: 'title' },
    ]);
    expect(numbers(found.dataRows)).toEqual([4, 9, 10, 11]);
  });

  it('skips instruction and signature rows after the last data row, not a one-cell data row before them', () => {
    const found = detectHeader(
      sheetOf([
        header,
        ['1', '张三', '110101199003071234', '13900000000'],
        [null, '王五'],
        [],
        ['注：1. 本表由各单位统一填写。'],
        ['2. 照片另附。'],
        ['填表人：', null, '联系电话：'],
        ['填报单位（盖章）：'],
      ]),
      score,
    );
    expect(found.skipped).toEqual([
      { row: 4, reason: 'blank' },
      { row: 5, reason: 'instructions' },
      { row: 6, reason: 'instructions' },
      { row: 7, reason: 'instructions' },
      { row: 8, reason: 'instructions' },
    ]);
    expect(numbers(found.dataRows)).toEqual([2, 3]);
  });

  it('counts rows the file leaves out as blank, except in runs longer than 1,000', () => {
    const table: SheetTable = {
      name: 'S',
      rows: [
        { row: 3, cells: header.map((text) => ({ text, numeric: false })) },
        {
          row: 5,
          cells: [
            { text: '1', numeric: true },
            { text: '张三', numeric: false },
          ],
        },
        {
          row: 8,
          cells: [
            { text: '2', numeric: true },
            { text: '李四', numeric: false },
          ],
        },
        { row: 2000, cells: [{ text: '3', numeric: true }] },
      ],
      images: [],
    };
    const found = detectHeader(table, score);
    expect(found.skipped).toEqual([1, 2, 4, 6, 7].map((row) => ({ row, reason: 'blank' })));
    expect(numbers(found.dataRows)).toEqual([5, 8, 2000]);
  });

  it.each([['填表说明'], ['备注：以上人员均已核实'], ['说明：'], ['*为必填项'], ['温馨提示：照片请用白底']])(
    'takes “%s” after the data as instructions',
    (note) => {
      const found = detectHeader(sheetOf([header, ['1', '张三', '110101199003071234', '1'], [note]]), score);
      expect(found.skipped).toEqual([{ row: 3, reason: 'instructions' }]);
    },
  );

  it('keeps a trailing one-cell row that is not a note (注册会计师协会 is a name)', () => {
    const found = detectHeader(sheetOf([header, ['1', '张三', '1', '1'], [null, '注册会计师协会']]), score);
    expect(found.skipped).toEqual([]);
    expect(numbers(found.dataRows)).toEqual([2, 3]);
  });

  it('keeps a note-looking row in the middle of the data as data (staging reports it)', () => {
    const found = detectHeader(sheetOf([header, ['备注：下面两人补报'], ['1', '张三', '1', '1']]), score);
    expect(numbers(found.dataRows)).toEqual([2, 3]);
  });
});

describe('detectHeader: choosing the row', () => {
  it('prefers the row whose texts score most, trimmed for display only', () => {
    const found = detectHeader(
      sheetOf([
        ['填表说明：姓名须与证件一致，证件号码为18位'],
        ['单位', '部门', '日期'],
        [' 姓名 ', '证件号码（18位）', '手机号码', null, '自定义'],
        ['张三', '110101199003071234', '13900000000', null, 'x', '多出的列'],
      ]),
      score,
    );
    expect(found.headerRow).toBe(3);
    expect(found.headers).toEqual(['姓名', '证件号码（18位）', '手机号码', '', '自定义', '']);
  });

  it('never takes numbers or dates for headers', () => {
    const table = sheetOf([['说明'], ['姓名', '性别']]);
    table.rows.unshift({
      row: 0,
      cells: [
        { text: '姓名', numeric: true },
        { text: '性别', numeric: false, date: '2026-01-01' },
      ],
    });
    expect(detectHeader(table, score).headerRow).toBe(2);
  });

  it('takes the first of two equal rows (the second is a repeated header)', () => {
    const found = detectHeader(
      sheetOf([
        ['姓名', '性别'],
        ['张三', '男'],
        ['姓名', '性别'],
      ]),
      score,
    );
    expect(found.headerRow).toBe(1);
    expect(found.skipped).toEqual([{ row: 3, reason: 'repeated-header' }]);
  });

  it('falls back to the first row of three short texts when nothing scores', () => {
    const found = detectHeader(
      sheetOf([['某某活动报名表'], ['请认真填写'], ['Name', 'Org', 'Passport'], ['Ann', 'ACME', 'E123']]),
      none,
    );
    expect(found.headerRow).toBe(3);
    expect(found.skipped).toEqual([
      { row: 1, reason: 'title' },
      { row: 2, reason: 'title' },
    ]);
  });

  it('falls back to the first non-blank row when no row has three texts', () => {
    expect(detectHeader(sheetOf([[], ['a', 'b'], ['1', '2']]), none).headerRow).toBe(2);
  });

  it('gives header row 0 and no data for a sheet without a non-blank row', () => {
    expect(detectHeader(sheetOf([[], ['', ' ']]), score)).toEqual({
      headerRow: 0,
      headers: [],
      skipped: [
        { row: 1, reason: 'blank' },
        { row: 2, reason: 'blank' },
      ],
      dataRows: [],
    });
  });
});
