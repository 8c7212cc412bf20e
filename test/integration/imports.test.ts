// The import pipeline through HTTP against PostgreSQL: a messy office sheet staged, pruned online
// and committed exactly; counts reconcile; a failure mid-commit writes nothing.
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, type Body, followTask } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';

let running: RunningServer;
let admin: ApiClient;
let clerk: ApiClient;
let unitB: ApiClient;

const WANG = residentId('110101', '19900307', '661'); // male
const LI = residentId('310104', '19851231', '242'); // female
const ZHAO = residentId('440305', '19920115', '127'); // male
const CHEN = residentId('320102', '19781009', '354'); // female
const EXISTING = residentId('510104', '19700101', '013');
const BAD_CHECK = WANG.slice(0, 17) + (WANG.endsWith('1') ? '2' : '1');
const FULL_WIDTH = (s: string) => s.replace(/[0-9X]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

/** A sheet as offices send it: title, notes, header on row 3 with decorated labels, a blank row, instructions at the end. */
async function officeSheet(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('人员申报表');
  ws.mergeCells('A1:H1');
  ws.getCell('A1').value = '2026数博会人员证件申报表';
  ws.getCell('A2').value = '填表单位：甲单位        联系人：张三';
  ws.addRow(['序号', '姓　名*', '性别', '身份证号码（必填）', '工作单位', '手机', '申请证件类型', '备注']);
  const rows: (string | number)[][] = [
    [1, '王伟', '男', WANG, '甲单位办公室', '13800138000', '工作证', ''], // 4 valid
    [2, '李娜', '女', LI.toLowerCase(), '甲单位', '139 0013 9000', '工作证', ''], // 5 valid (lower-case x, spaced mobile)
    [3, '赵强', '男', FULL_WIDTH(ZHAO), '甲单位', '13700137000', '服务证', ''], // 6 valid (full-width digits)
    [4, '错号', '男', BAD_CHECK, '甲单位', '13600136000', '工作证', ''], // 7 bad check digit
    [5, '数字', '男', 110101199003077000, '甲单位', '13500135000', '工作证', ''], // 8 ID typed as a number
    [6, '重复', '女', LI, '甲单位', '13400134000', '工作证', ''], // 9 same ID as row 5
  ];
  for (const r of rows) ws.addRow(r);
  ws.addRow([]); // 10 blank
  ws.addRow([7, '已有', '女', EXISTING, '甲单位', '13300133000', '工作证', '']); // 11 already in the event
  ws.addRow([8, '陈静', '女', CHEN, '甲单位', '13200132000', '工作证', '']); // 12 valid
  ws.addRow(['注：身份证号码请设置为文本格式；照片以证件号码命名。']); // 13 instructions
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function stage(
  client: ApiClient,
  data: Buffer,
  fileName = '甲单位人员.xlsx',
): Promise<{ batchId: number; task: Body }> {
  const res = await client.upload('/api/events/EXPO2026/imports', {
    kind: 'person',
    unitCode: 'UA',
    file: { fileName, data, type: 'application/octet-stream' },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return { batchId: res.body.batch.id, task: await followTask(client, res.body.task.id) };
}

async function rowsOf(client: ApiClient, batchId: number): Promise<Body[]> {
  const res = await client.request('GET', `/api/imports/${batchId}/rows?pageSize=1000`);
  expect(res.status).toBe(200);
  return res.body.rows;
}

beforeAll(async () => {
  running = await startTestServer();
  admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' });
  await admin.request('POST', '/api/units', { code: 'UB', name: '乙单位' });
  for (const u of [
    { username: 'clerk1', role: 'clerk' },
    { username: 'unit-b', role: 'unit', unitCode: 'UB' },
  ]) {
    await admin.request('POST', '/api/users', { ...u, password: 'Passw0rd-123' });
  }
  clerk = new ApiClient(running.url);
  await clerk.login('clerk1', 'Passw0rd-123');
  unitB = new ApiClient(running.url);
  await unitB.login('unit-b', 'Passw0rd-123');
  // A person this unit already declared in the event (by hand, before the sheet came).
  const existing = await admin.request('POST', '/api/events/EXPO2026/records', {
    kind: 'person',
    unitCode: 'UA',
    values: {
      name: '已有',
      gender: 'M',
      idType: '1',
      idNumber: EXISTING,
      organization: '乙单位',
      mobile: '13100131000',
      cardType: 'STAFF',
    },
  });
  expect(existing.status, JSON.stringify(existing.body)).toBe(201);
  // A person of the sheet (row 5) whom two other units declared already: a warning naming both.
  await admin.request('POST', '/api/units', { code: 'UC', name: '丙单位' });
  for (const unitCode of ['UC', 'UB']) {
    const other = await admin.request('POST', '/api/events/EXPO2026/records', {
      kind: 'person',
      unitCode,
      values: {
        name: '李四',
        gender: 'F',
        idType: '1',
        idNumber: LI,
        organization: '丙单位',
        mobile: '13100131001',
        cardType: 'STAFF',
      },
    });
    expect(other.status, JSON.stringify(other.body)).toBe(201);
  }
});

afterAll(async () => {
  await running?.stop();
});

describe('staging a messy office sheet', () => {
  let batchId: number;
  let rows: Body[];
  const at = (row: number) => rows.find((r) => r.row === row);

  it('finds the header below the title rows and accounts for every row', async () => {
    const staged = await stage(clerk, await officeSheet());
    batchId = staged.batchId;
    expect(staged.task.status, JSON.stringify(staged.task.error)).toBe('succeeded');
    const batch = (await clerk.request('GET', `/api/imports/${batchId}`)).body.batch;
    expect(batch.status).toBe('staged');
    expect(batch.headerRow).toBe(3);
    const fields = Object.fromEntries(
      batch.columns.filter((c: Body) => c.field).map((c: Body) => [c.header, c.field]),
    );
    expect(fields).toMatchObject({
      '姓　名*': 'name',
      性别: 'gender',
      '身份证号码（必填）': 'idNumber',
      工作单位: 'organization',
      手机: 'mobile',
      申请证件类型: 'cardType',
    });
    rows = await rowsOf(clerk, batchId);
    expect(rows.map((r) => r.row)).toEqual([4, 5, 6, 7, 8, 9, 11, 12]);
    expect(batch.counts).toMatchObject({ rows: 8, valid: 4, invalid: 4 });
    const skipped = batch.notes.filter((n: Body) => n.code.startsWith('skipped-')).map((n: Body) => n.row);
    expect(skipped).toEqual(expect.arrayContaining([1, 2, 10, 13]));
  });

  it('normalises full-width and lower-case numbers and maps 男/女 and card names', () => {
    expect(at(5)!.values).toMatchObject({ gender: 'F', mobile: '13900139000', cardType: 'STAFF' });
    expect(at(5)!.values.idNumber).toBe(`${LI.slice(0, 6)}********${LI.slice(-4)}`);
    expect(at(6)!.status).toBe('valid');
    expect(at(6)!.values).toMatchObject({ gender: 'M', cardType: 'SERVICE' });
    expect(at(4)!.status).toBe('valid');
    expect(at(12)!.status).toBe('valid');
  });

  it('flags the right rows at the right field', () => {
    expect(Object.keys(at(7)!.errors)).toEqual(['idNumber']);
    expect(at(7)!.errors.idNumber[0].message).toMatch(/校验/);
    expect(at(8)!.errors.idNumber[0].code).toBe('id-number-as-number');
    expect(at(9)!.errors.idNumber.map((e: Body) => e.code)).toContain('duplicate-in-batch');
    expect(at(9)!.errors.idNumber[0].message).toContain('第 5 行');
    expect(at(11)!.errors.idNumber.map((e: Body) => e.code)).toContain('duplicate-in-event');
    expect(at(5)!.errors).toEqual({});
    expect(at(5)!.warnings.idNumber).toEqual([
      expect.objectContaining({
        code: 'declared-by-other-unit',
        message: '单位 UB、UC 也申报了此人，审核时会一并提示',
      }),
    ]);
  });

  it('keeps a unit out of another unit’s batch', async () => {
    expect((await unitB.request('GET', `/api/imports/${batchId}`)).status).toBe(404);
    expect((await unitB.request('GET', `/api/imports/${batchId}/rows`)).status).toBe(404);
  });

  it('edits a row online and checks it again', async () => {
    const row = at(7)!;
    const stale = await clerk.request('PATCH', `/api/imports/${batchId}/rows/${row.id}`, {
      values: { ...row.values, idNumber: CHEN.replace(/^32/, '33') },
      version: row.version + 5,
    });
    expect(stale.status).toBe(409);
    const fixed = residentId('110105', '19910203', '057');
    const res = await clerk.request('PATCH', `/api/imports/${batchId}/rows/${row.id}`, {
      values: { ...row.values, idNumber: fixed },
      version: row.version,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.row.status).toBe('valid');
    expect(res.body.row.edited.by).toBe('clerk1');
    // A fix that duplicates another row of the batch is caught.
    const dup = await clerk.request('PATCH', `/api/imports/${batchId}/rows/${row.id}`, {
      values: { ...row.values, idNumber: WANG },
      version: res.body.row.version,
    });
    expect(dup.body.row.status).toBe('invalid');
    expect(dup.body.row.errors.idNumber[0].message).toContain('第 4 行');
    const back = await clerk.request('PATCH', `/api/imports/${batchId}/rows/${row.id}`, {
      values: { ...row.values, idNumber: fixed },
      version: dup.body.row.version,
    });
    expect(back.body.row.status).toBe('valid');
  });

  it('deletes a row with who, when and why', async () => {
    const res = await clerk.request(
      'DELETE',
      `/api/imports/${batchId}/rows/${at(8)!.id}?reason=${encodeURIComponent('号码被Excel改坏，单位另行补报')}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.row.status).toBe('deleted');
    expect(res.body.row.deleted).toMatchObject({ by: 'clerk1', reason: '号码被Excel改坏，单位另行补报' });
  });

  it('refuses a commit that meets a duplicate written meanwhile, and writes nothing', async () => {
    // Someone enters row 12's person by hand for the same unit after staging: the commit must fail as a whole.
    const sneaked = await admin.request('POST', '/api/events/EXPO2026/records', {
      kind: 'person',
      unitCode: 'UA',
      values: {
        name: '陈静',
        gender: 'F',
        idType: '1',
        idNumber: CHEN,
        organization: '乙单位',
        mobile: '13200132001',
        cardType: 'STAFF',
      },
    });
    expect(sneaked.status, JSON.stringify(sneaked.body)).toBe(201);
    const before = (await admin.request('GET', '/api/events/EXPO2026/records?kind=person&pageSize=500')).body
      .total;
    const commit = await clerk.request('POST', `/api/imports/${batchId}/commit`);
    expect(commit.status).toBe(202);
    const task = await followTask(clerk, commit.body.task.id);
    expect(task.status).toBe('failed');
    expect(task.error.code).toBe('duplicate_on_commit');
    const after = (await admin.request('GET', '/api/events/EXPO2026/records?kind=person&pageSize=500')).body
      .total;
    expect(after).toBe(before);
    expect((await clerk.request('GET', `/api/imports/${batchId}`)).body.batch.status).toBe('staged');
    // Clean up the sneaked record's row so the batch can go in: delete that staged row.
    await clerk.request(
      'DELETE',
      `/api/imports/${batchId}/rows/${at(12)!.id}?reason=${encodeURIComponent('已人工录入')}`,
    );
  });

  it('commits valid rows in one go and the counts reconcile', async () => {
    const commit = await clerk.request('POST', `/api/imports/${batchId}/commit`);
    const task = await followTask(clerk, commit.body.task.id);
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    const report = task.result;
    expect(report.totals).toMatchObject({
      sourceRows: 8,
      committed: 4,
      deleted: 2,
      rejected: 2,
      pending: 0,
      reconciled: true,
    });
    expect(report.deleted.map((d: Body) => [d.row, d.by])).toEqual([
      [8, 'clerk1'],
      [12, 'clerk1'],
    ]);
    expect(report.rejected.map((r: Body) => r.row)).toEqual([9, 11]);
    expect(report.rejected[0].reason).toContain('重复');
    const list = await clerk.request('GET', `/api/events/EXPO2026/records?q=${ZHAO}`);
    expect(list.body.records).toHaveLength(1);
    expect(list.body.records[0]).toMatchObject({ name: '赵强', cardType: 'SERVICE', unit: { code: 'UA' } });
    // A committed batch cannot be changed or committed again.
    expect((await clerk.request('POST', `/api/imports/${batchId}/commit`)).status).toBe(409);
    expect((await clerk.request('DELETE', `/api/imports/${batchId}/rows/${at(4)!.id}`)).status).toBe(409);
  });
});

describe('files that cannot be read', () => {
  it('explains how to convert a legacy .xls', async () => {
    const ole2 = Buffer.concat([
      Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
      Buffer.alloc(1024),
    ]);
    const { batchId, task } = await stage(clerk, ole2, '人员名单.xls');
    expect(task.status).toBe('failed');
    expect(task.error.message).toContain('.xlsx');
    const batch = (await clerk.request('GET', `/api/imports/${batchId}`)).body.batch;
    expect(batch.status).toBe('failed');
    expect(batch.notes[0].message).toContain('另存为');
  });

  it('serves the collection template, and a filled template maps with no manual mapping', async () => {
    const res = await clerk.download('/api/events/EXPO2026/templates/person');
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.data as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    // Find the header row: the row holding the 姓名 label.
    let headerRow = 0;
    sheet.eachRow((row, n) => {
      if (
        !headerRow &&
        row.values &&
        (row.values as unknown[]).some(
          (v) =>
            String(v ?? '')
              .replace(/\*/g, '')
              .trim() === '姓名',
        )
      )
        headerRow = n;
    });
    expect(headerRow).toBeGreaterThan(0);
    const labels = (sheet.getRow(headerRow).values as unknown[]).map((v) =>
      String(v ?? '')
        .replace(/\*/g, '')
        .trim(),
    );
    const col = (label: string) => labels.indexOf(label);
    const fill: Record<string, string> = {
      姓名: '孙丽',
      性别: '女',
      身份证件类型: '居民身份证',
      证件号码: residentId('110108', '19950620', '022'),
      工作单位: '甲单位',
      手机号码: '13911112222',
      申请证件: '工作证',
    };
    const data = sheet.getRow(headerRow + 1);
    for (const [label, value] of Object.entries(fill)) {
      expect(col(label), label).toBeGreaterThan(0);
      data.getCell(col(label)).value = value;
    }
    const filled = Buffer.from(await wb.xlsx.writeBuffer());
    const { batchId, task } = await stage(clerk, filled, '模板.xlsx');
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    const batch = (await clerk.request('GET', `/api/imports/${batchId}`)).body.batch;
    const mapped = batch.columns.filter((c: Body) => c.field).map((c: Body) => c.field);
    expect(mapped).toEqual(
      expect.arrayContaining(['name', 'gender', 'idType', 'idNumber', 'organization', 'mobile', 'cardType']),
    );
    const rows = await rowsOf(clerk, batchId);
    expect(rows).toHaveLength(1);
    expect(rows[0].status, JSON.stringify(rows[0].errors)).toBe('valid');
    expect(rows[0].values).toMatchObject({ gender: 'F', idType: '1', cardType: 'STAFF' });
  });
});

describe('batch housekeeping', () => {
  it('says who uploaded, keeps a batch when a restage names a missing sheet, and discards on request', async () => {
    const { batchId, task } = await stage(clerk, await officeSheet(), '第三批.xlsx');
    expect(task.status).toBe('succeeded');
    const batch = (await clerk.request('GET', `/api/imports/${batchId}`)).body.batch;
    expect(batch).toMatchObject({ createdBy: 'clerk1', committedBy: null, sheets: ['人员申报表'] });

    const wrong = await clerk.request('POST', `/api/imports/${batchId}/restage`, { sheet: '不存在' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.message).toContain('人员申报表');
    expect((await clerk.request('GET', `/api/imports/${batchId}`)).body.batch.status).toBe('staged');

    // A unit cannot discard another unit's batch: it does not even see it.
    expect((await unitB.request('POST', `/api/imports/${batchId}/discard`)).status).toBe(404);
    const discarded = await clerk.request('POST', `/api/imports/${batchId}/discard`);
    expect(discarded.status).toBe(200);
    expect(discarded.body.batch.status).toBe('discarded');
    expect((await clerk.request('POST', `/api/imports/${batchId}/commit`)).status).toBe(409);
  });
});
