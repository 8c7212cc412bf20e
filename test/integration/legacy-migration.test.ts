// Migration from the previous system (core/legacy) against a real PostgreSQL: the dry run writes
// nothing and reports; the real run creates units, records, cards, history and photos; every
// source file reconciles and every checksum is equal; card numbers and counters continue after the
// highest legacy number; a second run creates nothing; a broken mapping names the key.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TesseraConfig } from '../../core/config.ts';
import { createEngine, type Engine } from '../../core/engine.ts';
import { LegacyMigration } from '../../core/legacy/migration.ts';
import { runCli } from '../support/cli.ts';
import { testConfig } from '../support/harness.ts';
import {
  LEGACY_IDS,
  legacyMapping,
  writeLegacyFixture,
  type LegacyFixture,
} from '../support/legacy-fixtures.ts';

let config: TesseraConfig;
let engine: Engine;
let migration: LegacyMigration;
let fixture: LegacyFixture;
let actor: Awaited<ReturnType<Engine['accounts']['commandLineActor']>>;

const count = async (sql: string) =>
  Number((await engine.db.sequelize.query<{ n: string }>(sql, { type: QueryTypes.SELECT }))[0]!.n);
const tableCounts = async () => ({
  units: await count('SELECT count(*) AS n FROM units'),
  records: await count('SELECT count(*) AS n FROM records'),
  cards: await count('SELECT count(*) AS n FROM cards'),
  history: await count('SELECT count(*) AS n FROM card_history'),
  photos: await count('SELECT count(*) AS n FROM photos'),
  counters: await count('SELECT count(*) AS n FROM card_number_counters'),
  items: await count('SELECT count(*) AS n FROM legacy_items'),
  runs: await count('SELECT count(*) AS n FROM legacy_runs'),
});

beforeAll(async () => {
  config = await testConfig();
  engine = await createEngine(config, { role: 'cli', loadPlugins: true });
  actor = await engine.accounts.commandLineActor();
  migration = new LegacyMigration(
    engine.db,
    engine.events,
    engine.records,
    engine.photos,
    engine.sensitive,
    engine.audit,
  );
  fixture = await writeLegacyFixture();
});

afterAll(async () => {
  await engine?.close();
});

describe('migrate-legacy', () => {
  it('dry run: writes nothing, reports what it would create, every row and photo accounted for', async () => {
    const before = await tableCounts();
    const { report, problemRows } = await migration.run(fixture.mappingFile, actor, { dryRun: true });
    expect(await tableCounts()).toEqual(before);
    expect(report.dryRun).toBe(true);
    expect(report.runId).toBeNull();
    const byFile = Object.fromEntries(report.sources.map((s) => [s.file, s]));
    expect(byFile['单位.xlsx']).toMatchObject({
      headerRow: 2,
      rows: 3,
      created: 2,
      existing: 0,
      rejected: 1,
      reconciled: true,
    });
    expect(byFile['人员.xlsx']).toMatchObject({
      sheet: '人员信息',
      headerRow: 3,
      rows: 10,
      created: 7,
      rejected: 3,
      reconciled: true,
    });
    expect(byFile['人员.xlsx']!.skipped.map((s) => s.row)).toEqual([1, 2, 14, 15]);
    expect(byFile['人员-乙单位.csv']).toMatchObject({ rows: 2, created: 1, rejected: 1, reconciled: true });
    expect(byFile['车辆.csv']).toMatchObject({ rows: 2, created: 2, rejected: 0, reconciled: true });
    expect(report.created).toEqual({
      units: 2,
      records: { person: 8, vehicle: 2 },
      cards: 8,
      cardHistory: 8,
      photos: 5,
    });
    const problem = (file: string, row: number) =>
      report.problems.filter((p) => p.file === file && p.row === row);
    expect(problem('单位.xlsx', 5)[0]).toMatchObject({ field: 'code' });
    expect(problem('人员.xlsx', 5)[0]).toMatchObject({ field: 'idNumber' });
    expect(problem('人员.xlsx', 5)[0]!.reason).toContain('存成了数字');
    expect(problem('人员.xlsx', 9)[0]!.reason).toContain('第 4 行');
    expect(problem('人员.xlsx', 10)[0]).toMatchObject({ field: 'status' });
    expect(problem('人员-乙单位.csv', 3)[0]).toMatchObject({ field: 'unit' });
    // ID numbers are masked in the report, in full in the problem-row file for the person fixing them.
    expect(JSON.stringify(report)).not.toContain(LEGACY_IDS.zhang);
    expect(problemRows.find((p) => p.row === 9)!.cells).toContain(LEGACY_IDS.zhang);
    expect(report.duplicates.map((d) => d.kind).sort()).toEqual(['across-units', 'same-unit']);
    expect(report.photos).toMatchObject({ files: 5, matched: 5, orphaned: ['照片/无主照片.jpg'] });
    expect(report.photos.rowsWithoutPhoto.map((r) => r.row).sort()).toEqual([11, 13, 8]);
    expect(report.cardNumbers.nonMatching.map((n) => n.cardNumber)).toEqual(['OLD-8899']);
    expect(report.cardNumbers.numbered.map((n) => n.cardNumber)).toEqual(['EXPO2026-ST-00013']);
    expect(report.cardNumbers.counters).toEqual(
      expect.arrayContaining([
        { cardType: 'VIP', before: null, after: 7 },
        { cardType: 'STAFF', before: null, after: 13 },
        { cardType: 'SERVICE', before: null, after: 20 },
        { cardType: 'VEHICLE', before: null, after: 9 },
      ]),
    );
    expect(report.reconciled).toBe(true);
  });

  it('real run: one transaction; counts reconcile, every checksum equal, cards and counters right', async () => {
    const { report } = await migration.run(fixture.mappingFile, actor);
    expect(report.runId).toBeGreaterThan(0);
    expect(report.sources.every((s) => s.reconciled)).toBe(true);
    expect(report.checksums.records).toEqual({ checked: 10, equal: 10 });
    expect(report.checksums.photos).toEqual({ checked: 5, equal: 5 });
    expect(report.checksums.mismatches).toEqual([]);
    expect(report.reconciled).toBe(true);
    expect(await tableCounts()).toMatchObject({
      units: 2,
      records: 10,
      cards: 8,
      history: 8,
      photos: 5,
      counters: 4,
    });

    const cards = await engine.db.sequelize.query<{
      card_number: string;
      status: string;
      seq: number;
      name: string;
      issued_at: Date | null;
      status_reason: string | null;
    }>(
      `SELECT c.card_number, c.status, c.seq, r.name, c.issued_at, c.status_reason FROM cards c JOIN records r ON r.id = c.record_id ORDER BY c.card_number`,
      { type: QueryTypes.SELECT },
    );
    expect(cards.map((c) => [c.card_number, c.status, c.name])).toEqual([
      ['CL-0009', 'issued', '李师傅'],
      ['EXPO2026-ST-00012', 'lost', '王五'],
      ['EXPO2026-ST-00013', 'printed', '张三'],
      ['OLD-8899', 'revoked', '赵六'],
      ['SV-00005', 'revoked', '无名'],
      ['SV-00020', 'issued', '周十'],
      ['VIP-00003', 'printed', '吴九'],
      ['VIP-00007', 'issued', '张三'],
    ]);
    // Legacy times are Beijing time: 2025/9/1 14:30 is 06:30 UTC; 2025年9月9日 9:00 is 01:00 UTC.
    expect(cards.find((c) => c.card_number === 'VIP-00007')!.issued_at!.toISOString()).toBe(
      '2025-09-02T01:00:00.000Z',
    );
    expect(cards.find((c) => c.card_number === 'SV-00020')!.issued_at!.toISOString()).toBe(
      '2025-09-09T01:00:00.000Z',
    );
    expect(cards.find((c) => c.card_number === 'OLD-8899')!.seq).toBeLessThan(0);
    expect(cards.find((c) => c.card_number === 'SV-00005')!.status_reason).toBe('旧系统作废');
    const history = await engine.db.sequelize.query<{ action: string }>(
      'SELECT DISTINCT action FROM card_history',
      { type: QueryTypes.SELECT },
    );
    expect(history).toEqual([{ action: 'migrate' }]);
    const counters = await engine.db.sequelize.query<{ card_type: string; last_seq: number }>(
      'SELECT card_type, last_seq FROM card_number_counters ORDER BY card_type',
      { type: QueryTypes.SELECT },
    );
    expect(counters).toEqual([
      { card_type: 'SERVICE', last_seq: 20 },
      { card_type: 'STAFF', last_seq: 13 },
      { card_type: 'VEHICLE', last_seq: 9 },
      { card_type: 'VIP', last_seq: 7 },
    ]);

    // The ID number is stored encrypted and found by its hash; the full-width one normalised.
    const wang = await engine.db.models.EventRecord.findOne({ where: { name: '王五' } });
    expect(engine.sensitive.decrypt(wang!.idNumberEnc!)).toBe(LEGACY_IDS.wang);
    expect(wang!.mobile).toBe('13800000003');
    // Both units' 张三 carry the photo from the folder; the original kept untouched in the blob store.
    const zhangs = await engine.db.models.EventRecord.findAll({ where: { name: '张三' } });
    expect(zhangs).toHaveLength(2);
    expect(zhangs.every((z) => z.photo)).toBe(true);
    const [item] = await engine.db.sequelize.query<{ photo_original_sha256: string; photo_file: string }>(
      `SELECT photo_original_sha256, photo_file FROM legacy_items WHERE legacy_key = 'P001'`,
      { type: QueryTypes.SELECT },
    );
    const source = await readFile(path.join(fixture.dir, item!.photo_file));
    expect(await engine.photos.blobs.get(item!.photo_original_sha256)).toEqual(source);
    const units = await engine.db.models.Unit.findAll({ order: [['code', 'ASC']] });
    expect(units.map((u) => [u.code, u.name, u.contactPhone])).toEqual([
      ['OLD-A', '甲单位', '13900000001'],
      ['OLD-B', '乙单位', '0571-87654321'],
    ]);
  });

  it('a second run of the same exports creates nothing and still reconciles', async () => {
    const before = await tableCounts();
    const { report } = await migration.run(fixture.mappingFile, actor);
    const after = await tableCounts();
    expect({ ...after, runs: 0 }).toEqual({ ...before, runs: 0 });
    expect(after.runs).toBe(before.runs + 1);
    expect(report.created).toMatchObject({ units: 0, records: {}, cards: 0, photos: 0 });
    const persons = report.sources.find((s) => s.file === '人员.xlsx')!;
    expect(persons).toMatchObject({ created: 0, existing: 7, rejected: 3, reconciled: true });
    expect(report.checksums.records).toEqual({ checked: 10, equal: 10 });
    expect(report.checksums.photos).toEqual({ checked: 5, equal: 5 });
    expect(report.changedSinceMigrated).toEqual([]);
    expect(report.reconciled).toBe(true);
  });

  it('a tampered record fails its checksum', async () => {
    await engine.db.sequelize.query(`UPDATE records SET mobile = '13811112222' WHERE name = '孙八'`);
    const { report } = await migration.run(fixture.mappingFile, actor, { dryRun: true });
    expect(report.checksums.mismatches).toEqual([
      expect.objectContaining({ file: '人员.xlsx', row: 11, what: 'record' }),
    ]);
    expect(report.reconciled).toBe(false);
    await engine.db.sequelize.query(`UPDATE records SET mobile = '13800000008' WHERE name = '孙八'`);
  });

  it('a broken mapping file gets a clear error naming the key', async () => {
    const broken = legacyMapping();
    broken.cardTypes = { 贵宾证: 'NOPE' };
    (broken.statuses as Record<string, unknown>)['挂失'] = { record: 'approved', card: 'gone' };
    delete (broken as { timeZone?: string }).timeZone;
    const file = path.join(fixture.dir, 'broken.json');
    await writeFile(file, JSON.stringify(broken));
    const error = await migration.run(file, actor, { dryRun: true }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('缺少必需的属性 "timeZone"');
    expect((error as Error).message).toContain('statuses.挂失.card');
    const semantic = legacyMapping();
    semantic.cardTypes = { 贵宾证: 'NOPE' };
    await writeFile(file, JSON.stringify(semantic));
    const second = await migration.run(file, actor, { dryRun: true }).catch((e: Error) => e);
    expect((second as Error).message).toContain('cardTypes.贵宾证');
    expect((second as Error).message).toContain('没有证件类型 "NOPE"');
  });
});

describe('tessera migrate-legacy (CLI)', () => {
  it('dry run then real run from the shell, report files written', async () => {
    const cliConfig = await testConfig();
    const env = { DATABASE_URL: cliConfig.databaseUrl, TESSERA_DATA_DIR: cliConfig.dataDir };
    const cliFixture = await writeLegacyFixture();
    const reportDir = path.join(cliFixture.dir, 'report');
    const dry = await runCli(
      ['migrate-legacy', '--mapping', cliFixture.mappingFile, '--dry-run', '--report', reportDir],
      env,
    );
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('试运行');
    expect(dry.stderr).toContain('校验');
    const md = await readFile(path.join(reportDir, 'report.md'), 'utf8');
    expect(md).toContain('试运行');
    expect(md).toContain('人员.xlsx');
    const csv = await readFile(path.join(reportDir, '问题行.csv'), 'utf8');
    expect(csv).toContain('状态“待定”不在映射文件的 statuses 对照中');
    const real = await runCli(
      ['migrate-legacy', '--mapping', cliFixture.mappingFile, '--report', reportDir, '--json'],
      env,
    );
    expect(real.code, real.stderr).toBe(0);
    const report = JSON.parse(real.stdout);
    expect(report.reconciled).toBe(true);
    expect(report.created.records).toEqual({ person: 8, vehicle: 2 });
    const broken = await runCli(['migrate-legacy', '--mapping', path.join(cliFixture.dir, 'nope.json')], env);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toContain('文件不存在');
  });
});
