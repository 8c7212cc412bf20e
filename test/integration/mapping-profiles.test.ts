// Mapping profiles (映射方案) through HTTP against PostgreSQL: a sample sheet previewed, a profile
// checked with the plugin's own mapping rules, saved, used for a unit's upload, remembered for
// that unit and offered first the next time.
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, type Body, followTask } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';

let running: RunningServer;
let admin: ApiClient;
let clerk: ApiClient;
let unitA: ApiClient;

const PEOPLE = [
  ['周洋', '男士', residentId('110101', '19880412', '031'), '北京/朝阳区', '13800001111'],
  ['吴敏', '女士', residentId('310104', '19910703', '122'), '上海/徐汇区', '13900002222'],
  ['郑凯', '男士', residentId('440305', '19790228', '015'), '深圳/南山区', '13700003333'],
];

/** A unit's own layout: odd headers no dictionary knows, a gender spelling of its own, no card column. */
async function unitSheet(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('报名');
  ws.addRow(['甲单位报名汇总']);
  ws.addRow(['人员', '称谓', '证件编码', '所在城市', '联络方式']);
  for (const p of PEOPLE) ws.addRow(p);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const PROFILE = {
  code: 'ua-format',
  name: '甲单位报名表格式',
  recordKind: 'person',
  columns: [
    { headers: ['人员'], field: 'name', transforms: [{ op: 'trim' }], required: true },
    { headers: ['称谓'], field: 'gender', transforms: [{ op: 'map', values: { 男士: 'M', 女士: 'F' } }] },
    { headers: ['证件编码'], field: 'idNumber', required: true },
    { headers: ['所在城市'], field: 'organization', transforms: [{ op: 'split', separator: '/', index: 0 }] },
    { headers: ['联络方式'], field: 'mobile' },
  ],
  fixed: { idType: '1', cardType: 'STAFF' },
};

const file = async () => ({
  fileName: '甲单位报名.xlsx',
  data: await unitSheet(),
  type: 'application/octet-stream',
});

beforeAll(async () => {
  running = await startTestServer();
  admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' });
  await admin.request('POST', '/api/users', { username: 'clerk1', role: 'clerk', password: 'Passw0rd-123' });
  await admin.request('POST', '/api/users', {
    username: 'unit-a',
    role: 'unit',
    unitCode: 'UA',
    password: 'Passw0rd-123',
  });
  clerk = new ApiClient(running.url);
  await clerk.login('clerk1', 'Passw0rd-123');
  unitA = new ApiClient(running.url);
  await unitA.login('unit-a', 'Passw0rd-123');
});

afterAll(async () => {
  await running?.stop();
});

describe('mapping profiles', () => {
  it('lists the plugin’s own profiles, read-only', async () => {
    const res = await clerk.request('GET', '/api/events/EXPO2026/mapping-profiles?kind=person');
    expect(res.status).toBe(200);
    expect(res.body.profiles.map((p: Body) => [p.code, p.source])).toContainEqual([
      'person-standard',
      'plugin',
    ]);
    const del = await clerk.request('DELETE', '/api/events/EXPO2026/mapping-profiles/person-standard');
    expect(del.status).toBe(404);
    expect(del.body.error.message).toContain('插件自带');
  });

  it('previews a sample sheet: the header found, the unknown columns left for the user', async () => {
    const res = await clerk.upload('/api/events/EXPO2026/mapping-preview', {
      kind: 'person',
      file: await file(),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.headerRow).toBe(2);
    expect(res.body.headers).toEqual(['人员', '称谓', '证件编码', '所在城市', '联络方式']);
    expect(res.body.dataRows).toBe(3);
    // Nothing in the dictionary says 称谓 is a gender: it stays unmapped and the rows say so.
    expect(res.body.columns.find((c: Body) => c.header === '称谓').field).toBeNull();
    expect(res.body.unmatchedRequired).toContain('gender');
    expect(res.body.rows[0].errors.map((e: Body) => e.field)).toContain('gender');
  });

  it('refuses a profile the plugin’s mapping rules refuse, naming where', async () => {
    const bad = {
      ...PROFILE,
      columns: [
        ...PROFILE.columns.slice(0, 1),
        { headers: ['称谓'], field: 'gender', transforms: [{ op: 'map', values: { 男士: 'MALE' } }] },
        { headers: ['爱好'], field: 'hobby' },
      ],
    };
    const res = await clerk.request('PUT', '/api/events/EXPO2026/mapping-profiles/ua-format', bad);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('profile_invalid');
    const pointers = res.body.error.details.issues.map((i: Body) => i.pointer);
    expect(pointers).toContain('/columns/1/transforms/0/values/男士');
    expect(pointers).toContain('/columns/2/field');
    const noCode = await clerk.request('PUT', '/api/events/EXPO2026/mapping-profiles/x', { name: '无代码' });
    expect(noCode.status).toBe(422);
    expect(
      (await clerk.request('GET', '/api/events/EXPO2026/mapping-profiles')).body.profiles,
    ).not.toContainEqual(expect.objectContaining({ code: 'ua-format' }));
  });

  it('a unit may use profiles but not change them', async () => {
    const res = await unitA.request('PUT', '/api/events/EXPO2026/mapping-profiles/ua-format', PROFILE);
    expect(res.status).toBe(403);
  });

  it('saves a profile; the preview with it maps every row', async () => {
    const saved = await clerk.request('PUT', '/api/events/EXPO2026/mapping-profiles/ua-format', PROFILE);
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body.profile).toMatchObject({ code: 'ua-format', source: 'saved', updatedBy: 'clerk1' });
    const res = await clerk.upload('/api/events/EXPO2026/mapping-preview', {
      kind: 'person',
      profileCode: 'ua-format',
      file: await file(),
    });
    expect(res.status).toBe(200);
    expect(res.body.rows.map((r: Body) => r.errors)).toEqual([[], [], []]);
    expect(res.body.rows[1].values).toMatchObject({
      name: '吴敏',
      gender: 'F',
      organization: '上海',
      cardType: 'STAFF',
    });
    // The ID number leaves the server masked.
    expect(res.body.rows[1].values.idNumber).not.toBe(PEOPLE[1]![2]);
  });

  it('a batch committed with the profile makes it the unit’s, offered first next time', async () => {
    const up = await clerk.upload('/api/events/EXPO2026/imports', {
      kind: 'person',
      unitCode: 'UA',
      profileCode: 'ua-format',
      file: await file(),
    });
    expect(up.status).toBe(202);
    expect((await followTask(clerk, up.body.task.id)).status).toBe('succeeded');
    const commit = await clerk.request('POST', `/api/imports/${up.body.batch.id}/commit`);
    const done = await followTask(clerk, commit.body.task.id);
    expect(done.result.totals).toMatchObject({ sourceRows: 3, committed: 3, reconciled: true });

    const list = await clerk.request('GET', '/api/events/EXPO2026/mapping-profiles?kind=person');
    expect(list.body.profiles.find((p: Body) => p.code === 'ua-format').units).toEqual([
      { code: 'UA', name: '甲单位' },
    ]);

    // The unit uploads its next sheet naming no profile: its own is used.
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('报名');
    ws.addRow(['人员', '称谓', '证件编码', '所在城市', '联络方式']);
    ws.addRow(['冯雪', '女士', residentId('320102', '19930918', '046'), '南京/鼓楼区', '13600004444']);
    const next = await unitA.upload('/api/events/EXPO2026/imports', {
      kind: 'person',
      file: {
        fileName: '第二批.xlsx',
        data: Buffer.from(await wb.xlsx.writeBuffer()),
        type: 'application/octet-stream',
      },
    });
    expect(next.status).toBe(202);
    expect((await followTask(unitA, next.body.task.id)).status).toBe('succeeded');
    const batch = (await unitA.request('GET', `/api/imports/${next.body.batch.id}`)).body.batch;
    expect(batch.profileCode).toBe('ua-format');
    expect(batch.counts).toMatchObject({ rows: 1, valid: 1, invalid: 0 });
  });

  it('deletes a saved profile and forgets it for the unit', async () => {
    const del = await clerk.request('DELETE', '/api/events/EXPO2026/mapping-profiles/ua-format');
    expect(del.status).toBe(204);
    const list = await clerk.request('GET', '/api/events/EXPO2026/mapping-profiles?kind=person');
    expect(list.body.profiles.map((p: Body) => p.code)).not.toContain('ua-format');
    const stage = await clerk.upload('/api/events/EXPO2026/imports', {
      kind: 'person',
      unitCode: 'UA',
      profileCode: 'ua-format',
      file: await file(),
    });
    const task = await followTask(clerk, stage.body.task.id);
    expect(task.status).toBe('failed');
    expect(task.error.message).toContain('ua-format');
  });
});
