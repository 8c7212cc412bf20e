import path from 'node:path';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkRecordFields } from '../../core/forms/index.ts';
import {
  applyProfile,
  headerScore,
  matchColumns,
  readTemplateMeta,
  suggestProfile,
  type MappingFormLike,
} from '../../core/import/mapping.ts';
import {
  buildCollectionTemplate,
  TEMPLATE_DATA_ROWS,
  TEMPLATE_HEADER_ROW,
} from '../../core/import/template.ts';
import type { SheetCell, SheetTable } from '../../core/import/types.ts';
import { contractValidator } from '../../core/plugins/contract.ts';
import { loadPluginFolder, type LoadedPlugin } from '../../core/plugins/index.ts';
import { idNumberCheckChar } from '../../core/validation/index.ts';

const root = path.resolve(import.meta.dirname, '../..');
let expo: LoadedPlugin;

beforeAll(async () => {
  const r = await loadPluginFolder(path.join(root, 'plugins', 'demo-expo'));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  expo = r.plugin;
});

async function open(bytes: Uint8Array): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  );
  return wb;
}

/** A minimal stand-in for the sheet reader: cells as the import pipeline sees them. */
function table(ws: ExcelJS.Worksheet): SheetTable {
  const rows: SheetTable['rows'] = [];
  ws.eachRow((row, n) => {
    const cells: (SheetCell | null)[] = [];
    row.eachCell((cell, col) => {
      const v = cell.value;
      let c: SheetCell | null = null;
      if (v instanceof Date) {
        const iso = v.toISOString().slice(0, 10);
        c = { text: iso, numeric: true, date: iso };
      } else if (typeof v === 'number') c = { text: String(v), numeric: true };
      else if (typeof v === 'string') c = { text: v, numeric: false };
      else if (v !== null && v !== undefined) c = { text: cell.text, numeric: false };
      cells[col - 1] = c;
    });
    rows.push({ row: n, cells: Array.from(cells, (c) => c ?? null) });
  });
  return { name: ws.name, rows, images: [] };
}

const headersOf = (ws: ExcelJS.Worksheet, row = TEMPLATE_HEADER_ROW): string[] => {
  const out: string[] = [];
  ws.getRow(row).eachCell((cell, col) => (out[col - 1] = cell.text));
  return out;
};

/** A valid resident ID number with this birth date and sequence (odd: male, even: female). */
const idOf = (region: string, birth: string, seq: string) => {
  const body = `${region}${birth.replaceAll('-', '')}${seq}`;
  return body + idNumberCheckChar(body);
};

const PERSON_HEADERS = [
  '姓名*',
  '性别*',
  '民族',
  '出生日期',
  '身份证件类型*',
  '证件号码*',
  '国籍/地区',
  '工作单位*',
  '职务',
  '手机号码*',
  '申请证件*',
  '通行区域',
  '照片文件名',
  '备注',
];
const PERSON_FIELDS = [
  'name',
  'gender',
  'ethnicity',
  'birthDate',
  'idType',
  'idNumber',
  'nationality',
  'organization',
  'position',
  'mobile',
  'cardType',
  'zones',
  'photo',
  'remark',
];
const VEHICLE_HEADERS = [
  '车牌号码*',
  '车辆类型*',
  '品牌型号',
  '车身颜色',
  '使用单位*',
  '驾驶员姓名*',
  '驾驶员身份证号*',
  '驾驶员手机*',
  '通行区域',
];

describe('buildCollectionTemplate: person', () => {
  let wb: ExcelJS.Workbook;
  let ws: ExcelJS.Worksheet;
  beforeAll(async () => {
    wb = await open(await buildCollectionTemplate(expo, 'person', { unitName: '滨江市文旅局' }));
    ws = wb.getWorksheet('人员信息')!;
  });

  it('has the data sheet first, the instructions, and the hidden option and meta sheets', () => {
    expect(wb.worksheets.map((s) => [s.name, s.state])).toEqual([
      ['人员信息', 'visible'],
      ['填表说明', 'visible'],
      ['选项', 'veryHidden'],
      ['_tessera', 'veryHidden'],
    ]);
  });

  it('title, notes and the header row of labels in form order, frozen below it', () => {
    expect(ws.getCell('A1').text).toBe('2026中国国际数字经济博览会人员证件申报表（申报单位：滨江市文旅局）');
    expect(ws.getCell('A2').text).toMatch(/带 \* 的红色列为必填/);
    expect(ws.getCell('A2').text).toMatch(/文本/);
    expect(ws.getCell('A2').text).toMatch(/zip/);
    expect(headersOf(ws)).toEqual(PERSON_HEADERS);
    expect(ws.getCell('A3').font?.color?.argb).toBe('FFC0392B');
    expect(ws.getCell('C3').font?.color?.argb).not.toBe('FFC0392B');
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: TEMPLATE_HEADER_ROW });
    expect(ws.getColumn(6).width).toBeGreaterThanOrEqual(20);
  });

  it('formats the ID number and mobile columns as text for every prepared row, dates as dates', () => {
    const last = TEMPLATE_HEADER_ROW + TEMPLATE_DATA_ROWS;
    for (const r of [TEMPLATE_HEADER_ROW + 1, 500, last]) {
      expect(ws.getCell(`F${r}`).numFmt).toBe('@'); // 证件号码
      expect(ws.getCell(`J${r}`).numFmt).toBe('@'); // 手机号码
      expect(ws.getCell(`D${r}`).numFmt).toBe('yyyy-mm-dd');
    }
    // Nothing was written into the data rows.
    expect(ws.actualRowCount).toBe(TEMPLATE_HEADER_ROW);
  });

  it('drop-downs for choices: inline lists, the 选项 sheet for long ones, a prompt for zones', () => {
    const r = TEMPLATE_HEADER_ROW + 1;
    expect(ws.getCell(`B${r}`).dataValidation).toMatchObject({ type: 'list', formulae: ['"男,女"'] });
    expect(ws.getCell(`B${TEMPLATE_HEADER_ROW + TEMPLATE_DATA_ROWS}`).dataValidation?.type).toBe('list');
    expect(ws.getCell(`K${r}`).dataValidation).toMatchObject({
      type: 'list',
      formulae: ['"贵宾证,工作证,记者证,服务证"'],
    });
    expect(ws.getCell(`E${r}`).dataValidation?.formulae).toEqual([
      '"居民身份证,港澳居民来往内地通行证,台湾居民来往大陆通行证,护照,外国人永久居留身份证,港澳台居民居住证"',
    ]);
    // 57 ethnic groups exceed Excel's 255-character inline list.
    expect(ws.getCell(`C${r}`).dataValidation?.formulae).toEqual(["'选项'!$A$2:$A$58"]);
    const options = wb.getWorksheet('选项')!;
    expect(options.getCell('A1').text).toBe('民族');
    expect(options.getCell('A2').text).toBe('汉族');
    expect(options.getCell('A58').text).toBe('其他');
    expect(ws.getCell(`L${r}`).dataValidation).toMatchObject({ showInputMessage: true });
    expect(ws.getCell(`L${r}`).dataValidation?.prompt).toMatch(/展馆区、主会场/);
    expect(ws.getCell(`D${r}`).dataValidation).toMatchObject({ type: 'date', errorStyle: 'warning' });
    expect(ws.getCell(`F${r}`).dataValidation).toBeUndefined();
  });

  it('填表说明: one row per field with required, values, format hint and example', () => {
    const sheet = wb.getWorksheet('填表说明')!;
    expect(headersOf(sheet, 1)).toEqual(['列名', '是否必填', '可选值', '填写要求', '示例', '字段代码']);
    const rows = new Map<string, string[]>();
    for (let r = 2; r <= PERSON_FIELDS.length + 1; r++) {
      const values = [1, 2, 3, 4, 5, 6].map((c) => sheet.getRow(r).getCell(c).text);
      rows.set(values[5]!, values);
    }
    expect([...rows.keys()]).toEqual(PERSON_FIELDS);
    expect(rows.get('gender')!.slice(0, 3)).toEqual(['性别', '必填', '男、女']);
    expect(rows.get('idNumber')![3]).toMatch(/文本格式/);
    expect(rows.get('idNumber')![4]).toBe('11010519491231002X');
    expect(rows.get('birthDate')![4]).toBe('1990-03-07');
    expect(rows.get('nationality')![3]).toMatch(/身份证件类型为居民身份证时不填/);
    expect(rows.get('photo')!.slice(0, 2)).toEqual(['照片文件名', '选填']);
    expect(rows.get('cardType')![2]).toBe('贵宾证、工作证、记者证、服务证');
  });

  it('_tessera: event, kind, plugin version, column → field keys and the mapping', () => {
    const meta = readTemplateMeta(table(wb.getWorksheet('_tessera')!));
    expect(meta).toMatchObject({
      event: 'EXPO2026',
      kind: 'person',
      plugin: 'demo-expo',
      pluginVersion: '1.0.0',
      headerRow: TEMPLATE_HEADER_ROW,
    });
    expect(meta!.columns.map((c) => c.field)).toEqual(PERSON_FIELDS);
    expect(meta!.columns.map((c) => c.header)).toEqual(PERSON_HEADERS);
    expect(meta!.profile.columns.map((c) => c.field)).toEqual(PERSON_FIELDS);
    expect(meta!.profile.code).toBe('template-person');
    // The embedded mapping is a valid profile of the plugin contract (it can be saved as is).
    const validate = contractValidator('mapping');
    expect(validate(meta!.profile), JSON.stringify(validate.errors)).toBe(true);
  });
});

describe('buildCollectionTemplate: vehicle', () => {
  it('leaves out the only possible card type and fixes it in the mapping', async () => {
    const wb = await open(await buildCollectionTemplate(expo, 'vehicle'));
    const ws = wb.getWorksheet('车辆信息')!;
    expect(ws.getCell('A1').text).toBe('2026中国国际数字经济博览会车辆证件申报表');
    expect(headersOf(ws)).toEqual(VEHICLE_HEADERS);
    expect(ws.getCell(`A${TEMPLATE_HEADER_ROW + 1}`).numFmt).toBe('@'); // 车牌号码
    expect(ws.getCell(`G${TEMPLATE_HEADER_ROW + 1}`).numFmt).toBe('@'); // 驾驶员身份证号
    expect(ws.getCell(`B${TEMPLATE_HEADER_ROW + 1}`).dataValidation?.formulae).toEqual([
      '"小型客车,中型客车,大型客车,厢式货车,货车,专用车辆"',
    ]);
    const instructions = wb.getWorksheet('填表说明')!;
    const fixedRow = instructions.getRow(VEHICLE_HEADERS.length + 2);
    expect([1, 2, 3, 6].map((c) => fixedRow.getCell(c).text)).toEqual([
      '申请证件',
      '无需填写',
      '车辆通行证',
      'cardType',
    ]);
    const meta = readTemplateMeta(wb.worksheets.map(table));
    expect(meta!.profile.fixed).toEqual({ cardType: 'VEHICLE' });
  });
});

describe('a filled template maps with no manual mapping', () => {
  const maleId = idOf('110105', '1990-03-07', '123');
  const femaleId = idOf('330106', '1985-11-20', '246');
  const driverId = idOf('330102', '1978-06-01', '015');

  async function fill(kind: string, rows: (string | Date | null)[][]): Promise<SheetTable[]> {
    const wb = await open(await buildCollectionTemplate(expo, kind));
    const ws = wb.worksheets[0]!;
    rows.forEach((values, i) => {
      values.forEach((v, c) => {
        if (v !== null) ws.getCell(TEMPLATE_HEADER_ROW + 1 + i, c + 1).value = v;
      });
    });
    const bytes = new Uint8Array(await wb.xlsx.writeBuffer());
    const back = await open(bytes);
    return back.worksheets.map(table);
  }

  /** The header row as a detector would find it: the best-scoring of the first rows. */
  function findHeader(sheet: SheetTable, score: (t: string) => number): number {
    let best = { row: 0, total: 0 };
    for (const r of sheet.rows.slice(0, 10)) {
      const total = r.cells.reduce((s, c) => s + (c ? score(c.text) : 0), 0);
      if (total > best.total) best = { row: r.row, total };
    }
    return best.row;
  }

  it('person: every column recognised with confidence 1, stored values out', async () => {
    const sheets = await fill('person', [
      [
        '张三',
        '男',
        '汉族',
        new Date(Date.UTC(1990, 2, 7)),
        '居民身份证',
        maleId,
        null,
        '滨江市文旅局',
        '处长',
        '13800138000',
        '贵宾证',
        '展馆区、主会场',
        `${maleId}.jpg`,
        null,
      ],
      [
        '李娜',
        '女',
        '回族',
        null,
        '居民身份证',
        femaleId.toLowerCase(),
        null,
        '滨江日报社',
        null,
        '13900139000',
        '记者证',
        null,
        null,
        '摄影记者',
      ],
    ]);
    const sheet = sheets[0]!;
    const form = expo.forms.person as MappingFormLike;
    const profiles = expo.mappings.filter((m) => m.recordKind === 'person');
    expect(findHeader(sheet, headerScore(form, profiles))).toBe(TEMPLATE_HEADER_ROW);
    const headers = sheet.rows.find((r) => r.row === TEMPLATE_HEADER_ROW)!.cells.map((c) => c?.text ?? '');
    const data = sheet.rows.filter((r) => r.row > TEMPLATE_HEADER_ROW);
    expect(data).toHaveLength(2);

    const context = {
      kind: 'person',
      cardTypes: expo.cardTypes,
      zones: expo.manifest.event.zones.map((z) => z.code),
    };
    const event = { cardTypes: expo.cardTypes, zones: expo.manifest.event.zones };
    const meta = readTemplateMeta(sheets);
    // The template's own sheet; the plugin profiles (what the import passes today); labels alone.
    const onlyProfiles = { profiles };
    for (const opts of [{ template: meta }, onlyProfiles, event, { profiles, template: meta, ...event }]) {
      const s = suggestProfile(form, 'person', headers, opts);
      expect(s.columns.map((c) => c.field)).toEqual(PERSON_FIELDS);
      expect(s.columns.every((c) => c.confidence === 1)).toBe(true);
      expect(s.unmatchedRequired).toEqual([]);
      const matched = matchColumns(s.profile, headers);
      expect(matched.missing.filter((m) => m.required)).toEqual([]);
      const first = applyProfile(s.profile, matched, data[0]!, { form });
      expect(first.values).toMatchObject({
        name: '张三',
        gender: 'M',
        birthDate: '1990-03-07',
        idType: '1',
        idNumber: maleId,
        cardType: 'VIP',
        photo: `${maleId}.jpg`,
      });
      if (opts === onlyProfiles) {
        // Zone names need the event's zones (or the template's own mapping, which carries them).
        expect(first.issues.map((i) => [i.field, i.code])).toEqual([['zones', 'not-in-map']]);
      } else {
        expect(first.issues).toEqual([]);
        expect(first.values.zones).toEqual(['A', 'B']);
      }
      const second = applyProfile(s.profile, matched, data[1]!, { form });
      expect(second.issues).toEqual([]);
      expect(second.values).toMatchObject({ gender: 'F', idNumber: femaleId, cardType: 'PRESS' });
    }
    // Through the shared record rules: both rows are valid records.
    const s = suggestProfile(form, 'person', headers, { template: meta });
    expect(s.columns.every((c) => c.source === 'template')).toBe(true);
    const matched = matchColumns(s.profile, headers);
    for (const row of data) {
      const check = checkRecordFields(form, applyProfile(s.profile, matched, row, { form }).values, context);
      expect(check.fields).toEqual({});
    }
  });

  it('vehicle: the card type comes from the mapping, the rest from the columns', async () => {
    const sheets = await fill('vehicle', [
      [
        '浙A12345',
        '小型客车',
        '大众帕萨特',
        '黑色',
        '滨江公交集团',
        '王五',
        driverId,
        '13700137000',
        '停车区',
      ],
    ]);
    const sheet = sheets[0]!;
    const form = expo.forms.vehicle as MappingFormLike;
    const headers = sheet.rows.find((r) => r.row === TEMPLATE_HEADER_ROW)!.cells.map((c) => c?.text ?? '');
    const row = sheet.rows.find((r) => r.row === TEMPLATE_HEADER_ROW + 1)!;
    const event = { cardTypes: expo.cardTypes, zones: expo.manifest.event.zones };
    const profiles = expo.mappings.filter((m) => m.recordKind === 'vehicle');
    for (const opts of [{ template: readTemplateMeta(sheets) }, event, { profiles, ...event }]) {
      const s = suggestProfile(form, 'vehicle', headers, opts);
      expect(s.columns.map((c) => c.field)).toEqual([
        'plateNumber',
        'vehicleType',
        'brandModel',
        'bodyColor',
        'organization',
        'driverName',
        'driverIdNumber',
        'mobile',
        'zones',
      ]);
      expect(s.columns.every((c) => c.confidence === 1)).toBe(true);
      const r = applyProfile(s.profile, matchColumns(s.profile, headers), row, { form });
      expect(r.issues).toEqual([]);
      expect(r.values).toMatchObject({
        plateNumber: '浙A12345',
        vehicleType: 'SMALL',
        driverIdNumber: driverId,
        cardType: 'VEHICLE',
        zones: ['P'],
      });
      const check = checkRecordFields(form, r.values, {
        kind: 'vehicle',
        cardTypes: expo.cardTypes,
        zones: expo.manifest.event.zones.map((z) => z.code),
      });
      expect(check.fields).toEqual({});
    }
  });
});
