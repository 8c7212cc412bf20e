// The manual's screenshots (docs/manual/images/*.png), taken on today's screens so they never go
// stale: one task per role is walked in Chromium on a seeded server — the admin's card types, a
// unit uploading a zip of sheet + photos and submitting the records for review, the clerk's batch
// with its flagged rows (one an ID number Excel turned into 1.1E+17) committed, the reviewer's
// batch with the unit's context, the designer's editor, the operator's print dialog and a card,
// the admin's backups — and on the way every button or label the manual names in that task is
// checked on the screen. Last, the top bar's 帮助 link opens the manual at the section for the
// screen. Pictures are 1280×800 and squeezed to a palette PNG, so the set stays small.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, ElementHandle, Page } from 'puppeteer-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/config.ts';
import { MANUAL_DIR } from '../../core/manual/index.ts';
import type { RunningServer } from '../../server/serve.ts';
import { launchBrowser, signInThroughPage } from '../support/browser.ts';
import { buildDesigner } from '../support/designer-build.ts';
import { ADMIN_PASSWORD, ApiClient, followTask, startTestServer } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';
import { simpleWorkbook, zipEntries } from '../support/import-files.ts';
import { portraitJpeg } from '../support/render-fixtures.ts';

const EVENT = 'EXPO2026';
const PASSWORD = 'Passw0rd-123';
const IMAGES = path.join(MANUAL_DIR, 'images');
const scratch = path.join(repoRoot, 'test', '.tmp', 'screenshots');

let running: RunningServer;
let browser: Browser;
let page: Page;
let admin: ApiClient;
let reviewer: ApiClient;
let importBatch = 0;
let reviewBatch = 0;

/** People of the collection sheet: valid ones get a photo in the zip; two rows carry the classic mistakes. */
const PEOPLE = [
  {
    name: '王建国',
    gender: '男',
    id: residentId('110101', '19780512', '031'),
    type: '贵宾证',
    position: '局长',
  },
  {
    name: '李秀英',
    gender: '女',
    id: residentId('110102', '19850307', '022'),
    type: '贵宾证',
    position: '副局长',
  },
  {
    name: '张伟',
    gender: '男',
    id: residentId('110105', '19900615', '013'),
    type: '工作证',
    position: '科员',
  },
  {
    name: '刘洋',
    gender: '男',
    id: residentId('110106', '19921120', '055'),
    type: '工作证',
    position: '科员',
  },
  {
    name: '陈静',
    gender: '女',
    id: residentId('110108', '19880203', '046'),
    type: '工作证',
    position: '主任科员',
  },
  {
    name: '赵敏',
    gender: '女',
    id: residentId('110101', '19950918', '068'),
    type: '工作证',
    position: '科员',
  },
];

/** Saves the viewport as docs/manual/images/<name>.png, as a small palette PNG. */
async function shot(name: string): Promise<void> {
  const raw = await page.screenshot({ type: 'png' });
  const png = await sharp(raw).png({ palette: true, quality: 90, effort: 7, compressionLevel: 9 }).toBuffer();
  await writeFile(path.join(IMAGES, `${name}.png`), png);
}

async function text(selector: string): Promise<string> {
  return page.$eval(selector, (el) => (el as HTMLElement).innerText.trim());
}

/**
 * The page shows a button or link with this label (what a step of the manual names): exactly, or
 * followed by a count (“有错误 2”).
 */
async function expectLabel(label: string): Promise<void> {
  const found = await page.$$eval(
    'button, a, label, [role="tab"]',
    (els, want) =>
      els.some((el) => {
        const t = (el as HTMLElement).innerText.replace(/\s+/g, ' ').trim();
        return t === want || (t.startsWith(`${want} `) && /^\d+$/.test(t.slice(want.length + 1)));
      }),
    label,
  );
  expect(found, `「${label}」 on ${page.url()}`).toBe(true);
}

async function signIn(username: string, password = PASSWORD): Promise<void> {
  await signInThroughPage(page, running.url, username, password);
}

async function open(hashPath: string, selector: string): Promise<void> {
  await page.goto(`${running.url}/#${hashPath}`);
  await page.waitForSelector(selector, { timeout: 15_000 });
}

async function collectionZip(): Promise<string> {
  const rows: Array<Array<string | number>> = [
    ['2026数博会人员证件申报表'],
    ['姓名', '性别', '身份证件类型', '证件号码', '工作单位', '职务', '手机号码', '申请证件'],
    ...PEOPLE.map((p, i) => [
      p.name,
      p.gender,
      '居民身份证',
      p.id,
      '滨江市会展办',
      p.position,
      `1391000${1000 + i}`,
      p.type,
    ]),
    // Typed into a General cell: Excel kept 15 digits (shown as 1.10101E+17).
    [
      '孙丽',
      '女',
      '居民身份证',
      Number('110101199204150027'),
      '滨江市会展办',
      '科员',
      '13910009001',
      '工作证',
    ],
    [
      '周强',
      '男',
      '居民身份证',
      residentId('110101', '19870101', '079'),
      '滨江市会展办',
      '科员',
      '',
      '工作证',
    ],
  ];
  const sheet = await simpleWorkbook(rows, '人员申报');
  const photos = await Promise.all(
    PEOPLE.map(async (p, i) => ({
      name: `照片/${p.id}.jpg`,
      data: await portraitJpeg(i),
    })),
  );
  const file = path.join(os.tmpdir(), `滨江市会展办-人员申报-${process.pid}.zip`);
  await writeFile(file, zipEntries([{ name: '人员申报表.xlsx', data: sheet }, ...photos]));
  return file;
}

beforeAll(async () => {
  const designerDistDir = await buildDesigner();
  running = await startTestServer({ designerDistDir });
  admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  const unit = await admin.request('POST', '/api/units', { code: 'UA', name: '滨江市会展办' });
  expect(unit.status, JSON.stringify(unit.body)).toBeLessThan(300);
  for (const u of [
    { username: 'unit-a', role: 'unit', unitCode: 'UA', displayName: '会展办 王芳' },
    { username: 'clerk1', role: 'clerk', displayName: '采集员 刘敏' },
    { username: 'rev1', role: 'reviewer', displayName: '审核员 陈刚' },
    { username: 'des1', role: 'designer', displayName: '设计员 黄蕾' },
    { username: 'op1', role: 'operator', displayName: '制证员 吴磊' },
  ]) {
    const res = await admin.request('POST', '/api/users', { ...u, password: PASSWORD });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  }
  reviewer = new ApiClient(running.url);
  await reviewer.login('rev1', PASSWORD);
  // The backups page shows one chain rather than an empty table.
  const backup = await admin.request('POST', '/api/admin/backups', { kind: 'full' });
  expect(backup.status, JSON.stringify(backup.body)).toBeLessThan(300);
  expect((await followTask(admin, backup.body.task.id)).status).toBe('succeeded');

  await mkdir(IMAGES, { recursive: true });
  await mkdir(scratch, { recursive: true });
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
});

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

describe('one task per role, as the manual tells it', () => {
  it('admin: 活动设置 › 证件类型', async () => {
    await signIn('admin', ADMIN_PASSWORD);
    await open(`/events/${EVENT}/setup/card-types`, '#card-type-table tbody tr');
    for (const label of ['+ 新增证件类型', '复制', '保存草稿', '发布新版本', '证件类型', '申报单位与配额'])
      await expectLabel(label);
    await page.click('#card-type-table tbody tr:nth-child(2) td:nth-child(3)');
    await page.waitForSelector('[data-card-type-editor="STAFF"]');
    await shot('admin-card-types');
  });

  it('unit: 信息采集 — template links, choose the zip, 上传并校验', async () => {
    await signIn('unit-a');
    await open(`/events/${EVENT}/imports`, '#import-file');
    await expectLabel('人员采集表.xlsx');
    await expectLabel('选择文件…');
    expect(await text('#import-unit')).toBe('滨江市会展办');
    const input = (await page.$('#import-file')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(await collectionZip());
    await page.waitForFunction(
      () => !(document.querySelector('#import-upload') as HTMLButtonElement).disabled,
    );
    expect(await text('#import-upload')).toBe('上传并校验');
    await shot('unit-imports');
    await page.click('#import-upload');
    await page.waitForFunction(() => /#\/events\/EXPO2026\/imports\/\d+$/.test(location.hash), {
      timeout: 30_000,
    });
    importBatch = Number(page.url().split('/').pop());
    await page.waitForSelector('[data-batch-status="staged"]', { timeout: 30_000 });
  });

  it('clerk: the batch with its flagged rows, 提交入库 and the reconciliation', async () => {
    await signIn('clerk1');
    await open(`/events/${EVENT}/imports/${importBatch}`, '[data-batch-status="staged"]');
    await page.waitForSelector('[data-count="invalid"]');
    expect(await text('[data-count="valid"] b')).toBe(String(PEOPLE.length));
    expect(await text('[data-count="invalid"] b')).toBe('2');
    for (const label of ['提交入库', '重新映射', '有错误', '暂存数据', '对账报告', 'Excel'])
      await expectLabel(label);
    // The ID number Excel stored as a number is named as such (the FAQ quotes this message).
    expect(await page.content()).toContain('证件号码在 Excel 中被存成了数字，后几位已丢失');
    await shot('clerk-batch');
    await page.click('#batch-commit');
    await page.waitForSelector('#commit-dialog[open]');
    expect(await text('#commit-valid')).toBe(String(PEOPLE.length));
    await expectLabel('确认提交');
    await page.click('#commit-dialog .btn-confirm');
    await page.waitForSelector('[data-batch-status="committed"]', { timeout: 30_000 });
    await page.waitForSelector('#report-reconciled');
    expect(await text('#report-reconciled')).toContain('已对平');
  });

  it('unit: 人员信息 › 提交审核', async () => {
    await signIn('unit-a');
    await open(`/events/${EVENT}/records/person`, '#submit-review');
    expect(await text('#submit-review')).toBe('提交审核');
    await expectLabel('新增');
    await page.click('#submit-review');
    await page.waitForSelector('#submit-dialog[open]');
    await page.waitForFunction(() => document.querySelector('#submit-summary b') !== null);
    expect(await text('#submit-summary')).toContain(`全部 ${PEOPLE.length} 条草稿`);
    await page.type('#submit-note', '第一批');
    await shot('unit-submit');
    await page.click('#submit-dialog .btn-confirm');
    const link = await page.waitForSelector('#submit-notice [data-review-batch]');
    reviewBatch = Number(await link!.evaluate((a) => a.getAttribute('data-review-batch')));
    expect(reviewBatch).toBeGreaterThan(0);
  });

  it('reviewer: the batch with the unit’s declaration context', async () => {
    await signIn('rev1');
    await open(`/events/${EVENT}/review/${reviewBatch}`, '#review-context');
    for (const label of ['全部通过', '全部不通过', '全部退回修改']) await expectLabel(label);
    expect(await text('#review-context')).toContain('单位申报情况');
    expect(await text('#review-context')).toContain('本批后');
    await page.click('tr[data-record-id] td:nth-child(4)');
    await page.waitForSelector('#review-detail');
    await shot('reviewer-batch');
    // The decision itself through the API: the journey test covers the buttons.
    const screen = await reviewer.request('GET', `/api/review-batches/${reviewBatch}`);
    const decided = await reviewer.request('POST', `/api/review-batches/${reviewBatch}/decisions`, {
      decision: 'approve',
      all: true,
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expect(screen.body.records.length).toBe(PEOPLE.length);
  });

  it('designer: the card designer', async () => {
    await signIn('des1');
    await open(`/events/${EVENT}/layouts/vip`, '#layout-stage');
    for (const label of ['保存', '发布', '源码', '适合', '校样 PDF', '文字', '二维码'])
      await expectLabel(label);
    await page.waitForSelector('#preview-image', { timeout: 20_000 });
    await page.waitForFunction(
      () => {
        const img = document.querySelector<HTMLImageElement>('#preview-image');
        return !!img && img.complete && img.naturalWidth > 0 && !img.classList.contains('stale');
      },
      { timeout: 20_000 },
    );
    await shot('designer-editor');
  });

  it('operator: 证件制作 — tick, 制作所选, the print options; then a card', async () => {
    await signIn('op1');
    await open(`/events/${EVENT}/production`, '[role="tab"][data-card-type="STAFF"]');
    // The tab loads its records afresh: rows still on screen from before would be replaced under the clicks.
    await Promise.all([
      page.waitForNetworkIdle({ idleTime: 300 }),
      page.click('[role="tab"][data-card-type="STAFF"]'),
    ]);
    await page.waitForSelector('tr[data-record-id] .row-check');
    const checks = await page.$$('tr[data-record-id] .row-check');
    for (const c of checks.slice(0, 3)) await c.click();
    expect(await text('#print-selected')).toBe('制作所选（3）');
    await page.click('#print-selected');
    await page.waitForSelector('#print-dialog[open]');
    for (const label of ['单张', 'A4 拼版', 'A3 拼版', '打印背面', '裁切线']) await expectLabel(label);
    await page.click('#print-dialog [data-sheet="A4"]');
    await shot('operator-production');
    await page.click('#print-dialog .btn-confirm');
    await page.waitForSelector('tr[data-job-id][data-status="succeeded"]', { timeout: 45_000 });

    await open(`/events/${EVENT}/cards`, 'tr[data-card-id]');
    await page.click('tr[data-card-id] td:nth-child(3)');
    await page.waitForSelector('#card-actions');
    for (const label of ['发放', '挂失', '损坏', '注销', '补制']) {
      const found = await page.$$eval(
        '#card-actions button',
        (els, want) => els.some((el) => (el as HTMLElement).innerText.includes(want)),
        label,
      );
      expect(found, label).toBe(true);
    }
    await shot('operator-card');
  });

  it('admin: 系统备份', async () => {
    await signIn('admin', ADMIN_PASSWORD);
    await open('/admin/backups', '#restore-help');
    for (const label of ['立即全量备份', '增量备份', '校验全部备份']) await expectLabel(label);
    await page.waitForFunction(() => document.body.innerText.includes('可用'));
    await shot('ops-backups');
  });
});

describe('帮助 opens the manual at the section for the screen', () => {
  it('from 系统备份 to 运维指南 › 备份, with the picture just taken', async () => {
    await page.click('#help-link');
    await page.waitForFunction(() => location.hash === '#/help/operations/backup');
    await page.waitForSelector('#help-content [id="backup"]');
    const img = await page.waitForSelector('#help-content img[src="/api/help/images/ops-backups.png"]');
    await page.waitForFunction((el) => (el as HTMLImageElement).naturalWidth > 0, {}, img);
    expect(await text('#help-toc li.current > a')).toBe('运维指南');
    await page.screenshot({ path: path.join(scratch, 'help-page.png') });
    // The section is scrolled into view: its heading sits near the top of the content pane.
    const top = await page.$eval('#help-content [id="backup"]', (h) => {
      const pane = document.querySelector('#help-content')!.getBoundingClientRect();
      return h.getBoundingClientRect().top - pane.top;
    });
    expect(top).toBeLessThan(60);
  });

  it('search finds the FAQ about GBK names and opens it', async () => {
    await page.type('#help-search', '乱码');
    await page.waitForSelector('#help-hits .hit');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash === '#/help/faq/zip-gbk');
    await page.waitForSelector('#help-content [data-help-page="faq"], #help-content[data-help-page="faq"]');
    expect(await text('#help-content [id="zip-gbk"]')).toContain('GBK');
  });
});
