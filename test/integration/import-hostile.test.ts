// Hostile and broken input through the whole pipeline (HTTP → task → PostgreSQL): each gets a
// clear message or a neutralised value, the server keeps answering, nothing half-done is kept.
import ExcelJS from 'exceljs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, type Body, followTask } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';
import {
  deflatedZeros,
  gbkCsv,
  ole2File,
  simpleWorkbook,
  wpsCellImageWorkbook,
  zipEntries,
} from '../support/import-files.ts';

let running: RunningServer;
let clerk: ApiClient;

const ONE = residentId('110101', '19900307', '671');
const TWO = residentId('310104', '19851231', '282');
const HEADER = ['姓名', '性别', '身份证号码', '工作单位', '手机号码', '申请证件'];

async function stage(fileName: string, data: Buffer): Promise<{ batchId: number; task: Body }> {
  const res = await clerk.upload('/api/events/EXPO2026/imports', {
    kind: 'person',
    unitCode: 'UH',
    file: { fileName, data, type: 'application/octet-stream' },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return { batchId: res.body.batch.id, task: await followTask(clerk, res.body.task.id, 600) };
}

const rowsOf = async (batchId: number): Promise<Body[]> =>
  (await clerk.request('GET', `/api/imports/${batchId}/rows?pageSize=1000`)).body.rows;

const jpeg = () =>
  sharp({ create: { width: 390, height: 520, channels: 3, background: { r: 40, g: 90, b: 160 } } })
    .jpeg()
    .toBuffer();

beforeAll(async () => {
  running = await startTestServer();
  const admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UH', name: '测试单位' });
  await admin.request('POST', '/api/users', { username: 'clerk1', role: 'clerk', password: 'Passw0rd-123' });
  clerk = new ApiClient(running.url);
  await clerk.login('clerk1', 'Passw0rd-123');
});

afterAll(async () => {
  await running?.stop();
});

describe('formula injection', () => {
  it('keeps formula-looking names as text and neutralises them in the CSV export', async () => {
    const csv = gbkCsv(
      [
        HEADER.join(','),
        `"=HYPERLINK(""http://evil.example"",""点我"")",男,${ONE},测试单位,13800000001,工作证`,
        `@SUM(1+1),女,${TWO.slice(0, 17)}0,测试单位,13800000002,工作证`,
      ].join('\r\n'),
    );
    const { batchId, task } = await stage('含公式.csv', csv);
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    const rows = await rowsOf(batchId);
    expect(rows[0].values.name).toBe('=HYPERLINK("http://evil.example","点我")');

    const exported = await clerk.download(
      `/api/imports/${batchId}/rows/export?status=valid,invalid&format=csv`,
    );
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toContain(encodeURIComponent('含公式-问题行.csv'));
    expect([...exported.data.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = exported.data.subarray(3).toString('utf8');
    const lines = text.trim().split('\r\n');
    expect(lines[0]).toBe([...HEADER, '原表行号', '问题说明'].join(','));
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil.example"",""点我"")"`);
    expect(lines[2]!.startsWith("'@SUM(1+1),")).toBe(true);
    // The wrong ID number is sent back in full, with what is wrong, for the unit to fix.
    expect(lines[2]).toContain(`${TWO.slice(0, 17)}0`);
    expect(lines[2]).toContain('校验位');

    const xlsx = await clerk.download(`/api/imports/${batchId}/rows/export`);
    expect(xlsx.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.data as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    // Default: only the rows with problems; cells are text, never formulas.
    expect(ws.rowCount).toBe(2);
    expect(ws.getCell('A2').value).toBe('@SUM(1+1)');
    expect(ws.getCell('C2').value).toBe(`${TWO.slice(0, 17)}0`);
    expect(ws.getCell('G2').value).toBe('3');
  });

  it('refuses an unknown status filter with the ones it knows', async () => {
    const res = await clerk.request('GET', `/api/imports/1/rows?status=valid,'}`);
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain('未知的行状态');
  });
});

describe('hostile zips', () => {
  it('a damaged photo is that row’s problem; a path-climbing name is skipped and said', async () => {
    const sheet = await simpleWorkbook([
      HEADER,
      ['甲', '男', ONE, '测试单位', '13800000001', '工作证'],
      ['乙', '女', TWO, '测试单位', '13800000002', '工作证'],
    ]);
    const zip = zipEntries([
      { name: '名单.xlsx', data: sheet },
      { name: `${ONE}.jpg`, deflated: { data: Buffer.alloc(64, 0xff), size: 50_000, crc: 0 } },
      { name: `${TWO}.jpg`, data: await jpeg() },
      { name: '../../etc/cron.d/evil.jpg', data: await jpeg() },
    ]);
    const { batchId, task } = await stage('资料.zip', zip);
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    const rows = await rowsOf(batchId);
    expect(rows[0].errors.photo[0].code).toBe('photo-invalid');
    expect(rows[0].errors.photo[0].message).toContain(`${ONE}.jpg`);
    expect(rows[1].photoId).toBeTruthy();
    const batch = (await clerk.request('GET', `/api/imports/${batchId}`)).body.batch;
    expect(batch.notes).toContainEqual(
      expect.objectContaining({ code: 'zip-skipped', file: '../../etc/cron.d/evil.jpg' }),
    );
  });

  it('a zip bomb fails its task with why, and the server goes on answering', async () => {
    const zeros = await deflatedZeros(300 * 1024 * 1024);
    const zip = zipEntries([
      { name: '名单.xlsx', data: await simpleWorkbook([HEADER]) },
      { name: 'big.jpg', deflated: zeros },
    ]);
    const { batchId, task } = await stage('炸弹.zip', zip);
    expect(task.status).toBe('failed');
    expect(task.error.message).toContain('炸弹.zip');
    expect((await clerk.request('GET', `/api/imports/${batchId}`)).body.batch.status).toBe('failed');
    expect(await rowsOf(batchId)).toEqual([]);
    expect((await clerk.request('GET', '/api/health')).status).toBe(200);
  });

  it('a password-protected workbook: a clear error saying what to do', async () => {
    const { task } = await stage('加密.xlsx', ole2File(true));
    expect(task.status).toBe('failed');
    expect(task.error.message).toMatch(/密码/);
  });
});

describe('formula cells', () => {
  it('takes a formula’s cached result and says the sheet had formulas', async () => {
    const sheet = await simpleWorkbook(
      [HEADER, ['丙', '男', ONE, '测试单位', '13800000001', '工作证']],
      '人员',
      (ws) => {
        ws.getCell('D2').value = { formula: 'UPPER("测试单位")', result: '测试单位' };
      },
    );
    const { batchId, task } = await stage('公式.xlsx', sheet);
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    const rows = await rowsOf(batchId);
    expect(rows[0].values.organization).toBe('测试单位');
    expect(rows[0].status).toBe('valid');
    const batch = (await clerk.request('GET', `/api/imports/${batchId}`)).body.batch;
    expect(batch.notes.map((n: Body) => n.message).join('\n')).toMatch(/公式/);
  });
});

describe('pictures placed in cells by WPS 表格', () => {
  it('become the photos of their rows', async () => {
    const sheet = await wpsCellImageWorkbook(
      [
        HEADER.concat('照片'),
        ['甲', '男', ONE, '测试单位', '13800000001', '工作证', ''],
        ['乙', '女', TWO, '测试单位', '13800000002', '工作证', ''],
      ],
      { G2: await jpeg(), G3: await jpeg() },
      '人员',
    );
    const { batchId, task } = await stage('WPS采集表.xlsx', sheet);
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    const rows = await rowsOf(batchId);
    expect(rows.map((r: Body) => [r.row, r.photoSource, !!r.photoId, r.status])).toEqual([
      [2, 'embedded', true, 'valid'],
      [3, 'embedded', true, 'valid'],
    ]);
  });
});
