// The search (综合查询) and statistics (统计报表) screens in Chromium against the real server and
// PostgreSQL, on a seeded event (core/seed: units, people, vehicles, cards): an operator finds a
// card by its number and opens it from the keyboard, finds people by name (alike ones marked) and
// by ID number (shown masked only); the report page shows the API's numbers, draws its charts,
// narrows to a unit and exports the workbook; a unit user searches only its own records and has
// no report page.
import { mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'puppeteer-core';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/config.ts';
import { seed } from '../../core/seed/seed.ts';
import type { RunningServer } from '../../server/serve.ts';
import { launchBrowser } from '../support/browser.ts';
import { buildDesigner } from '../support/designer-build.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer } from '../support/harness.ts';

let running: RunningServer;
let browser: Browser;
let page: Page;
let operator: ApiClient;

const PASSWORD = 'Passw0rd-123';
const EVENT = 'EXPO2026';
const screenshots = path.join(repoRoot, 'test', '.tmp', 'screenshots');
const shot = (name: string) =>
  page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
const text = (selector: string) => page.$eval(selector, (el) => (el.textContent ?? '').trim());
const sql = <T extends object>(query: string, replacements: Record<string, unknown> = {}) =>
  running.engine.db.sequelize.query<T>(query, { type: QueryTypes.SELECT, replacements });

async function signIn(username: string): Promise<void> {
  if (await page.$('#logout')) await page.click('#logout');
  else await page.goto(`${running.url}/#/login`);
  await page.waitForSelector('#username');
  await page.type('#username', username);
  await page.type('#password', PASSWORD);
  await page.click('button[type="submit"]');
  await page.waitForFunction(() => location.hash === '#/events');
}

async function searchFor(q: string): Promise<void> {
  await page.waitForSelector('#search-input');
  await page.click('#search-input', { count: 3 });
  await page.keyboard.press('Backspace');
  await page.type('#search-input', q);
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    (value) =>
      document.querySelector('#search-kinds') !== null &&
      (document.querySelector('#search-input') as HTMLInputElement).value === value,
    {},
    q,
  );
  await page.waitForFunction(() => !document.body.textContent?.includes('正在查询…'));
}

beforeAll(async () => {
  await mkdir(screenshots, { recursive: true });
  const designerDistDir = await buildDesigner();
  running = await startTestServer({ designerDistDir });
  await seed(running.engine, { event: EVENT, persons: 800, vehicles: 40, seed: 11 });
  const admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  for (const u of [
    { username: 'op', role: 'operator' },
    { username: 'unit-s1', role: 'unit', unitCode: 'S0001' },
  ])
    expect((await admin.request('POST', '/api/users', { ...u, password: PASSWORD })).status).toBe(201);
  operator = new ApiClient(running.url);
  await operator.login('op', PASSWORD);
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1440, height: 900 });
});

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

describe('search and reports in the browser', () => {
  it('finds a card by its number and opens it from the keyboard', async () => {
    await signIn('op');
    const [card] = await sql<{ id: string; card_number: string; record_id: string }>(
      `SELECT id, card_number, record_id FROM cards WHERE status = 'issued' AND card_version = 1 ORDER BY id LIMIT 1`,
    );
    await page.goto(`${running.url}/#/events/${EVENT}/search`);
    const nav = await page.waitForSelector('[data-nav="search"]');
    expect(await nav!.evaluate((el) => el.textContent)).toBe('综合查询');
    expect(await page.$('[data-nav="reports"]')).not.toBeNull();
    // The box has the focus on arrival: type straight away.
    await page.waitForSelector('#search-input');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('search-input');
    await searchFor(card!.card_number.toLowerCase());
    await page.waitForSelector(`tr[data-record-id="${card!.record_id}"]`);
    expect(
      await page.$$eval('#search-kinds .chip', (els) => els.map((e) => e.getAttribute('data-kind'))),
    ).toEqual(['cardNumber']);
    expect(await text(`tr[data-record-id="${card!.record_id}"] .card-status`)).toBe('已发放');
    await page.focus('#search-input');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForFunction((id) => location.hash.endsWith(`/cards/${id}`), {}, card!.id);
  });

  it('finds people by name (alike names marked) and by ID number, shown masked only', async () => {
    const [person] = await sql<{ id: string; name: string; id_number_enc: Buffer; id_number_masked: string }>(
      `SELECT id, name, id_number_enc, id_number_masked FROM records
        WHERE kind = 'person' AND char_length(name) = 3 ORDER BY id LIMIT 1`,
    );
    await page.goto(`${running.url}/#/events/${EVENT}/search`);
    await searchFor(person!.name);
    await page.waitForSelector(`tr[data-record-id="${person!.id}"]`);
    const kinds = await page.$$eval('#search-kinds .chip', (els) =>
      els.map((e) => e.getAttribute('data-kind')),
    );
    expect(kinds[0]).toBe('name');
    expect(await text(`tr[data-record-id="${person!.id}"] .strong`)).toBe(person!.name);
    await shot('search-name');

    // A name one character off still finds the person, marked as alike.
    const typo = person!.name.slice(0, 2) + '燊';
    await searchFor(typo);
    await page.waitForSelector(`tr[data-record-id="${person!.id}"][data-matched-by="nameFuzzy"]`);

    const full = running.engine.sensitive.decrypt(person!.id_number_enc);
    await searchFor(full);
    await page.waitForSelector(`tr[data-record-id="${person!.id}"]`);
    expect(await page.$$eval('tbody tr[data-record-id]', (rows) => rows.length)).toBe(1);
    const body = await page.evaluate(() => document.body.innerText);
    expect(body).toContain(person!.id_number_masked);
    // The full number is only in the box the operator typed it into, never in the results.
    expect(body.split(full).length - 1).toBe(0);
    await shot('search-id');
  });

  it('shows the report with the API’s numbers and charts, narrows to a unit, exports the workbook', async () => {
    const api = (await operator.request('GET', `/api/events/${EVENT}/reports/statistics`)).body;
    await page.goto(`${running.url}/#/events/${EVENT}/reports`);
    await page.waitForSelector('#report-card-types tbody tr[data-card-type="VIP"]');
    const kpis = await text('#report-kpis');
    expect(kpis).toContain(`${api.totals.records.total.toLocaleString('zh-CN')}条记录`);
    expect(kpis).toContain(`${api.totals.cards.issued.toLocaleString('zh-CN')}已发放`);
    // Important types first and marked.
    expect(await page.$eval('#report-card-types tbody tr', (tr) => tr.getAttribute('data-card-type'))).toBe(
      'VIP',
    );
    expect(await page.$eval('#report-card-types tbody tr', (tr) => tr.classList.contains('important'))).toBe(
      true,
    );
    const totalRow = await page.$$eval('#report-card-types tfoot tr[data-row="total"] td', (tds) =>
      tds.map((td) => td.textContent?.trim()),
    );
    expect(totalRow[3]).toBe(api.totals.records.approved.toLocaleString('zh-CN'));
    expect(await page.$$eval('#report-daily tbody tr[data-day]', (rows) => rows.length)).toBe(
      api.daily.length,
    );
    // Charts drew something.
    for (const id of ['chart-daily', 'chart-types', 'chart-zones']) {
      const painted = await page.$eval(`#${id}`, (c) => {
        const canvas = c as HTMLCanvasElement;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let ink = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) ink++;
        return ink;
      });
      expect(painted, id).toBeGreaterThan(1000);
    }
    await shot('reports');

    // Narrow to the biggest unit: every figure is that unit's.
    const unitReport = (await operator.request('GET', `/api/events/${EVENT}/reports/statistics?unit=S0001`))
      .body;
    await page.select('#report-unit', 'S0001');
    await page.waitForFunction(
      (n) => document.querySelector('#report-kpis')?.textContent?.includes(`${n}条记录`),
      {},
      unitReport.totals.records.total.toLocaleString('zh-CN'),
    );
    expect(
      await page.$$eval('tr[data-unit]', (rows) => rows.map((r) => r.getAttribute('data-unit'))),
    ).toEqual(['S0001']);

    const downloads = await mkdtemp(path.join(os.tmpdir(), 'tessera-report-download-'));
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await page.click('#report-export');
    let files: string[] = [];
    for (let i = 0; i < 100 && !files.some((f) => f.endsWith('.xlsx')); i++) {
      await new Promise((r) => setTimeout(r, 100));
      files = await readdir(downloads);
    }
    const file = files.find((f) => f.endsWith('.xlsx'));
    expect(file).toMatch(/^统计报表-EXPO2026-\d{8}\.xlsx$/);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load((await readFile(path.join(downloads, file!))) as unknown as ArrayBuffer);
    expect(book.worksheets.map((w) => w.name)).toEqual(['证件类型汇总', '单位明细', '通行区域', '每日发证']);
    const units = book.getWorksheet('单位明细')!;
    expect(units.getCell('A3').value).toBe('S0001');
    expect(String(units.getCell('A1').value)).toContain('单位 S0001');
    expect(await page.$('#report-export-progress')).toBeNull();
  });

  it('a unit user searches only its own records and has no report page', async () => {
    await signIn('unit-s1');
    await page.goto(`${running.url}/#/events/${EVENT}/search`);
    await page.waitForSelector('[data-nav="search"]');
    expect(await page.$('[data-nav="reports"]')).toBeNull();
    // The commonest surname: other units have such people too.
    const [others] = await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM records r JOIN units u ON u.id = r.unit_id WHERE u.code <> 'S0001' AND r.name LIKE '王%'`,
    );
    expect(others!.n).toBeGreaterThan(0);
    await searchFor('王');
    const units = await page.$$eval('tbody tr[data-record-id]', (rows) =>
      rows.map((r) => r.querySelector('td span[title]')?.getAttribute('title')),
    );
    expect(units.length).toBeGreaterThan(0);
    expect(new Set(units)).toEqual(new Set(['S0001']));
    expect(await text('.page-head .tag')).toContain('仅本单位');
    await shot('search-unit');
  });
});
