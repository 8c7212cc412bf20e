import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { TesseraConfig } from '../../core/config.ts';
import { loadBackups } from '../../core/ops/backup/manifest.ts';
import { restoreBackup } from '../../core/ops/backup/restore.ts';
import { sealManifest } from '../../core/ops/backup/manifest.ts';
import type { Manifest } from '../../core/ops/backup/types.ts';
import { startServer, type RunningServer } from '../../server/serve.ts';
import { runCli } from '../support/cli.ts';
import { ADMIN_PASSWORD, ApiClient, testConfig, type Body, followTask } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';

/**
 * The restore drill the contract asks for: data changed over several simulated days (records,
 * photos, an import, review decisions, profile edits, hand-run SQL), a full backup and three
 * incrementals (two through the API as tasks, one through the CLI), the database and the data
 * folder destroyed, then restored to the latest state and to a point in between. Each time every
 * row of every table and every blob file is compared with a complete dump taken at that moment.
 */

const EVENT = 'EXPO2026';
const PASSWORD = 'Passw0rd-123';

let config: TesseraConfig;
let running: RunningServer | undefined;
let admin: ApiClient;
let unitA: ApiClient;
let clerk: ApiClient;
let backupsDir: string;
let scratch: string;

interface Snapshot {
  at: string;
  tables: Record<string, string[]>;
  sequences: Record<string, string | null>;
  blobs: Record<string, string>;
  /** Other stored files: rendered PDFs kept under the data folder. */
  files: Record<string, string>;
  keys: string | null;
}

const snapshots: Record<string, Snapshot> = {};
const backupIds: string[] = [];

// ---------------------------------------------------------------------------------------------
// Independent dumps (no code of the backup module): every table in full, every blob hashed.

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 1`);
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function dumpDatabase(url: string): Promise<Pick<Snapshot, 'tables' | 'sequences'>> {
  return withClient(url, async (client) => {
    const tables: Record<string, string[]> = {};
    const names = await client.query<{ t: string }>(
      `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
    );
    for (const { t } of names.rows) {
      const rows = await client.query<{ r: string }>(
        `SELECT x::text AS r FROM public."${t}" AS x ORDER BY 1`,
      );
      tables[t] = rows.rows.map((r) => r.r);
    }
    const sequences: Record<string, string | null> = {};
    const seqs = await client.query<{ n: string; v: string | null }>(
      `SELECT sequencename AS n, last_value::text AS v FROM pg_sequences WHERE schemaname = 'public'`,
    );
    for (const s of seqs.rows) sequences[s.n] = s.v;
    return { tables, sequences };
  });
}

async function dumpTree(root: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files[path.relative(root, full)] = createHash('sha256')
      .update(await fs.readFile(full))
      .digest('hex');
  }
  return files;
}

const dumpBlobs = (dataDir: string) => dumpTree(path.join(dataDir, 'blobs'));
const dumpFiles = (dataDir: string) => dumpTree(path.join(dataDir, 'renders'));

async function dbNow(): Promise<string> {
  return withClient(config.databaseUrl!, async (client) => {
    const { rows } = await client.query<{ t: string }>(
      `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t`,
    );
    return rows[0]!.t;
  });
}

/** The state at this moment, with the database's own clock. Nothing writes while it is taken. */
async function capture(name: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  const at = await dbNow();
  const { tables, sequences } = await dumpDatabase(config.databaseUrl!);
  const keys = await fs.readFile(path.join(config.dataDir, 'secrets.json'), 'utf8').catch(() => null);
  const [blobs, files] = [await dumpBlobs(config.dataDir), await dumpFiles(config.dataDir)];
  snapshots[name] = { at, tables, sequences, blobs, files, keys };
  await new Promise((resolve) => setTimeout(resolve, 20));
}

async function expectRestoredAs(name: string, options: { exactSequences: boolean }): Promise<void> {
  const expected = snapshots[name]!;
  const { tables, sequences } = await dumpDatabase(config.databaseUrl!);
  expect(Object.keys(tables)).toEqual(Object.keys(expected.tables));
  for (const table of Object.keys(expected.tables)) {
    expect(tables[table], `table ${table} as at ${name}`).toEqual(expected.tables[table]);
  }
  if (options.exactSequences) {
    expect(sequences).toEqual(expected.sequences);
  } else {
    // A point in time takes sequences from the next backup: never behind, so no id is handed out twice.
    for (const [seq, value] of Object.entries(expected.sequences)) {
      expect(BigInt(sequences[seq] ?? 0) >= BigInt(value ?? 0), `sequence ${seq}`).toBe(true);
    }
  }
  expect(await dumpBlobs(config.dataDir)).toEqual(expected.blobs);
  expect(await dumpFiles(config.dataDir)).toEqual(expected.files);
  expect(await fs.readFile(path.join(config.dataDir, 'secrets.json'), 'utf8')).toBe(expected.keys);
}

// ---------------------------------------------------------------------------------------------
// The application, used as people use it.

let colour = 0;
async function uploadPhoto(client: ApiClient): Promise<string> {
  colour += 37;
  const data = await sharp({
    create: {
      width: 600,
      height: 800,
      channels: 3,
      background: { r: colour % 256, g: (colour * 3) % 256, b: 90 },
    },
  })
    .jpeg()
    .toBuffer();
  const res = await client.upload(`/api/events/${EVENT}/photos`, {
    file: { fileName: `photo-${colour}.jpg`, data, type: 'image/jpeg' },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.photo.id;
}

let sequence = 101; // odd sequences: men, as gender M says
function person(name: string, photo?: string): Record<string, unknown> {
  sequence += 2;
  return {
    name,
    gender: 'M',
    birthDate: '1990-03-07',
    idType: '1',
    idNumber: residentId('110101', '19900307', String(sequence).padStart(3, '0')),
    organization: '甲单位',
    mobile: '13800138000',
    cardType: 'STAFF',
    ...(photo ? { photo } : {}),
  };
}

const records: Record<string, { id: number; version: number; values: Record<string, unknown> }> = {};

async function addRecord(client: ApiClient, key: string, values: Record<string, unknown>, unitCode?: string) {
  const res = await client.request('POST', `/api/events/${EVENT}/records`, {
    kind: 'person',
    unitCode,
    values,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  records[key] = { id: res.body.record.id, version: res.body.record.version, values };
}

async function editRecord(client: ApiClient, key: string, changes: Record<string, unknown>) {
  const record = records[key]!;
  const values = { ...record.values, ...changes };
  const res = await client.request('PUT', `/api/events/${EVENT}/records/${record.id}`, {
    values,
    version: record.version,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  records[key] = { id: record.id, version: res.body.record.version, values };
}

async function apiBackup(kind: 'full' | 'incremental'): Promise<Body> {
  const res = await admin.request('POST', '/api/admin/backups', { kind });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(res.body.task.type).toBe('backup');
  const task = await followTask(admin, res.body.task.id, 600);
  expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
  expect(task.result.kind).toBe(kind);
  backupIds.push(task.result.id);
  return task.result;
}

/** A rendered PDF kept under the data folder (another stored file the backup must carry). */
async function writeRender(name: string, content: string | null): Promise<void> {
  const file = path.join(config.dataDir, 'renders', EVENT, name);
  if (content === null) return fs.rm(file);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
}

async function sql(text: string): Promise<void> {
  await withClient(config.databaseUrl!, (client) => client.query(text));
}

const cliEnv = () => ({
  DATABASE_URL: config.databaseUrl!,
  TESSERA_DATA_DIR: config.dataDir,
  TESSERA_BACKUP_DIR: '',
  TESSERA_ENCRYPTION_KEY: '',
  TESSERA_HASH_KEY: '',
});

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'tessera-backup-test-'));
  backupsDir = path.join(scratch, 'backups');
  config = await testConfig();
  config = { ...config, backup: { ...config.backup, dir: backupsDir } };
  running = await startServer(config, () => undefined);
  admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  for (const [code, name] of [
    ['UA', '甲单位'],
    ['UB', '乙单位'],
  ]) {
    expect((await admin.request('POST', '/api/units', { code, name })).status).toBe(201);
  }
  for (const u of [
    { username: 'unit-a', role: 'unit', unitCode: 'UA' },
    { username: 'clerk1', role: 'clerk' },
  ]) {
    expect((await admin.request('POST', '/api/users', { ...u, password: PASSWORD })).status).toBe(201);
  }
  unitA = new ApiClient(running.url);
  await unitA.login('unit-a', PASSWORD);
  clerk = new ApiClient(running.url);
  await clerk.login('clerk1', PASSWORD);
});

afterAll(async () => {
  await running?.stop();
  if (!process.env.KEEP_SCRATCH) await fs.rm(scratch, { recursive: true, force: true });
  else console.log('scratch', scratch);
  await fs.rm(config.dataDir, { recursive: true, force: true });
});

describe('backup and restore drill', () => {
  it('day 0: records with photos, then a full backup through the API as a task', async () => {
    await addRecord(unitA, 'a1', person('王一', await uploadPhoto(unitA)));
    await addRecord(unitA, 'a2', person('王二', await uploadPhoto(unitA)));
    await addRecord(
      clerk,
      'b1',
      { ...person('李一', await uploadPhoto(clerk)), organization: '乙单位' },
      'UB',
    );
    await capture('day0');

    expect((await unitA.request('POST', '/api/admin/backups', { kind: 'full' })).status).toBe(403);
    expect((await admin.request('POST', '/api/admin/backups', { kind: 'weekly' })).status).toBe(400);
    const full = await apiBackup('full');
    expect(full.rows).toBeGreaterThan(0);
    expect(full.blobs).toBe(3);

    const list = await admin.request('GET', '/api/admin/backups');
    expect(list.status).toBe(200);
    expect(list.body.backups.map((b: Body) => [b.id, b.kind, b.usable])).toEqual([[full.id, 'full', true]]);
    expect(list.body.problems).toEqual([]);
    expect(list.body.tasks[0]).toMatchObject({ type: 'backup', status: 'succeeded' });
    expect((await unitA.request('GET', '/api/admin/backups')).status).toBe(403);
  });

  it('day 1: more records, edits, a new photo, an import with its kept file, a saved profile; incremental', async () => {
    await addRecord(unitA, 'a3', person('王三', await uploadPhoto(unitA)));
    await editRecord(unitA, 'a1', { mobile: '13900139001' });
    await editRecord(unitA, 'a2', { photo: await uploadPhoto(unitA) });
    expect((await admin.request('PATCH', '/api/units/UB', { contactName: '赵六' })).status).toBe(200);
    const ids = [201, 203, 205].map((n) => residentId('310104', '19851231', String(n)));
    const csv = `姓名,性别,身份证号码,单位,手机,申请证件类型\n张甲,男,${ids[0]},甲单位,13700137001,工作证\n张乙,男,${ids[1]},甲单位,13700137002,工作证\n张丙,男,${ids[2]},甲单位,13700137003,工作证\n`;
    const staged = await clerk.upload(`/api/events/${EVENT}/imports`, {
      kind: 'person',
      unitCode: 'UA',
      file: { fileName: '甲单位补报.csv', data: Buffer.from(`\uFEFF${csv}`), type: 'text/csv' },
    });
    expect(staged.status, JSON.stringify(staged.body)).toBe(202);
    expect((await followTask(clerk, staged.body.task.id, 600)).status).toBe('succeeded');
    const commit = await clerk.request('POST', `/api/imports/${staged.body.batch.id}/commit`);
    const committed = await followTask(clerk, commit.body.task.id, 600);
    expect(committed.status, JSON.stringify(committed.error)).toBe('succeeded');
    const profile = await clerk.request('PUT', `/api/events/${EVENT}/mapping-profiles/ua-format`, {
      code: 'ua-format',
      name: '甲单位报名表格式',
      recordKind: 'person',
      columns: [
        { headers: ['人员'], field: 'name', required: true },
        { headers: ['证件编码'], field: 'idNumber', required: true },
      ],
      fixed: { idType: '1', cardType: 'STAFF' },
    });
    expect(profile.status, JSON.stringify(profile.body)).toBe(200);
    await unitA.request('POST', '/api/auth/logout');
    await unitA.login('unit-a', PASSWORD);
    await writeRender('a.pdf', '%PDF-1.7 第一版');
    await capture('day1');
    const inc = await apiBackup('incremental');
    expect(inc.changes).toBeGreaterThan(0);
    expect(inc.blobs).toBe(3); // two photos and the kept CSV: only the new blobs
    expect(inc.files).toBe(1);
  });

  it('day 2: a review submission (the point in between), decisions and deletions; incremental', async () => {
    const submitted = await unitA.request('POST', `/api/events/${EVENT}/review-batches`, { note: '第一批' });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    await capture('mid');

    const decided = await admin.request('POST', `/api/review-batches/${submitted.body.batch.id}/decisions`, {
      decision: 'approve',
      all: true,
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expect((await clerk.request('DELETE', `/api/events/${EVENT}/mapping-profiles/ua-format`)).status).toBe(
      204,
    );
    await uploadPhoto(clerk); // uploaded, not used yet: the blob and its row still count
    await writeRender('a.pdf', '%PDF-1.7 第二版');
    await writeRender('b.pdf', '%PDF-1.7 另一张');
    await sql(`INSERT INTO mapping_profiles (event_id, code, record_kind, profile)
               SELECT id, 'by-hand-' || g, 'person', jsonb_build_object('n', g, 'x', 'a"b\\c') FROM events, generate_series(1, 2) g
                WHERE code = '${EVENT}'`);
    await capture('day2');
    await apiBackup('incremental');
  });

  it('day 3: hand-run SQL (multi-row update, truncate), a new user; incremental from the CLI', async () => {
    await sql(
      `UPDATE records SET mobile = '1350013500' || (id % 10) WHERE unit_id = (SELECT id FROM units WHERE code = 'UA')`,
    );
    await sql(`TRUNCATE mapping_profiles`);
    await writeRender('a.pdf', null);
    expect(
      (await admin.request('POST', '/api/users', { username: 'op1', role: 'operator', password: PASSWORD }))
        .status,
    ).toBe(201);
    await addRecord(
      clerk,
      'b2',
      { ...person('李二', await uploadPhoto(clerk)), organization: '乙单位' },
      'UB',
    );
    await capture('day3');

    const cli = await runCli(['backup', 'incremental', '--dir', backupsDir], cliEnv());
    expect(cli.code, cli.stderr + cli.stdout).toBe(0);
    expect(cli.stdout).toMatch(/已完成增量备份 \d{8}T\d{9}Z-incr：\d+ 行变更，1 个照片\/文件/);
    const { backups } = await loadBackups(backupsDir);
    expect(backups.map((b) => [b.manifest.kind, b.manifest.sequence])).toEqual([
      ['full', 0],
      ['incremental', 1],
      ['incremental', 2],
      ['incremental', 3],
    ]);
    backupIds.push(backups[3]!.id);

    const verify = await runCli(['backup', 'verify', '--dir', backupsDir], cliEnv());
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain('4 个备份、1 条备份链，全部无误');
  });

  it('refuses to restore while the server is using the database', async () => {
    await expect(
      restoreBackup({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, dir: backupsDir, env: {} }),
    ).rejects.toThrow(
      new RegExp(
        `Tessera 服务器正在使用数据库 ${new URL(config.databaseUrl!).pathname.slice(1)}：请先停止服务器，再恢复`,
      ),
    );
    // Refused before anything was built: no staging database left behind.
    const leftovers = await withClient(inject('databaseUrl'), async (client) =>
      client.query(`SELECT datname FROM pg_database WHERE datname LIKE '%\\_rst\\_%'`),
    );
    expect(leftovers.rowCount).toBe(0);
  });

  it('the database and the data folder destroyed: restores the latest state from the CLI', async () => {
    await running!.stop();
    running = undefined;
    const name = new URL(config.databaseUrl!).pathname.slice(1);
    await withClient(inject('databaseUrl'), (client) => client.query(`DROP DATABASE "${name}" WITH (FORCE)`));
    await fs.rm(config.dataDir, { recursive: true, force: true });

    const started = Date.now();
    const cli = await runCli(['restore', '--dir', backupsDir], cliEnv());
    expect(cli.code, cli.stderr + cli.stdout).toBe(0);
    expect(cli.stdout).toMatch(/已恢复到 .* 的状态/);
    for (const id of backupIds) expect(cli.stdout).toContain(`✓ ${id}`);
    expect(Date.now() - started).toBeLessThan(30_000);
    await expectRestoredAs('day3', { exactSequences: true });
  });

  it('restores to a point in between: the full, the first incremental, and the second up to that moment', async () => {
    const result = await restoreBackup(
      { dataDir: config.dataDir, databaseUrl: config.databaseUrl, dir: backupsDir, env: {} },
      { to: snapshots.mid!.at },
    );
    expect(result.pointInTime).toBe(true);
    expect(result.restoredTo).toBe(snapshots.mid!.at);
    expect(result.backups).toEqual([
      { id: backupIds[0], applied: 'whole' },
      { id: backupIds[1], applied: 'whole' },
      { id: backupIds[2], applied: 'until-time' },
      { id: backupIds[3], applied: 'until-time' },
    ]);
    await expectRestoredAs('mid', { exactSequences: false });
    // The state it replaced (day 3) was set aside, not deleted.
    expect(result.previous.database).toMatch(/_pre_/);
  });

  it('restores to the end of day 1 and to before the first full backup it says why not', async () => {
    await restoreBackup(
      { dataDir: config.dataDir, databaseUrl: config.databaseUrl, dir: backupsDir, env: {} },
      { to: snapshots.day1!.at },
    );
    await expectRestoredAs('day1', { exactSequences: false });
    await expect(
      restoreBackup(
        { dataDir: config.dataDir, databaseUrl: config.databaseUrl, dir: backupsDir, env: {} },
        { to: snapshots.day0!.at },
      ),
    ).rejects.toThrow(/最早的全量备份 \S+-full 是 .* 的数据，无法恢复到更早的/);
  });

  it('refuses a tampered backup, naming it and the file, and leaves the live data as it was', async () => {
    const copy = path.join(scratch, 'tampered');
    await fs.cp(backupsDir, copy, { recursive: true });
    const changes = path.join(copy, backupIds[2]!, 'db', 'changes.jsonl.gz');
    const bytes = await fs.readFile(changes);
    const middle = bytes.length >> 1;
    bytes[middle] = bytes[middle]! ^ 0xff;
    await fs.writeFile(changes, bytes);
    const attempt = restoreBackup({
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
      dir: copy,
      env: {},
    });
    await expect(attempt).rejects.toThrow(
      new RegExp(`备份 ${backupIds[2]} 已损坏：文件 db/changes.jsonl.gz 的校验值不符`),
    );
    await expectRestoredAs('day1', { exactSequences: false });

    const verify = await runCli(['backup', 'verify', '--dir', copy], cliEnv());
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain(`✗ ${backupIds[2]}`);
    expect(verify.stdout).toContain(`备份 ${backupIds[2]} 已损坏：文件 db/changes.jsonl.gz 的校验值不符`);

    // A photo altered inside a backup is caught by verify, and by a restore that needs it.
    const blobCopy = path.join(scratch, 'tampered-blob');
    await fs.cp(backupsDir, blobCopy, { recursive: true });
    const [blob] = (
      await fs.readdir(path.join(blobCopy, backupIds[0]!, 'blobs'), { recursive: true })
    ).filter((p) => /[0-9a-f]{64}$/.test(p));
    await fs.appendFile(path.join(blobCopy, backupIds[0]!, 'blobs', blob!), 'x');
    const blobVerify = await runCli(['backup', 'verify', '--dir', blobCopy, '--json'], cliEnv());
    expect(blobVerify.code).toBe(1);
    expect(JSON.parse(blobVerify.stdout).problems).toContainEqual(
      expect.objectContaining({ backupId: backupIds[0], code: 'blob_checksum' }),
    );
    await expect(
      restoreBackup({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, dir: blobCopy, env: {} }),
    ).rejects.toThrow(
      new RegExp(`备份 ${backupIds[0]} 已损坏：照片/文件 ${path.basename(blob!)} 的内容与校验值不符`),
    );
    await expectRestoredAs('day1', { exactSequences: false });
    const staging = await withClient(inject('databaseUrl'), (client) =>
      client.query(`SELECT datname FROM pg_database WHERE datname LIKE '%\\_rst\\_%'`),
    );
    expect(staging.rowCount).toBe(0);
  });

  it('refuses a chain with a gap or out of order, naming the backup and what is wrong', async () => {
    const gapped = path.join(scratch, 'gapped');
    await fs.cp(backupsDir, gapped, { recursive: true });
    await fs.rm(path.join(gapped, backupIds[2]!), { recursive: true });
    await expect(
      restoreBackup({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, dir: gapped, env: {} }),
    ).rejects.toThrow(
      new RegExp(
        `增量备份 ${backupIds[3]} 是第 3 个增量，但第 2 个增量备份 ${backupIds[2]} 不在目录中：链条断裂`,
      ),
    );
    // A time before the gap needs only the backups before it: that still works.
    await restoreBackup(
      { dataDir: config.dataDir, databaseUrl: config.databaseUrl, dir: gapped, env: {} },
      { to: snapshots.day1!.at },
    );
    await expectRestoredAs('day1', { exactSequences: false });

    // The newest incremental claims a time before its parent (a clock set back, or a forged chain).
    const disordered = path.join(scratch, 'disordered');
    await fs.cp(backupsDir, disordered, { recursive: true });
    const file = path.join(disordered, backupIds[3]!, 'manifest.json');
    const manifest = JSON.parse(await fs.readFile(file, 'utf8')) as Manifest;
    const { checksum: _old, ...rest } = manifest;
    const resealed = sealManifest({ ...rest, snapshot: { ...rest.snapshot, at: snapshots.day1!.at } });
    await fs.writeFile(file, JSON.stringify(resealed));
    const message = new RegExp(
      `时间顺序错误：增量备份 ${backupIds[3]} 的数据时间 .* 不晚于它的上一个备份 ${backupIds[2]}`,
    );
    await expect(
      restoreBackup({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, dir: disordered, env: {} }),
    ).rejects.toThrow(message);
    const verify = await runCli(['backup', 'verify', '--dir', disordered], cliEnv());
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(message);

    // An edited manifest (not resealed) is refused as altered.
    const edited = path.join(scratch, 'edited');
    await fs.cp(backupsDir, edited, { recursive: true });
    const editedFile = path.join(edited, backupIds[3]!, 'manifest.json');
    await fs.writeFile(
      editedFile,
      (await fs.readFile(editedFile, 'utf8')).replace('"incremental"', '"full"'),
    );
    await expect(
      restoreBackup({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, dir: edited, env: {} }),
    ).rejects.toThrow(new RegExp(`备份 ${backupIds[3]} 的清单已被改动`));
    await expectRestoredAs('day1', { exactSequences: false });
  });
});
