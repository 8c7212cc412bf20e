// The inspection report (巡检报告) against a real server, PostgreSQL and Chromium: seeded problems —
// a burst of failed logins from one address, a backup ten days old, a user whose password is his
// user name — come out as findings with severity and advice; the report is stored with its HTML and
// a PDF (checked with poppler), listed in the history, refused to non-admins; sizes are recorded for
// growth; `tessera inspect --out` writes the dated copies and exits 2 on a severe finding.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { sealManifest } from '../../core/ops/backup/manifest.ts';
import type { Manifest } from '../../core/ops/backup/types.ts';
import { FAILED_LOGIN_BURST } from '../../core/ops/inspect/index.ts';
import type { RunningServer } from '../../server/serve.ts';
import { runCli } from '../support/cli.ts';
import { ADMIN_PASSWORD, ApiClient, followTask, startTestServer, type Body } from '../support/harness.ts';

const run = promisify(execFile);

let running: RunningServer;
let admin: ApiClient;
let report: Body;
let reportId = '';

beforeAll(async () => {
  // The burst below must reach the audit log as plain failures: sign-in throttling (its own test,
  // security-auth) would refuse the address and the names part-way, and the clerk's sign-in after it.
  const auth = loadConfig({}).auth;
  running = await startTestServer({ auth: { ...auth, addressMaxFailures: 1000, lockoutFailures: 1000 } });
  admin = new ApiClient(running.url);
  expect((await admin.login('admin', ADMIN_PASSWORD)).status).toBe(200);

  // Someone guessing passwords from one address (unknown names: no account gets locked).
  const guesser = new ApiClient(running.url);
  for (let i = 0; i < FAILED_LOGIN_BURST + 2; i++) {
    expect((await guesser.login(i % 2 ? 'root' : 'administrator', `guess-${i}`)).status).toBe(401);
  }
  // A clerk whose password is his user name.
  expect(
    (
      await admin.request('POST', '/api/users', {
        username: 'wangwei01',
        password: 'wangwei01',
        role: 'clerk',
      })
    ).status,
  ).toBe(201);

  // A full backup, then made to look ten days old (resealed: the chain stays valid).
  const started = await admin.request('POST', '/api/admin/backups', { kind: 'full' });
  expect(started.status).toBe(202);
  const task = await followTask(admin, started.body.task.id, 1200);
  expect(task.status).toBe('succeeded');
  const id = task.result.id as string;
  const file = path.join(running.engine.backups.dir, id, 'manifest.json');
  const manifest = JSON.parse(await fs.readFile(file, 'utf8')) as Manifest;
  const { checksum: _old, ...rest } = manifest;
  const tenDaysAgo = (iso: string) => new Date(new Date(iso).getTime() - 10 * 86_400_000).toISOString();
  await fs.writeFile(
    file,
    JSON.stringify(
      sealManifest({
        ...rest,
        createdAt: tenDaysAgo(rest.createdAt),
        finishedAt: tenDaysAgo(rest.finishedAt),
      }),
    ),
  );

  const inspection = await admin.request('POST', '/api/admin/inspections', {});
  expect(inspection.status).toBe(202);
  const done = await followTask(admin, inspection.body.task.id, 1200);
  expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
  expect(done.result.pdfError).toBeNull();
  reportId = done.result.id;
  const res = await admin.request('GET', `/api/admin/inspections/${reportId}`);
  expect(res.status).toBe(200);
  report = res.body.report;
}, 180_000);

afterAll(async () => {
  await running?.stop();
});

const finding = (pattern: RegExp) => report.findings.find((f: Body) => pattern.test(f.title));

describe('inspection report', () => {
  it('finds the failed-login burst, the old backup and the weak password, most severe first', () => {
    const burst = finding(/登录失败次数异常/);
    expect(burst).toMatchObject({ severity: '严重', section: 'security' });
    expect(burst.detail).toContain('127.0.0.1');
    expect(burst.detail).toMatch(/root|administrator/);
    expect(burst.advice).toBeTruthy();

    const old = finding(/最近一次备份在 10 天/);
    expect(old).toMatchObject({ severity: '严重', section: 'backups' });
    expect(old.advice).toContain('全量备份');

    expect(finding(/账号使用弱密码/)?.detail).toContain('wangwei01');
    // Backups never verified, and the schedule is off in tests.
    expect(finding(/备份从未校验/)?.severity).toBe('提示');
    expect(finding(/计划备份未启用/)?.severity).toBe('警告');

    const order = { 严重: 0, 警告: 1, 提示: 2 } as Record<string, number>;
    const ranks = report.findings.map((f: Body) => order[f.severity]);
    expect(ranks).toEqual([...ranks].sort());
    expect(report.status).toBe('有严重问题');
    expect(report.counts.严重).toBe(report.findings.filter((f: Body) => f.severity === '严重').length);
  });

  it('covers every part: modules, security, request times, database, backups, disk', () => {
    expect(report.sections.map((s: Body) => s.id)).toEqual([
      'modules',
      'security',
      'requests',
      'database',
      'backups',
      'disk',
    ]);
    expect(report.sections.some((s: Body) => s.failed)).toBe(false);
    const fact = (section: string, label: string) =>
      report.sections.find((s: Body) => s.id === section).facts.find((f: Body) => f.label.startsWith(label))
        ?.value;
    // The logins above are in the request log: percentiles are measured, not blank.
    expect(Number(fact('requests', '请求数'))).toBeGreaterThan(FAILED_LOGIN_BURST);
    expect(fact('requests', 'P50 / P95 / P99')).toMatch(/^[\d.]+ ms \/ [\d.]+ ms \/ [\d.]+ ms$/);
    expect(fact('database', '缓存命中率')).toMatch(/%/);
    expect(fact('database', '连接')).toMatch(/^\d+ \/ \d+/);
    expect(fact('backups', '最近一次备份')).toMatch(/10 天/);
    expect(fact('security', '24 小时内登录失败')).toBe(`${FAILED_LOGIN_BURST + 2} 次`);
    const modules = report.sections.find((s: Body) => s.id === 'modules').tables[0];
    expect(modules.rows.map((r: Body) => r[0])).toEqual(
      expect.arrayContaining(['数据库', '数据库结构', '活动插件', '证件渲染 (Chromium)']),
    );
  });

  it('records sizes for growth', async () => {
    const rows = await running.engine.db.sequelize.query<{ relation: string; bytes: string }>(
      'SELECT relation, bytes FROM ops_size_history',
      { type: QueryTypes.SELECT },
    );
    expect(Number(rows.find((r) => r.relation === '')?.bytes)).toBeGreaterThan(1_000_000);
    expect(rows.some((r) => r.relation === 'records')).toBe(true);
  });

  it('stores the report with HTML and PDF in the history', async () => {
    const list = await admin.request('GET', '/api/admin/inspections');
    expect(list.body.inspections[0]).toMatchObject({ id: reportId, status: '有严重问题', pdf: true });
    expect(list.body.tasks[0].status).toBe('succeeded');

    const html = await admin.download(`/api/admin/inspections/${reportId}/report.html`);
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    const text = html.data.toString('utf8');
    expect(text).toContain('巡检报告');
    expect(text).toContain('登录失败次数异常');

    const pdf = await admin.download(`/api/admin/inspections/${reportId}/report.pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-disposition')).toContain('attachment');
    const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'tessera-inspect-')), 'report.pdf');
    await fs.writeFile(file, pdf.data);
    const info = (await run('pdfinfo', [file])).stdout;
    expect(Number(/Pages:\s+(\d+)/.exec(info)?.[1])).toBeGreaterThanOrEqual(2);
    expect(info).toMatch(/Page size:.*\(A4\)/);
    expect(info).toMatch(/Title:\s+Tessera 巡检报告 \d{4}-\d{2}-\d{2}/);
    // Reading order, without line breaks: a title wrapped in its table cell reads as one phrase.
    const words = (await run('pdftotext', ['-raw', file, '-'])).stdout.replace(/\s+/g, '');
    expect(words).toContain('巡检报告');
    expect(words).toContain('登录失败次数异常');
    const fonts = (await run('pdffonts', [file])).stdout;
    expect(fonts).not.toMatch(/Type 3/);
    expect(fonts).toMatch(/NotoSansSC/);
  });

  it('refuses other roles and made-up ids', async () => {
    const clerk = new ApiClient(running.url);
    expect((await clerk.login('wangwei01', 'wangwei01')).status).toBe(200);
    expect((await clerk.request('GET', '/api/admin/inspections')).status).toBe(403);
    expect((await clerk.request('POST', '/api/admin/inspections', {})).status).toBe(403);
    expect((await admin.request('GET', '/api/admin/inspections/..%2F..%2Fsecrets/report.html')).status).toBe(
      404,
    );
    expect((await admin.request('GET', '/api/admin/inspections/20200101T000000000Z')).status).toBe(404);
  });

  it('runs from the command line with --out, exiting 2 on a severe finding', async () => {
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'tessera-inspect-out-'));
    const result = await runCli(['inspect', '--out', out], {
      DATABASE_URL: running.engine.config.databaseUrl,
      TESSERA_DATA_DIR: running.engine.config.dataDir,
      TESSERA_BACKUP_SCHEDULE: 'off',
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toMatch(/\[严重\] 登录失败次数异常/);
    expect(result.stdout).toMatch(/巡检结论：有严重问题/);
    const files = (await fs.readdir(out)).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^巡检报告-\d{8}-\d{6}\.html$/);
    expect(files[1]).toMatch(/^巡检报告-\d{8}-\d{6}\.pdf$/);
    // The second run sees the first one's sizes: growth is computed.
    const list = await admin.request('GET', '/api/admin/inspections');
    expect(list.body.inspections).toHaveLength(2);
  }, 120_000);
});
