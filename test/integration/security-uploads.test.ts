// Uploads are judged by their bytes, not their names: a "photo.jpg" that is really HTML, SVG
// (a script vector), PDF, an executable or a zip is refused with a Chinese message naming the
// file — as an ID photo, as a staged row's replacement photo and inside an import zip; a ".xlsx"
// or ".csv" that is really an executable, a web page, or a zip of something else is refused
// naming the file; nothing already stored is lost on the way.
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, followTask, startTestServer, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';
import { pngPhoto, simpleWorkbook, zipEntries } from '../support/import-files.ts';

const EVENT = 'EXPO2026';
const ID = residentId('110101', '19900307', '671');
const HEADER = ['姓名', '性别', '身份证号码', '工作单位', '手机号码', '申请证件'];

/** Files whose names lie about what they are. */
const DISGUISED: Record<string, Buffer> = {
  html: Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>'),
  svg: Buffer.from(
    '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="390" height="520">' +
      '<script>alert(1)</script><rect width="390" height="520" fill="red"/></svg>',
  ),
  pdf: Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'),
  exe: Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00', 'latin1'), Buffer.alloc(2000, 0x41)]),
  zip: zipEntries([{ name: 'readme.txt', data: Buffer.from('not a photo') }]),
};

let running: RunningServer;
let clerk: ApiClient;
let keptPhoto: { id: string; bytes: Buffer };

const photoCount = async () =>
  Number(
    (
      await running.engine.db.sequelize.query<{ n: string }>('SELECT count(*) AS n FROM photos', {
        type: QueryTypes.SELECT,
      })
    )[0]!.n,
  );

async function stage(fileName: string, data: Buffer): Promise<{ status: number; body: Body; task?: Body }> {
  const res = await clerk.upload(`/api/events/${EVENT}/imports`, {
    kind: 'person',
    unitCode: 'UH',
    file: { fileName, data, type: 'application/octet-stream' },
  });
  if (res.status !== 202) return res;
  return { ...res, task: await followTask(clerk, res.body.task.id, 600) };
}

/** The refusal's message, whether the upload was refused at once or its staging task failed. */
const refusal = (r: { status: number; body: Body; task?: Body }): string =>
  r.task
    ? r.task.status === 'failed'
      ? String(r.task.error?.message ?? r.task.error)
      : ''
    : String(r.body?.error?.message);

beforeAll(async () => {
  running = await startTestServer();
  const admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UH', name: '测试单位' });
  await admin.request('POST', '/api/users', { username: 'clerk1', role: 'clerk', password: 'Passw0rd-123' });
  clerk = new ApiClient(running.url);
  await clerk.login('clerk1', 'Passw0rd-123');
  const kept = await clerk.upload(`/api/events/${EVENT}/photos`, {
    file: { fileName: '已有照片.png', data: await pngPhoto(390, 520), type: 'image/png' },
  });
  expect(kept.status).toBe(201);
  const bytes = await clerk.download(`/api/photos/${kept.body.photo.id}`);
  keptPhoto = { id: kept.body.photo.id, bytes: bytes.data };
});

afterAll(async () => {
  await running?.stop();
});

describe('ID photos', () => {
  it('a .jpg that is HTML, SVG, PDF, an executable or a zip is refused naming the file', async () => {
    const before = await photoCount();
    for (const [what, data] of Object.entries(DISGUISED)) {
      const fileName = `证件照-${what}.jpg`;
      const res = await clerk.upload(`/api/events/${EVENT}/photos`, {
        file: { fileName, data, type: 'image/jpeg' },
      });
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(422);
      expect(res.body.error.code, what).toBe('photo_unsupported_format');
      expect(res.body.error.message, what).toContain(fileName);
      expect(res.body.error.message, what).toMatch(/请上传 JPG 或 PNG/);
    }
    // A real SVG named .svg is refused the same way: it is never rasterised into a photo.
    const svg = await clerk.upload(`/api/events/${EVENT}/photos`, {
      file: { fileName: 'photo.svg', data: DISGUISED.svg!, type: 'image/svg+xml' },
    });
    expect(svg.status).toBe(422);
    expect(svg.body.error.message).toContain('SVG');
    expect(await photoCount()).toBe(before);
    const still = await clerk.download(`/api/photos/${keptPhoto.id}`);
    expect(still.status).toBe(200);
    expect(still.data.equals(keptPhoto.bytes)).toBe(true);
  });

  it('a staged row’s replacement photo is checked the same way, and the row keeps its photo', async () => {
    const staged = await stage(
      '照片替换.xlsx',
      await simpleWorkbook([HEADER, ['王测试', '男', ID, '测试单位', '13800000001', '工作证']]),
    );
    expect(staged.task?.status).toBe('succeeded');
    const batchId = staged.body.batch.id as number;
    const rows = (await clerk.request('GET', `/api/imports/${batchId}/rows`)).body.rows as Body[];
    const row = rows[0];
    for (const [what, data] of Object.entries(DISGUISED)) {
      const fileName = `替换-${what}.png`;
      const res = await clerk.upload(`/api/imports/${batchId}/rows/${row.id}/photo`, {
        file: { fileName, data, type: 'image/png' },
      });
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(422);
      expect(res.body.error.message, what).toContain(fileName);
    }
    const after = (await clerk.request('GET', `/api/imports/${batchId}/rows`)).body.rows[0];
    expect(after.version).toBe(row.version);
    expect(after.photo ?? null).toEqual(row.photo ?? null);
  });
});

describe('import files', () => {
  it('a sheet whose bytes are an executable, a PDF or an image is refused naming the file', async () => {
    for (const [fileName, data] of [
      ['人员信息.xlsx', DISGUISED.exe!],
      ['人员信息2.xlsx', DISGUISED.pdf!],
      ['人员信息3.csv', DISGUISED.exe!],
      ['人员信息4.csv', await pngPhoto(30, 40)],
      ['人员信息5.xls', DISGUISED.pdf!],
    ] as const) {
      const res = await stage(fileName, data);
      const message = refusal(res);
      expect(message, `${fileName}: ${JSON.stringify(res.body)} ${JSON.stringify(res.task)}`).toContain(
        fileName,
      );
      expect(message, fileName).toMatch(/[\u4e00-\u9fa5]/);
    }
  });

  it('an .xlsx that is really a zip of something else is refused naming the file', async () => {
    const res = await stage(
      '人员信息.xlsx',
      zipEntries([
        { name: 'setup.exe', data: DISGUISED.exe! },
        { name: 'readme.txt', data: Buffer.from('hello') },
      ]),
    );
    const message = refusal(res);
    expect(message, JSON.stringify(res)).toContain('人员信息.xlsx');
  });

  it('photos in an import zip that are not images are refused per file, the rows stay', async () => {
    const sheet = await simpleWorkbook([
      [...HEADER, '照片'],
      ['王测试', '男', ID, '测试单位', '13800000001', '工作证', `${ID}.jpg`],
    ]);
    const res = await stage(
      '带照片.zip',
      zipEntries([
        { name: '人员.xlsx', data: sheet },
        { name: `${ID}.jpg`, data: DISGUISED.svg! },
        { name: 'tool.exe', data: DISGUISED.exe! },
      ]),
    );
    expect(res.task?.status, JSON.stringify(res.task)).toBe('succeeded');
    const rows = (await clerk.request('GET', `/api/imports/${res.body.batch.id}/rows`)).body.rows as Body[];
    expect(rows).toHaveLength(1);
    const text = JSON.stringify(rows[0]);
    expect(rows[0].photo ?? null, text).toBeNull();
    expect(text).toContain(`${ID}.jpg`);
  });
});
