// Fault drill: the disk fills up while an upload is written. The server's data folder and its
// upload temp folder sit on a small tmpfs of their own; an import zip bigger than what is left is
// refused with a clear Chinese 507 — whether the disk runs out while the upload is received or
// while the kept original is stored — with no half file left behind, the server up and what was
// stored before intact. Once space is freed the very same upload goes through.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, statfs, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { killChildServers, startChildServer, type ChildServer } from '../support/child-server.ts';
import { ADMIN_PASSWORD, ApiClient, createTestDatabase, followTask, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';
import { pngPhoto, simpleWorkbook, zipEntries } from '../support/import-files.ts';

const run = promisify(execFile);
const EVENT = 'EXPO2026';
const DISK_BYTES = 4 * 1024 * 1024;

let mountPoint: string | undefined;
let mounted = false;
let server: ChildServer;
let admin: ApiClient;
let upload: Buffer;
let photo: { id: string; bytes: Buffer };
let recordId: number;

const filler = () => path.join(mountPoint!, 'filler.bin');

/** Bytes still free on the small disk. */
async function free(): Promise<number> {
  const s = await statfs(mountPoint!);
  return s.bavail * s.bsize;
}

/** Fills the disk up to `left` bytes free. */
async function leave(left: number): Promise<void> {
  await rm(filler(), { force: true });
  await writeFile(filler(), Buffer.alloc(Math.max(0, (await free()) - left)));
}

/** Every file under `dir`, relative. */
async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/** An import zip of 1.3 MB: a sheet of two people and two incompressible photos named by ID number. */
async function importZip(): Promise<Buffer> {
  const people = [residentId('110101', '19800101', '013'), residentId('110101', '19800202', '015')];
  const sheet = await simpleWorkbook(
    [
      ['姓名', '性别', '身份证号码', '单位', '手机', '申请证件类型'],
      ['满盘甲', '男', people[0]!, '甲单位', '13900000001', '服务证'],
      ['满盘乙', '男', people[1]!, '甲单位', '13900000002', '服务证'],
    ],
    '人员信息',
  );
  const noise = (seed: number) =>
    sharp({
      create: {
        width: 420,
        height: 560,
        channels: 3,
        background: { r: seed, g: 128, b: 128 },
        noise: { type: 'gaussian', mean: 128, sigma: 60 },
      },
    })
      .png({ compressionLevel: 0 })
      .toBuffer();
  return zipEntries([
    { name: '人员.xlsx', data: sheet, method: 'store' },
    { name: `照片/${people[0]}.png`, data: await noise(10), method: 'store' },
    { name: `照片/${people[1]}.png`, data: await noise(20), method: 'store' },
  ]);
}

const send = () =>
  admin.upload(`/api/events/${EVENT}/imports`, {
    kind: 'person',
    unitCode: 'UA',
    file: { fileName: '甲单位人员.zip', data: upload, type: 'application/zip' },
  });

beforeAll(async () => {
  mountPoint = await mkdtemp(path.join(os.tmpdir(), 'tessera-drill-disk-'));
  await run('mount', ['-t', 'tmpfs', '-o', `size=${DISK_BYTES}`, 'tmpfs', mountPoint]);
  mounted = true;
  const dataDir = path.join(mountPoint, 'data');
  const tmpDir = path.join(mountPoint, 'tmp');
  await mkdir(dataDir);
  await mkdir(tmpDir);
  server = await startChildServer({
    TESSERA_DATA_DIR: dataDir,
    DATABASE_URL: await createTestDatabase(),
    // Uploads are received into the temp folder: the same small disk.
    TMPDIR: tmpDir,
    // tsx would otherwise keep its compile cache in the temp folder, on the small disk.
    TSX_DISABLE_CACHE: '1',
  });
  admin = new ApiClient(server.url);
  expect((await admin.login('admin', ADMIN_PASSWORD)).status).toBe(200);
  expect((await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' })).status).toBe(201);
  const stored = await admin.upload(`/api/events/${EVENT}/photos`, {
    file: { fileName: 'a.png', data: await pngPhoto(390, 520), type: 'image/png' },
  });
  expect(stored.status, JSON.stringify(stored.body)).toBe(201);
  const bytes = await admin.download(stored.body.photo.url);
  photo = { id: stored.body.photo.id, bytes: bytes.data };
  const record = await admin.request('POST', `/api/events/${EVENT}/records`, {
    kind: 'person',
    unitCode: 'UA',
    values: {
      name: '已有',
      gender: 'M',
      idType: '1',
      idNumber: residentId('110101', '19700101', '011'),
      organization: '甲单位',
      mobile: '13900000000',
      cardType: 'SERVICE',
      photo: photo.id,
    },
  });
  expect(record.status, JSON.stringify(record.body)).toBe(201);
  recordId = record.body.record.id;
  upload = await importZip();
  expect(upload.byteLength).toBeGreaterThan(1_200_000);
});

afterAll(async () => {
  await killChildServers();
  if (mounted) {
    // Lazy as a last resort: a file still open must not leave the mount behind.
    await run('umount', [mountPoint!]).catch(() => run('umount', ['-l', mountPoint!]));
  }
  if (mountPoint) await rm(mountPoint, { recursive: true, force: true });
});

describe('disk full while an upload is written', () => {
  /** Nothing of a refused upload is left, and what was there before is whole. */
  async function nothingLostNothingLeft(): Promise<void> {
    // The upload parser deletes its partial file just after the refusal is answered: wait for it.
    await vi.waitFor(async () => expect(await files(path.join(mountPoint!, 'tmp'))).toEqual([]), {
      timeout: 5000,
      interval: 100,
    });
    expect(
      (await files(path.join(mountPoint!, 'data', 'blobs'))).filter((f) => !/\/[0-9a-f]{64}$/.test(f)),
    ).toEqual([]);
    const batches = (await admin.request('GET', `/api/events/${EVENT}/imports`)).body;
    expect(JSON.stringify(batches)).not.toMatch(/甲单位人员\.zip/);
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    const again = await admin.download(`/api/photos/${photo.id}`);
    expect(again.status).toBe(200);
    expect(again.data.equals(photo.bytes)).toBe(true);
    const record = await admin.request('GET', `/api/events/${EVENT}/records/${recordId}`);
    expect(record.status).toBe(200);
    expect(record.body.record.values.photo).toBe(photo.id);
  }

  const refusedClearly = (res: { status: number; body: Body }) => {
    expect(res.status, JSON.stringify(res.body)).toBe(507);
    expect(res.body.error.code).toBe('disk_full');
    expect(res.body.error.message).toMatch(/磁盘空间不足.*联系管理员/);
  };

  it('runs out while the upload is received: 507, no temp file, nothing lost', async () => {
    await leave(500_000);
    refusedClearly(await send());
    await nothingLostNothingLeft();
  });

  it('runs out while the kept original is stored: 507, no half blob, nothing lost', async () => {
    // Room for the upload's temp file, not for a second copy of it.
    await leave(upload.byteLength + 600_000);
    refusedClearly(await send());
    await nothingLostNothingLeft();
  });

  it('once space is freed the same upload is staged in full', async () => {
    await rm(filler(), { force: true });
    const res = await send();
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const task = await followTask(admin, res.body.task.id);
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    const batch = (await admin.request('GET', `/api/imports/${res.body.batch.id}`)).body.batch;
    expect(batch.status).toBe('staged');
    expect(batch.counts.rows).toBe(2);
  });
});
