// `tessera import` as an office runs it: a zip from a Chinese Windows machine (GBK names, no
// UTF-8 flag) holding a messy sheet and photos named by ID number or by name; a dry run with
// --json, then the real import, against the same PostgreSQL a server uses.
import ExcelJS from 'exceljs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TesseraConfig } from '../../core/config.ts';
import { startServer, type RunningServer } from '../../server/serve.ts';
import { runCli } from '../support/cli.ts';
import { ADMIN_PASSWORD, ApiClient, testConfig, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';
import { zipEntries } from '../support/import-files.ts';

let config: TesseraConfig;
let running: RunningServer;
let admin: ApiClient;
let zipPath: string;
let env: NodeJS.ProcessEnv;

/** An ID number whose check digit is X (the case offices write in lower case). */
const HE = Array.from({ length: 1000 }, (_, i) =>
  residentId('110101', '19870505', String(i).padStart(3, '0')),
).find((id) => id.endsWith('X') && Number(id[16]) % 2 === 0)!;
const GAO = residentId('310104', '19900101', '153');
const LUO = residentId('440305', '19950309', '222');
const BAD = residentId('320102', '19800808', '055').slice(0, 17) + '0';

const jpeg = (shade: number) =>
  sharp({ create: { width: 390, height: 520, channels: 3, background: { r: shade, g: 90, b: 120 } } })
    .jpeg()
    .toBuffer();

async function sheet(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('人员');
  ws.mergeCells('A1:G1');
  ws.getCell('A1').value = '某单位参会人员汇总表';
  ws.getCell('A2').value = '（请勿修改表头）';
  ws.addRow(['序号', '姓名', '性别', '身份证号', '工作单位', '联系电话', '证件类型']);
  ws.addRow([1, '何静', '女', HE.toLowerCase(), '某单位', '13800001234', '工作证']); // 4: photo by ID (lower-case x)
  ws.addRow([2, '高远', '男', GAO, '某单位', '13800005678', '工作证']); // 5: photo by name
  ws.addRow([3, '罗兰', '女', LUO, '某单位', '13800009012', '服务证']); // 6: no photo
  ws.addRow([4, '错号', '男', BAD, '某单位', '13800003456', '工作证']); // 7: bad check digit
  ws.addRow([]);
  ws.addRow(['填表人：张三']); // 9: trailing note
  return Buffer.from(await wb.xlsx.writeBuffer());
}

beforeAll(async () => {
  config = await testConfig();
  running = await startServer(config, () => undefined);
  admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UC', name: '某单位' });
  const zip = zipEntries(
    [
      { name: '某单位人员申报/人员汇总表.xlsx', data: await sheet() },
      { name: `某单位人员申报/照片/${HE.toUpperCase()}.jpg`, data: await jpeg(10) },
      { name: '某单位人员申报/照片/高远.jpg', data: await jpeg(60) },
      { name: '某单位人员申报/照片/无主照片.jpg', data: await jpeg(90) },
    ],
    { gbkNames: true },
  );
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-cli-import-'));
  zipPath = path.join(dir, '某单位人员申报.zip');
  await writeFile(zipPath, zip);
  env = { DATABASE_URL: config.databaseUrl, TESSERA_DATA_DIR: config.dataDir };
});

afterAll(async () => {
  await running?.stop();
});

describe('tessera import', () => {
  it('dry run --json: header row, mapping, every row with its flags and photo, nothing written', async () => {
    const result = await runCli(
      ['import', zipPath, '--event', 'EXPO2026', '--kind', 'person', '--dry-run', '--json'],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Body;
    expect(report.sheet).toBe('人员');
    expect(report.headerRow).toBe(3);
    expect(report.mapping).toMatchObject({
      姓名: 'name',
      性别: 'gender',
      身份证号: 'idNumber',
      工作单位: 'organization',
      联系电话: 'mobile',
      证件类型: 'cardType',
    });
    expect(
      report.rows.map((r: Body) => [r.row, r.status]),
      JSON.stringify(report.rows),
    ).toEqual([
      [4, 'valid'],
      [5, 'valid'],
      [6, 'valid'],
      [7, 'invalid'],
    ]);
    const byRow = new Map<number, Body>(report.rows.map((r: Body) => [r.row, r]));
    expect(byRow.get(4).values.idNumber).toBe(HE.toUpperCase());
    expect(byRow.get(4).values.gender).toBe('F');
    expect(byRow.get(6).values.cardType).toBe('SERVICE');
    expect(byRow.get(7).errors).toContainEqual(expect.objectContaining({ field: 'idNumber' }));
    // GBK names decoded: the photo files are named as the office named them.
    expect(byRow.get(4).photo).toBe(`某单位人员申报/照片/${HE.toUpperCase()}.jpg`);
    expect(byRow.get(5).photo).toBe('某单位人员申报/照片/高远.jpg');
    expect(byRow.get(6).photo).toBeNull();
    expect(report.totals).toMatchObject({ rows: 4, valid: 3, invalid: 1, skipped: 4, photosMatched: 2 });
    const records = await admin.request('GET', '/api/events/EXPO2026/records?kind=person');
    expect(records.body.records).toHaveLength(0);
  });

  it('a dry run names a missing file and exits non-zero', async () => {
    const result = await runCli(['import', '/nonexistent/表.xlsx', '--event', 'EXPO2026', '--dry-run'], env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('文件不存在');
  });

  it('imports for a unit: valid rows become records with their photos, the bad one rejected', async () => {
    const result = await runCli(
      ['import', zipPath, '--event', 'EXPO2026', '--kind', 'person', '--unit', 'UC', '--json'],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Body;
    expect(report.totals).toMatchObject({ rows: 4, committed: 3, rejected: 1 });
    const records = await admin.request('GET', '/api/events/EXPO2026/records?kind=person');
    expect(records.body.records.map((r: Body) => r.name).sort()).toEqual(['何静', '罗兰', '高远'].sort());
    const he = records.body.records.find((r: Body) => r.name === '何静');
    const full = await admin.request('GET', `/api/events/EXPO2026/records/${he.id}`);
    expect(full.body.record.values.photo).toBeTruthy();
    const photo = await admin.download(`/api/photos/${full.body.record.values.photo}`);
    expect(photo.status).toBe(200);
    expect(photo.headers.get('content-type')).toBe('image/jpeg');
  });
});
