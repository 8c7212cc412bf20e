// The import journey (信息采集) in Chromium against the real server and PostgreSQL: a clerk uploads
// a messy office workbook zipped with photos on Chinese Windows (GBK names) for a unit, follows
// the upload and the staging, lands on the batch, sees the right rows and cells flagged, fixes a
// row in the editor, deletes one from the keyboard and one by ticking it (each with a reason),
// commits, and the report reconciles: source rows = committed + deleted + rejected — checked in
// the page, through the API and in the database.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser, ElementHandle, Page } from 'puppeteer-core';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/config.ts';
import type { RunningServer } from '../../server/serve.ts';
import { launchBrowser } from '../support/browser.ts';
import { buildDesigner } from '../support/designer-build.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';
import { COLLECTION, collectionWorkbook, ole2File, pngPhoto, zipEntries } from '../support/import-files.ts';

let running: RunningServer;
let browser: Browser;
let page: Page;
let clerkApi: ApiClient;
let batchId = 0;

const tmp = path.join(repoRoot, 'test', '.tmp');
const screenshots = path.join(tmp, 'screenshots');
const shot = (name: string) =>
  page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });

const WANG = residentId('110101', '19900307', '661'); // male
const LI = residentId('310104', '19851231', '242'); // female
const CHEN = residentId('320102', '19781009', '354'); // female
const ZHAO = residentId('440305', '19920115', '127'); // male
const EXISTING = residentId('510104', '19700101', '013');
const FIXED = residentId('110105', '19910203', '057');
const BAD_CHECK = WANG.slice(0, 17) + (WANG.endsWith('1') ? '2' : '1');
const PASSWORD = 'Passw0rd-123';

/**
 * The sheet as an office sends it: a merged title and a notes line above the header (row 3), a
 * blank row and an instructions line among the data. Data rows: 4 王伟 valid (photo by ID number),
 * 5 李娜 valid (lower-case x, spaced mobile; photo by name), 6 bad check digit, 7 ID typed as a
 * number, 8 same ID as row 5, 10 already declared by this unit, 11 陈静 valid, 12 bad mobile.
 */
async function messyWorkbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('人员申报表');
  ws.mergeCells('A1:H1');
  ws.getCell('A1').value = '2026数博会人员证件申报表';
  ws.getCell('A2').value = '填表单位：甲单位        联系人：张三';
  ws.addRow(['序号', '姓　名*', '性别', '身份证号码（必填）', '工作单位', '手机', '申请证件类型', '备注']);
  const rows: (string | number)[][] = [
    [1, '王伟', '男', WANG, '甲单位办公室', '13800138000', '工作证', ''],
    [2, '李娜', '女', LI.toLowerCase(), '甲单位', '139 0013 9000', '工作证', ''],
    [3, '错号', '男', BAD_CHECK, '甲单位', '13600136000', '工作证', '号码抄错'],
    [4, '数字', '男', 110101199003077000, '甲单位', '13500135000', '工作证', ''],
    [5, '重复', '女', LI, '甲单位', '13400134000', '工作证', ''],
  ];
  for (const r of rows) ws.addRow(r);
  ws.addRow([]); // 9 blank
  ws.addRow([6, '已有', '男', EXISTING, '甲单位', '13300133000', '工作证', '']); // 10
  ws.addRow([7, '陈静', '女', CHEN, '甲单位', '13200132000', '服务证', '']); // 11
  ws.addRow([8, '孙丽', '男', ZHAO, '甲单位', '1380013', '工作证', '']); // 12 bad mobile
  ws.addRow(['注：身份证号码请设置为文本格式；照片以证件号码或姓名命名。']); // 13
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function text(selector: string): Promise<string> {
  return page.$eval(selector, (el) => (el as HTMLElement).innerText);
}

/** Replaces an input's text the way a person does: select all, type over it. */
async function retype(selector: string, value: string): Promise<void> {
  await page.click(selector, { count: 3 });
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  await page.type(selector, value);
}

const row = (n: number) => `#import-grid tr[data-sheet-row="${n}"]`;
const cell = (n: number, field: string) => `${row(n)} [data-field="${field}"]`;

async function rowStatus(n: number): Promise<string | null> {
  return page.$eval(row(n), (el) => el.getAttribute('data-status'));
}

async function waitRowStatus(n: number, status: string): Promise<void> {
  await page.waitForFunction(
    (sel, s) => document.querySelector(sel)?.getAttribute('data-status') === s,
    { timeout: 10_000 },
    row(n),
    status,
  );
}

function currentHash(): string {
  return page.url().replace(/^[^#]*/, '');
}

/** Picks a file in the upload form's file input. */
async function choose(file: string): Promise<void> {
  const input = (await page.$('#import-file')) as ElementHandle<HTMLInputElement>;
  await input.uploadFile(file);
}

beforeAll(async () => {
  const designerDistDir = await buildDesigner();
  running = await startTestServer({ designerDistDir });
  const admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' });
  await admin.request('POST', '/api/units', { code: 'UB', name: '乙单位' });
  const user = await admin.request('POST', '/api/users', {
    username: 'clerk1',
    role: 'clerk',
    password: PASSWORD,
  });
  expect(user.status, JSON.stringify(user.body)).toBeLessThan(300);
  const unitUser = await admin.request('POST', '/api/users', {
    username: 'unit-a',
    role: 'unit',
    unitCode: 'UA',
    password: PASSWORD,
  });
  expect(unitUser.status, JSON.stringify(unitUser.body)).toBeLessThan(300);
  // A person this unit already declared by hand: row 10 of the sheet repeats them.
  const existing = await admin.request('POST', '/api/events/EXPO2026/records', {
    kind: 'person',
    unitCode: 'UA',
    values: {
      name: '已有',
      gender: 'M',
      idType: '1',
      idNumber: EXISTING,
      organization: '甲单位',
      mobile: '13100131000',
      cardType: 'STAFF',
    },
  });
  expect(existing.status, JSON.stringify(existing.body)).toBe(201);
  clerkApi = new ApiClient(running.url);
  await clerkApi.login('clerk1', PASSWORD);

  await mkdir(screenshots, { recursive: true });
  const photo = await pngPhoto(360, 480, { r: 220, g: 226, b: 235 });
  // Zipped on Chinese Windows: GBK names without the UTF-8 flag, a Thumbs.db, one stray photo.
  const zip = zipEntries(
    [
      { name: '甲单位人员申报表.xlsx', data: await messyWorkbook() },
      { name: `照片/${WANG}.png`, data: photo },
      { name: '照片/李娜.png', data: photo },
      { name: '照片/无名氏.png', data: photo },
      { name: '照片/Thumbs.db', data: 'thumbs' },
    ],
    { gbkNames: true },
  );
  await writeFile(path.join(tmp, '甲单位人员申报.zip'), zip);
  await writeFile(path.join(tmp, '旧版名单.xls'), ole2File());

  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1600, height: 1000 });
});

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

describe('a clerk imports a unit’s messy zip, prunes it online and commits it exactly', () => {
  it('signs in and opens 信息采集 from the event', async () => {
    await page.goto(`${running.url}/#/login`);
    await page.waitForSelector('#username');
    await page.type('#username', 'clerk1');
    await page.type('#password', PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForFunction(() => location.hash === '#/events');
    await page.goto(`${running.url}/#/events/EXPO2026`);
    const nav = await page.waitForSelector('[data-nav="imports"]');
    expect(await nav!.evaluate((el) => el.textContent)).toBe('信息采集');
    await nav!.click();
    await page.waitForFunction(() => location.hash === '#/events/EXPO2026/imports');
    await page.waitForSelector('#import-unit option[value="UA"]');
    expect(await page.$eval('[data-template-kind="person"]', (a) => a.getAttribute('href'))).toBe(
      '/api/events/EXPO2026/templates/person',
    );
  });

  it('says clearly why a legacy .xls cannot be read', async () => {
    await page.select('#import-kind', 'person');
    await page.select('#import-unit', 'UA');
    await choose(path.join(tmp, '旧版名单.xls'));
    await page.click('#import-upload');
    const banner = await page.waitForSelector('.upload-error .banner-error', { timeout: 15_000 });
    const message = await banner!.evaluate((el) => el.textContent ?? '');
    expect(message).toContain('.xlsx');
    expect(await page.$('.failed-link')).not.toBeNull();
    expect(currentHash()).toBe('#/events/EXPO2026/imports');
  });

  it('uploads the zip, shows upload and staging progress, and lands on the batch', async () => {
    // Record every progress text shown, however briefly.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { progressSeen: string[] }).progressSeen = seen;
      new MutationObserver(() => {
        document
          .querySelectorAll('#upload-progress, #staging-progress')
          .forEach((el) => seen.push(`${el.id}:${(el as HTMLElement).innerText}`));
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await choose(path.join(tmp, '甲单位人员申报.zip'));
    await page.click('#import-upload');
    await page.waitForFunction(() => /^#\/events\/EXPO2026\/imports\/\d+$/.test(location.hash), {
      timeout: 20_000,
    });
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
    expect(seen.some((s) => s.startsWith('upload-progress:') && s.includes('上传'))).toBe(true);
    expect(seen.some((s) => s.startsWith('staging-progress:'))).toBe(true);
    batchId = Number(currentHash().split('/').pop());
    await page.waitForSelector('[data-batch-status="staged"]');
    await page.waitForSelector(row(12));
  });

  it('shows the counts, every note and the photo review', async () => {
    const count = (k: string) => text(`#batch-counts [data-count="${k}"] b`);
    expect(await count('rows')).toBe('8');
    expect(await count('valid')).toBe('3');
    expect(await count('invalid')).toBe('5');
    expect(await count('skipped')).toBe('4');
    const notes = await page.$$eval('#batch-notes li', (lis) =>
      lis.map((li) => ({
        code: li.getAttribute('data-code'),
        row: li.getAttribute('data-row'),
        text: li.textContent,
      })),
    );
    const skippedRows = notes.filter((n) => n.code?.startsWith('skipped-')).map((n) => n.row);
    expect(skippedRows).toEqual(expect.arrayContaining(['1', '2', '9', '13']));
    expect(notes.some((n) => n.code === 'zip-skipped' && n.text?.includes('Thumbs.db'))).toBe(true);
    // GBK names decoded: the stray photo is named in Chinese, and the two others matched.
    expect(await text('#photo-review [data-photo="matched"]')).toBe('2');
    expect(await page.$('#photo-review [data-file="照片/无名氏.png"]')).not.toBeNull();
    expect(await text(cell(4, 'photo'))).toContain('按证件号码');
    // A photo named by ID number does not show the number in full.
    const review = await text('#photo-review');
    expect(review).not.toContain(WANG);
    expect(review).toContain(`照片/${WANG.slice(0, 6)}********${WANG.slice(-4)}.png`);
    expect(await text(cell(5, 'photo'))).toContain('按姓名');
  });

  it('flags the right rows at the right cells, ID numbers masked', async () => {
    expect(await rowStatus(4)).toBe('valid');
    expect(await rowStatus(5)).toBe('valid');
    expect(await rowStatus(11)).toBe('valid');
    const masked = await text(cell(4, 'idNumber'));
    expect(masked).toBe(`${WANG.slice(0, 6)}********${WANG.slice(-4)}`);
    expect(await page.$eval('#import-grid', (el) => el.textContent)).not.toContain(WANG);

    const flagged = async (n: number, field: string) =>
      page.$eval(cell(n, field), (el) => ({
        error: el.classList.contains('cell-error'),
        title: el.getAttribute('title') ?? '',
      }));
    expect(await flagged(6, 'idNumber')).toMatchObject({ error: true, title: expect.stringMatching(/校验/) });
    expect((await flagged(7, 'idNumber')).error).toBe(true);
    expect(await flagged(8, 'idNumber')).toMatchObject({
      error: true,
      title: expect.stringContaining('第 5 行'),
    });
    expect(await flagged(10, 'idNumber')).toMatchObject({
      error: true,
      title: expect.stringContaining('本单位在本活动中已申报过此人'),
    });
    expect((await flagged(12, 'mobile')).error).toBe(true);
    expect((await flagged(12, 'name')).error).toBe(false);
    // The per-row error text column.
    expect(await text(`${row(8)} .issue-error`)).toContain('第 5 行');

    // Filters and the text search.
    await page.click('[data-filter="errors"]');
    const errorRows = await page.$$eval('#import-grid tbody tr[data-sheet-row]', (trs) =>
      trs.map((tr) => Number(tr.getAttribute('data-sheet-row'))),
    );
    expect(errorRows).toEqual([6, 7, 8, 10, 12]);
    await page.click('[data-filter="all"]');
    await page.type('#row-search', '陈静');
    await page.waitForFunction(
      () => document.querySelectorAll('#import-grid tbody tr[data-sheet-row]').length === 1,
    );
    await retype('#row-search', '');
    await page.waitForFunction(
      () => document.querySelectorAll('#import-grid tbody tr[data-sheet-row]').length === 8,
    );
  });

  it('fixes row 6 in the editor: a duplicate is caught on save, then a good number passes', async () => {
    await page.click(`${row(6)} td:nth-child(3)`);
    await page.waitForSelector('.row-editor[data-sheet-row="6"]');
    // The sheet's wrong number is shown in full where it is wrong, for the person fixing it.
    expect(await text('.row-editor .raw-cells')).toContain(BAD_CHECK);
    expect(await text('#row-editor-issues')).toMatch(/证件号码：.*校验/);

    await retype('#field-idNumber', WANG);
    await page.click('#row-save');
    await page.waitForFunction(() =>
      document.querySelector('#row-editor-notice')?.textContent?.includes('仍有'),
    );
    expect(await text('#row-editor-issues')).toContain('第 4 行');
    expect(await rowStatus(6)).toBe('invalid');

    await retype('#field-idNumber', FIXED);
    await page.click('#row-save');
    await page.waitForFunction(() =>
      document.querySelector('#row-editor-notice')?.textContent?.includes('校验通过'),
    );
    await waitRowStatus(6, 'valid');
    expect(await page.$('#row-editor-issues')).toBeNull();
    expect(await text(`${row(6)} .edited-mark`)).toBe('改');
    await page.waitForFunction(
      () => document.querySelector('#batch-counts [data-count="valid"] b')?.textContent === '4',
    );
  });

  it('deletes row 7 from the keyboard with a reason', async () => {
    // Esc closes the editor and gives the keyboard back to the grid, on row 6.
    await page.focus('#field-name');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('.row-editor'));
    expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('grid');
    expect(
      await page.$eval('#import-grid tr[aria-selected="true"]', (tr) => tr.getAttribute('data-sheet-row')),
    ).toBe('6');
    await page.keyboard.press('ArrowDown');
    expect(
      await page.$eval('#import-grid tr[aria-selected="true"]', (tr) => tr.getAttribute('data-sheet-row')),
    ).toBe('7');
    await page.keyboard.press('Delete');
    await page.waitForSelector('#delete-dialog[open]');
    expect(await text('#delete-dialog')).toContain('第 7 行');
    // No reason, no deletion.
    await page.keyboard.press('Enter');
    await page.waitForSelector('#delete-dialog .field-error');
    expect(await rowStatus(7)).toBe('invalid');
    await page.keyboard.type('号码被Excel改成数字，单位另行补报');
    await page.keyboard.press('Enter');
    await waitRowStatus(7, 'deleted');
    await page.waitForFunction(() => !document.querySelector('#delete-dialog[open]'));
    expect(await text(`${row(7)} td:last-child`)).toContain('clerk1 删除：号码被Excel改成数字');
  });

  it('deletes a ticked row in bulk, with a reason', async () => {
    await page.click(`${row(8)} .row-check`);
    expect(await text('#bulk-delete')).toContain('（1）');
    await page.click('#bulk-delete');
    await page.waitForSelector('#delete-dialog[open]');
    await page.type('#delete-dialog input[type="text"]', '与第5行为同一人，重复申报');
    await page.click('#delete-dialog .btn-confirm');
    await waitRowStatus(8, 'deleted');
    await page.waitForFunction(
      () => document.querySelector('#batch-counts [data-count="deleted"] b')?.textContent === '2',
    );
    expect(await text('#batch-counts [data-count="invalid"] b')).toBe('2');

    // The batch page as the clerk leaves it before committing: row 12 open in the editor.
    await page.click(`${row(12)} td:nth-child(3)`);
    await page.waitForSelector('.row-editor[data-sheet-row="12"]');
    await shot('import-batch');
  });

  it('commits after a confirmation that says what goes in and what is rejected', async () => {
    await page.click('.row-editor .close');
    await page.click('#batch-commit');
    await page.waitForSelector('#commit-dialog[open]');
    expect(await text('#commit-valid')).toBe('4');
    expect(await text('#commit-invalid')).toBe('2');
    await page.click('#commit-dialog .btn-confirm');
    await page.waitForSelector('[data-batch-status="committed"]', { timeout: 20_000 });
    await page.waitForSelector('#import-report');
  });

  it('shows the reconciliation report: rows = committed + deleted + rejected', async () => {
    const total = (k: string) => text(`#report-equation [data-total="${k}"]`);
    expect(await total('sourceRows')).toBe('8');
    expect(await total('committed')).toBe('4');
    expect(await total('deleted')).toBe('2');
    expect(await total('rejected')).toBe('2');
    expect(await text('#report-reconciled')).toContain('已对平');
    const lines = await page.$$eval('#import-report tbody tr[data-outcome]', (trs) =>
      trs.map((tr) => ({
        row: Number(tr.getAttribute('data-sheet-row')),
        outcome: tr.getAttribute('data-outcome'),
        text: (tr as HTMLElement).innerText,
      })),
    );
    const of = (o: string) => lines.filter((l) => l.outcome === o).map((l) => l.row);
    expect(of('committed')).toEqual([4, 5, 6, 11]);
    expect(of('deleted')).toEqual([7, 8]);
    expect(of('rejected')).toEqual([10, 12]);
    expect(of('skipped')).toEqual(expect.arrayContaining([1, 2, 9, 13]));
    for (const d of lines.filter((l) => l.outcome === 'deleted')) expect(d.text).toContain('clerk1');
    expect(lines.find((l) => l.row === 7)!.text).toContain('号码被Excel改成数字');
    expect(lines.find((l) => l.row === 8)!.text).toContain('重复申报');
    expect(lines.find((l) => l.row === 10)!.text).toContain('已申报过此人');
    await shot('import-report');
  });

  it('agrees with the API and the database', async () => {
    const report = await clerkApi.request('GET', `/api/imports/${batchId}/report`);
    expect(report.status).toBe(200);
    const t = report.body.report.totals;
    expect(t).toMatchObject({
      sourceRows: 8,
      committed: 4,
      deleted: 2,
      rejected: 2,
      pending: 0,
      reconciled: true,
    });
    expect(t.sourceRows).toBe(t.committed + t.deleted + t.rejected);
    expect(report.body.report.deleted.map((d: { row: number; by: string }) => [d.row, d.by])).toEqual([
      [7, 'clerk1'],
      [8, 'clerk1'],
    ]);

    const db = running.engine.db.sequelize;
    const statuses = await db.query<{ status: string; n: string }>(
      'SELECT status, count(*) AS n FROM import_rows WHERE batch_id = :id GROUP BY status ORDER BY status',
      { type: QueryTypes.SELECT, replacements: { id: batchId } },
    );
    expect(Object.fromEntries(statuses.map((s) => [s.status, Number(s.n)]))).toEqual({
      committed: 4,
      deleted: 2,
      rejected: 2,
    });
    const records = await db.query<{ row_number: number; name: string; photo: string | null; unit: string }>(
      `SELECT ir.row_number, r.name, r.photo, u.code AS unit
         FROM import_rows ir JOIN records r ON r.id = ir.record_id JOIN units u ON u.id = r.unit_id
        WHERE ir.batch_id = :id ORDER BY ir.row_number`,
      { type: QueryTypes.SELECT, replacements: { id: batchId } },
    );
    expect(records.map((r) => [r.row_number, r.name, r.unit])).toEqual([
      [4, '王伟', 'UA'],
      [5, '李娜', 'UA'],
      [6, '错号', 'UA'],
      [11, '陈静', 'UA'],
    ]);
    // Photos matched in the zip went with their rows.
    expect(records.find((r) => r.row_number === 4)!.photo).toMatch(/^[0-9a-f-]{36}$/);
    expect(records.find((r) => r.row_number === 5)!.photo).toMatch(/^[0-9a-f-]{36}$/);
    // The fixed number is the one stored for row 6.
    const fixed = await clerkApi.request('GET', `/api/events/EXPO2026/records?kind=person&q=${FIXED}`);
    expect(fixed.body.records).toHaveLength(1);
    expect(fixed.body.records[0]).toMatchObject({ name: '错号', unit: { code: 'UA' } });
  });

  it('lists the batch as committed with its counts', async () => {
    await page.click('.back-link');
    await page.waitForSelector(`tr[data-batch-id="${batchId}"]`);
    expect(await page.$eval(`tr[data-batch-id="${batchId}"]`, (tr) => tr.getAttribute('data-status'))).toBe(
      'committed',
    );
    const line = await text(`tr[data-batch-id="${batchId}"]`);
    expect(line).toContain('甲单位人员申报.zip');
    expect(line).toContain('甲单位');
    await shot('import-list');
  });
});

describe('re-reading a workbook from another sheet (重新映射)', () => {
  const batchHash = (n: number) => `#/events/EXPO2026/imports/${n}`;
  const waitForOtherBatch = (old: number) =>
    page.waitForFunction(
      (prefix, oldHash) => location.hash.startsWith(prefix) && location.hash !== oldHash,
      { timeout: 20_000 },
      '#/events/EXPO2026/imports/',
      batchHash(old),
    );
  let first = 0;
  let second = 0;

  it('restages from the sheet named, discarding the batch it came from', async () => {
    await writeFile(path.join(tmp, '数博会人员申报表.xlsx'), await collectionWorkbook());
    await page.select('#import-unit', 'UB');
    await choose(path.join(tmp, '数博会人员申报表.xlsx'));
    await page.click('#import-upload');
    await waitForOtherBatch(batchId);
    first = Number(currentHash().split('/').pop());
    await page.waitForSelector('[data-batch-status="staged"]');
    // The hidden options sheet is named among the notes; the person sheet was chosen by its name.
    expect(await text('#batch-notes')).toContain(COLLECTION.hiddenSheet);
    expect(await text('.batch-meta')).toContain(COLLECTION.sheet);

    await page.click('#batch-restage');
    await page.waitForSelector('#restage-dialog[open]');
    expect(await text('#restage-dialog')).toContain('在线修改和删除不会带到新批次');
    // The file's sheets are offered, the current one marked.
    const options = await page.$$eval('#restage-sheet option', (os) => os.map((o) => o.textContent));
    expect(options).toEqual([`${COLLECTION.sheet}（当前）`, COLLECTION.vehicleSheet]);
    await page.select('#restage-sheet', COLLECTION.vehicleSheet);
    await page.click('#restage-dialog .btn-confirm');
    await waitForOtherBatch(first);
    second = Number(currentHash().split('/').pop());
    await page.waitForSelector('[data-batch-status="staged"]');
    expect(await text('.batch-meta')).toContain(COLLECTION.vehicleSheet);
    // Read as people, the two vehicles lack a name, an ID number …: both rows flagged.
    expect(await text('#batch-counts [data-count="rows"] b')).toBe('2');
    expect(await text('#batch-counts [data-count="invalid"] b')).toBe('2');
    expect(second).toBeGreaterThan(first);
    expect((await clerkApi.request('GET', `/api/imports/${first}`)).body.batch.status).toBe('discarded');
    // The problem rows go back to the unit as a workbook: the sent cells, row number, problems.
    const href = await page.$eval('#export-problems', (a) => a.getAttribute('href'));
    expect(href).toBe(`/api/imports/${second}/rows/export?format=xlsx`);
    const file = await clerkApi.download(href!);
    expect(file.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(file.data as unknown as ArrayBuffer);
    const header = (wb.worksheets[0]!.getRow(1).values as unknown[]).map(String);
    expect(header).toEqual(expect.arrayContaining(['原表行号', '问题说明']));
  });

  it('names the workbook’s sheets when an upload names a sheet that does not exist', async () => {
    await page.click('.back-link');
    await page.waitForSelector('#import-unit option[value="UB"]');
    await page.select('#import-unit', 'UB');
    await choose(path.join(tmp, '数博会人员申报表.xlsx'));
    await page.type('#import-sheet', '不存在的表');
    await page.click('#import-upload');
    const banner = await page.waitForSelector('.upload-error .banner-error', { timeout: 15_000 });
    const message = await banner!.evaluate((el) => el.textContent ?? '');
    expect(message).toContain('不存在的表');
    expect(message).toContain(`可选：${COLLECTION.sheet}、${COLLECTION.vehicleSheet}`);
    await page.click('.failed-link');
    await page.waitForSelector('[data-batch-status="failed"]');
    expect(await text('#batch-failed')).toContain('重新上传');
    expect(await text('#batch-notes .note-red')).toContain('可选');
    expect(await page.$('#batch-commit')).toBeNull();
    await shot('import-failed');
  });
});

describe('a unit user', () => {
  it('has its own unit fixed and sees only its own batches', async () => {
    await page.click('#logout');
    await page.waitForSelector('#username');
    await page.type('#username', 'unit-a');
    await page.type('#password', PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForFunction(() => location.hash === '#/events');
    await page.goto(`${running.url}/#/events/EXPO2026/imports`);
    await page.waitForSelector('tr[data-batch-id]');
    expect(await page.$eval('#import-unit', (el) => el.tagName)).toBe('SPAN');
    expect(await text('#import-unit')).toBe('甲单位');
    const ids = await page.$$eval('tr[data-batch-id]', (trs) =>
      trs.map((tr) => tr.getAttribute('data-batch-id')),
    );
    // The clerk's two batches for 甲单位 (the .xls and the zip), not the three for 乙单位.
    expect(ids.sort()).toEqual(['1', String(batchId)].sort());
  });
});
