// 重新部署演练, end to end: a realistic office (seeded units, people, vehicles and cards in every
// state, plus records with photos entered through the API), a full backup, more work, an
// incremental; then `tessera redeploy-drill` restores the chain into a fresh data folder on a fresh
// embedded PostgreSQL, starts the server and checks it. Afterwards the test starts the restored
// system itself and compares a sample with what the original served: fields, photo bytes, cards.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TesseraConfig } from '../../core/config.ts';
import { startServer, type RunningServer } from '../../server/serve.ts';
import type { DrillReport } from '../../server/redeploy-drill.ts';
import { runCli } from '../support/cli.ts';
import { ADMIN_PASSWORD, ApiClient, followTask, testConfig, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';

const EVENT = 'EXPO2026';
let tmp: string;
let source: RunningServer | undefined;
let restored: RunningServer | undefined;
let backups: string;
let drillData: string;
let report: DrillReport;
let config: TesseraConfig;

/** What the original system served for one record: the API's record, photo hash and card states. */
interface Original {
  id: number;
  record: Body;
  idNumber: string | null;
  photoSha256: string | null;
  cards: string[];
}
const originals: Original[] = [];

async function snapshotOf(client: ApiClient, id: number): Promise<Original> {
  const record = (await client.request('GET', `/api/events/${EVENT}/records/${id}`)).body.record;
  const full = await client.request('GET', `/api/events/${EVENT}/records/${id}/id-number`);
  const cards = (await client.request('GET', `/api/events/${EVENT}/records/${id}/cards`)).body
    .cards as Body[];
  let photoSha256: string | null = null;
  if (record.values?.photo) {
    const image = await client.download(`/api/photos/${record.values.photo}`);
    photoSha256 = createHash('sha256').update(image.data).digest('hex');
  }
  return {
    id,
    record,
    idNumber: full.status === 200 ? full.body.idNumber : null,
    photoSha256,
    cards: cards.map((c) => `${c.cardNumber}#${c.cardVersion}:${c.status}`).sort(),
  };
}

async function backup(client: ApiClient, kind: 'full' | 'incremental'): Promise<void> {
  const started = await client.request('POST', '/api/admin/backups', { kind });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  const task = await followTask(client, started.body.task.id);
  expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
}

async function photoOf(client: ApiClient, colour: string): Promise<string> {
  const data = await sharp({ create: { width: 600, height: 800, channels: 3, background: colour } })
    .jpeg()
    .toBuffer();
  const uploaded = await client.upload(`/api/events/${EVENT}/photos`, {
    file: { fileName: 'p.jpg', data, type: 'image/jpeg' },
  });
  expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
  return uploaded.body.photo.id;
}

async function personWithPhoto(
  client: ApiClient,
  name: string,
  idNumber: string,
  colour: string,
): Promise<number> {
  const created = await client.request('POST', `/api/events/${EVENT}/records`, {
    kind: 'person',
    unitCode: 'DRILL',
    values: {
      name,
      gender: 'M',
      birthDate: `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`,
      idType: '1',
      idNumber,
      organization: '演练单位',
      mobile: '13800138000',
      cardType: 'STAFF',
      photo: await photoOf(client, colour),
    },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.record.id;
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tessera-drill-test-'));
  // As root the embedded cluster runs as `postgres`, which must reach the new data folder inside.
  await fs.chmod(tmp, 0o755);
  backups = path.join(tmp, 'backups');
  drillData = path.join(tmp, 'new-server-data');
  config = await testConfig();
  config.backup = { ...config.backup, dir: backups };
  source = await startServer(config, () => undefined);
  const env = { DATABASE_URL: config.databaseUrl!, TESSERA_DATA_DIR: config.dataDir };
  const seeded = await runCli(
    ['seed', '--persons', '60', '--vehicles', '10', '--units', '3', '--seed', '7', '--event', 'demo-expo'],
    env,
  );
  expect(seeded.code, seeded.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await source?.stop();
  await restored?.stop();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('redeployment drill', () => {
  it('builds the source office: full backup, more work, incremental', async () => {
    const admin = new ApiClient(source!.url);
    expect((await admin.login('admin', ADMIN_PASSWORD)).status).toBe(200);
    expect((await admin.request('POST', '/api/units', { code: 'DRILL', name: '演练单位' })).status).toBe(201);
    const first = await personWithPhoto(admin, '赵演练', residentId('110101', '19880412', '173'), '#3366aa');
    await backup(admin, 'full');

    // After the full: a second person with a photo, cards issued and revoked, one record edited.
    const second = await personWithPhoto(admin, '钱恢复', residentId('310104', '19920115', '351'), '#aa3366');
    const printed = (await admin.request('GET', `/api/events/${EVENT}/cards?status=printed&limit=5`)).body
      .cards;
    expect(printed.length).toBeGreaterThanOrEqual(2);
    const issue = await admin.request('POST', `/api/events/${EVENT}/cards/${printed[0].id}/issue`, {
      issuedTo: '本人',
    });
    expect(issue.status, JSON.stringify(issue.body)).toBe(200);
    const revoke = await admin.request('POST', `/api/events/${EVENT}/cards/${printed[1].id}/revoke`, {
      reason: '演练：人员取消参会',
    });
    expect(revoke.status, JSON.stringify(revoke.body)).toBe(200);
    const rec = (await admin.request('GET', `/api/events/${EVENT}/records/${first}`)).body.record;
    const edited = await admin.request('PUT', `/api/events/${EVENT}/records/${first}`, {
      version: rec.version,
      values: { ...rec.values, organization: '演练单位（改名后）' },
    });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    await backup(admin, 'incremental');

    // The originals, as the office's API served them at the incremental.
    const carded = [printed[0].recordId, printed[1].recordId, printed[2]?.recordId].filter(Boolean);
    const states = (await admin.request('GET', `/api/events/${EVENT}/cards?limit=200`)).body.cards as Body[];
    const others = [...new Set(states.filter((c) => c.status !== 'printed').map((c) => c.recordId))].slice(
      0,
      5,
    );
    for (const id of new Set([first, second, ...carded, ...others]))
      originals.push(await snapshotOf(admin, id));
    expect(
      new Set(originals.flatMap((o) => o.cards.map((c) => c.split(':')[1]))).size,
    ).toBeGreaterThanOrEqual(3);

    await source!.stop();
    source = undefined;
  });

  it('tessera redeploy-drill restores the chain on a fresh embedded PostgreSQL and finds everything back', async () => {
    const started = Date.now();
    const cli = await runCli(
      ['redeploy-drill', '--backups', backups, '--data-dir', drillData, '--keep', '--json'],
      // The production environment's database must not matter: the drill never uses it.
      { DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:1/production', TESSERA_PG_PORT: '1' },
    );
    expect(cli.code, cli.stderr + cli.stdout).toBe(0);
    report = JSON.parse(cli.stdout) as DrillReport;
    console.log(
      `redeploy drill: ${report.timings.total} ms in the CLI, ${Date.now() - started} ms with start-up`,
    );
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    expect(report.restored).toHaveLength(2);
    expect(report.counts.expected).toEqual(report.counts.actual);
    const counts = report.counts.actual;
    expect(counts.records['person/approved']).toBeGreaterThan(0);
    expect(counts.records['vehicle/approved'] ?? 0).toBeGreaterThan(0);
    expect(counts.cards.issued).toBeGreaterThan(0);
    expect(counts.cards.revoked).toBeGreaterThan(0);
    expect(counts.photos).toBe(2);
    expect(counts.units).toBe(4);
    const checked = report.samples.flatMap((s) => s.checked);
    for (const what of ['fields', 'id-number', 'photo', 'cards']) expect(checked).toContain(what);
    expect(checked.filter((c) => c === 'photo')).toHaveLength(2);
  });

  it('the restored system serves every sampled record as the original did', async () => {
    restored = await startServer(
      {
        ...config,
        dataDir: drillData,
        databaseUrl: undefined,
        adminPassword: undefined,
        backup: { ...config.backup, dir: undefined },
      },
      () => undefined,
    );
    const admin = new ApiClient(restored.url);
    expect((await admin.login('admin', ADMIN_PASSWORD)).status).toBe(200);
    for (const original of originals) {
      const now = await snapshotOf(admin, original.id);
      expect(now.record, `record ${original.id}`).toEqual(original.record);
      expect(now.idNumber).toBe(original.idNumber);
      expect(now.photoSha256).toBe(original.photoSha256);
      expect(now.cards).toEqual(original.cards);
    }
    expect(originals.filter((o) => o.photoSha256)).toHaveLength(2);
    expect(originals.find((o) => o.record.values?.organization === '演练单位（改名后）')).toBeTruthy();
  });

  it('refuses a data folder that is not empty, and a backup chain with a damaged part', async () => {
    const busy = await runCli(['redeploy-drill', '--backups', backups, '--data-dir', drillData]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(`演练的数据目录 ${drillData} 不是空目录`);

    const [full] = (await fs.readdir(backups)).filter((n) => n.endsWith('-full'));
    const part = path.join(backups, full!, 'blobs.tsv.gz');
    await fs.appendFile(part, 'x');
    const damaged = await runCli(['redeploy-drill', '--backups', backups]);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toContain('校验未通过');
  });
});
