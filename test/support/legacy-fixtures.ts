// The previous system's exports as an accreditation office hands them over: a units workbook under a
// merged title, a persons workbook with title rows, a merged header cell, ID numbers typed as numbers
// and in full-width digits, statuses in Chinese, one person declared by two units (and twice by one);
// a second persons file as GBK CSV; vehicles as UTF-8 CSV; a photo folder named by ID number with a
// lower-case x, plus a photo nobody owns. Built in a temp folder with a mapping file next to them.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import sharp from 'sharp';
import { residentId } from './id-numbers.ts';

/** An ID number whose check digit is X (offices often write it lower-case). */
const withX = (region: string, birth: string) =>
  Array.from({ length: 1000 }, (_, i) => residentId(region, birth, String(i).padStart(3, '0'))).find((id) =>
    id.endsWith('X'),
  )!;

export const LEGACY_IDS = {
  zhang: withX('110101', '19800101'),
  li: residentId('110102', '19850202', '024'),
  wang: residentId('310104', '19900303', '031'),
  zhao: residentId('440305', '19700404', '015'),
  qian: residentId('320102', '19880505', '018'),
  sun: residentId('330106', '19920606', '022'),
  wu: residentId('110105', '19750707', '013'),
  zhou: residentId('420102', '19930808', '020'),
  driver: residentId('110108', '19820909', '035'),
};

const toFullWidth = (s: string) =>
  s.replace(/[0-9A-Za-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

const jpeg = (shade: number) =>
  sharp({ create: { width: 390, height: 520, channels: 3, background: { r: shade, g: 100, b: 140 } } })
    .jpeg()
    .toBuffer();

async function unitsWorkbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('单位列表');
  ws.mergeCells('A1:D1');
  ws.getCell('A1').value = '旧制证系统 单位信息导出（2025-09-30）';
  ws.addRow(['单位编码', '单位名称', '联系人', '联系电话']);
  ws.addRow(['OLD-A', '甲单位', '陈一', '13900000001']);
  ws.addRow(['OLD-B', '乙单位', '陈二', '0571-87654321']);
  ws.addRow(['坏 码', '丙单位', '陈三', '13900000003']); // code with a blank: rejected
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function personsWorkbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('人员信息');
  ws.mergeCells('A1:M1');
  ws.getCell('A1').value = '2025 年度证件办理人员明细（旧系统导出）';
  ws.getCell('A2').value = '导出人：管理员    导出时间：2025-09-30 18:00';
  const header = [
    '人员编号',
    '所属单位',
    '姓名',
    '性别',
    '身份证号',
    '工作单位',
    '手机',
    '证件类别',
    '证件编号',
    '状态',
    '制证时间',
    '发放时间',
    '领证人',
  ];
  ws.addRow(header);
  const rows: (string | number | Date)[][] = [
    // 4: by unit name; ID with lower-case x; issued VIP
    [
      'P001',
      '甲单位',
      '张三',
      '男',
      LEGACY_IDS.zhang.toLowerCase(),
      '甲单位',
      '13800000001',
      '贵宾证',
      'VIP-00007',
      '已发放',
      '2025/9/1 14:30',
      '2025-09-02 09:00',
      '张三',
    ],
    // 5: ID typed as a number: Excel kept 15 digits → rejected
    [
      'P002',
      'OLD-A',
      '李四',
      '女',
      Number(LEGACY_IDS.li),
      '甲单位',
      '13800000002',
      '工作证',
      'EXPO2026-ST-00011',
      '已制证',
      '2025-09-01',
      '',
      '',
    ],
    // 6: full-width ID digits and phone, lost STAFF card
    [
      'P003',
      'OLD-B',
      '王五',
      '男',
      toFullWidth(LEGACY_IDS.wang),
      '乙单位',
      toFullWidth('13800000003'),
      '工作证',
      'EXPO2026-ST-00012',
      '挂失',
      '2025-09-03 10:00',
      '2025-09-04 10:00',
      '王五',
    ],
    // 7: 张三 again, another unit: imported, listed; printed without a legacy number → numbered anew
    [
      'P004',
      'OLD-B',
      '张三',
      '男',
      LEGACY_IDS.zhang,
      '乙单位',
      '13800000001',
      '工作证',
      '',
      '已制证',
      '2025-09-05 08:00',
      '',
      '',
    ],
    // 8: a legacy number of another scheme: kept as is; revoked
    [
      'P005',
      'OLD-A',
      '赵六',
      '男',
      LEGACY_IDS.zhao,
      '甲单位',
      '13800000005',
      '工作证',
      'OLD-8899',
      '注销',
      '2025-08-01 08:00',
      '2025-08-02 08:00',
      '',
    ],
    // 9: 张三 twice in the same unit → rejected as a duplicate
    [
      'P006',
      'OLD-A',
      '张三',
      '男',
      LEGACY_IDS.zhang,
      '甲单位',
      '13800000001',
      '工作证',
      '',
      '未制证',
      '',
      '',
      '',
    ],
    // 10: a status the mapping does not know → rejected
    [
      'P007',
      'OLD-A',
      '钱七',
      '女',
      LEGACY_IDS.qian,
      '甲单位',
      '13800000007',
      '记者证',
      '',
      '待定',
      '',
      '',
      '',
    ],
    // 11: approved, no card yet
    [
      'P008',
      'OLD-A',
      '孙八',
      '女',
      LEGACY_IDS.sun,
      '甲单位',
      '13800000008',
      '服务证',
      '',
      '未制证',
      '',
      '',
      '',
    ],
    // 12: a lower VIP number, printed (the counter continues after 7)
    [
      'P009',
      'OLD-B',
      '吴九',
      '男',
      LEGACY_IDS.wu,
      '乙单位',
      '13800000009',
      '贵宾证',
      'VIP-00003',
      '已制证',
      '2025-09-06 11:00',
      '',
      '',
    ],
    // 13: voided in the old system
    [
      'P010',
      'OLD-B',
      '无名',
      '男',
      residentId('110101', '19660101', '011'),
      '乙单位',
      '13800000010',
      '服务证',
      'SV-00005',
      '作废',
      '2025-09-07 11:00',
      '',
      '',
    ],
  ];
  for (const r of rows) ws.addRow(r);
  ws.addRow([]);
  ws.addRow(['注：本表由旧系统自动生成']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The second office's persons, as Excel on Chinese Windows saves "CSV (逗号分隔)": GBK. */
function personsCsvGbk(): Buffer {
  const lines = [
    '人员编号,所属单位,姓名,性别,身份证号,工作单位,手机,证件类别,证件编号,状态,制证时间,发放时间,领证人',
    `P101,乙单位,周十,女,${LEGACY_IDS.zhou},乙单位,13800000011,服务证,SV-00020,已发放,2025年9月8日 9:15,2025年9月9日 9:00,周十`,
    `P102,不存在的单位,郑十一,男,${residentId('110101', '19770101', '015')},某单位,13800000012,服务证,,未制证,,,`,
  ];
  return iconv.encode(lines.join('\r\n') + '\r\n', 'gbk');
}

function vehiclesCsv(): string {
  return [
    '车牌号,所属单位,车型,驾驶员,驾驶员身份证,所在单位,手机,证件类别,证件编号,状态',
    `京Ａ１２３４５,OLD-A,小车,李师傅,${LEGACY_IDS.driver},甲单位,13800000021,车辆证,CL-0009,已发放`,
    `京B54321,OLD-B,小车,周师傅,${LEGACY_IDS.driver},乙单位,13800000022,车辆证,,未制证`,
  ].join('\n');
}

export interface LegacyFixture {
  dir: string;
  mappingFile: string;
  mapping: Record<string, unknown>;
}

export function legacyMapping(): Record<string, unknown> {
  const common = {
    unit: ['所属单位'],
    key: ['人员编号'],
    cardType: ['证件类别'],
    cardNumber: ['证件编号'],
    status: ['状态'],
    printedAt: ['制证时间'],
    issuedAt: ['发放时间'],
    issuedTo: ['领证人'],
    columns: [
      { headers: ['姓名'], field: 'name' },
      { headers: ['性别'], field: 'gender', transforms: [{ op: 'map', values: { 男: 'M', 女: 'F' } }] },
      {
        headers: ['身份证号'],
        field: 'idNumber',
        transforms: [{ op: 'halfWidth' }, { op: 'trim' }, { op: 'upper' }],
      },
      { headers: ['工作单位'], field: 'organization' },
      { headers: ['手机'], field: 'mobile', transforms: [{ op: 'halfWidth' }] },
    ],
    fixed: { idType: '1' },
  };
  return {
    $schema: '../schemas/legacy-migration.schema.json',
    name: '旧制证系统 2025',
    event: 'EXPO2026',
    timeZone: 'Asia/Shanghai',
    units: {
      file: '单位.xlsx',
      code: ['单位编码'],
      name: ['单位名称'],
      contactName: ['联系人'],
      contactPhone: ['联系电话'],
    },
    persons: [
      { file: '人员.xlsx', sheet: { name: '人员信息' }, ...common },
      { file: '人员-乙单位.csv', ...common },
    ],
    vehicles: [
      {
        file: '车辆.csv',
        unit: ['所属单位'],
        cardType: ['证件类别'],
        cardNumber: ['证件编号'],
        status: ['状态'],
        columns: [
          { headers: ['车牌号'], field: 'plateNumber' },
          { headers: ['车型'], field: 'vehicleType', transforms: [{ op: 'map', values: { 小车: 'SMALL' } }] },
          { headers: ['驾驶员'], field: 'driverName' },
          { headers: ['驾驶员身份证'], field: 'driverIdNumber' },
          { headers: ['所在单位'], field: 'organization' },
          { headers: ['手机'], field: 'mobile' },
        ],
      },
    ],
    cardTypes: { 贵宾证: 'VIP', 工作证: 'STAFF', 记者证: 'PRESS', 服务证: 'SERVICE', 车辆证: 'VEHICLE' },
    statuses: {
      未制证: { record: 'approved' },
      已制证: { record: 'approved', card: 'printed' },
      已发放: { record: 'approved', card: 'issued' },
      挂失: { record: 'approved', card: 'lost', reason: '旧系统挂失' },
      注销: { record: 'approved', card: 'revoked', reason: '旧系统注销' },
      作废: { record: 'approved', card: 'revoked', reason: '旧系统作废' },
    },
    photos: [{ folder: '照片', match: 'idNumber' }],
  };
}

/** Writes the exports, the photo folder and the mapping file into a new temp folder. */
export async function writeLegacyFixture(mapping = legacyMapping()): Promise<LegacyFixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-legacy-'));
  await writeFile(path.join(dir, '单位.xlsx'), await unitsWorkbook());
  await writeFile(path.join(dir, '人员.xlsx'), await personsWorkbook());
  await writeFile(path.join(dir, '人员-乙单位.csv'), personsCsvGbk());
  await writeFile(path.join(dir, '车辆.csv'), vehiclesCsv());
  await mkdir(path.join(dir, '照片', '甲单位'), { recursive: true });
  await writeFile(path.join(dir, '照片', '甲单位', `${LEGACY_IDS.zhang.toLowerCase()}.jpg`), await jpeg(10));
  await writeFile(path.join(dir, '照片', `${LEGACY_IDS.wang}.jpg`), await jpeg(40));
  await writeFile(path.join(dir, '照片', `${LEGACY_IDS.wu}王.JPG`), await jpeg(70));
  await writeFile(
    path.join(dir, '照片', `${LEGACY_IDS.zhou}.png`),
    await sharp({ create: { width: 390, height: 520, channels: 3, background: '#eeeeee' } })
      .png()
      .toBuffer(),
  );
  await writeFile(path.join(dir, '照片', '无主照片.jpg'), await jpeg(100));
  const mappingFile = path.join(dir, 'mapping.json');
  await writeFile(mappingFile, JSON.stringify(mapping, null, 2));
  return { dir, mappingFile, mapping };
}
