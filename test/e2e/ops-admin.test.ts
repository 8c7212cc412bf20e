// The admin's operations pages in Chromium against the real server and PostgreSQL: 系统备份 runs a
// full backup with progress and lists it; 巡检报告 runs an inspection with progress and shows the
// findings (a failed-login burst seeded through the API), the HTML report opens and the PDF is
// offered; 运行日志 filters by status, path and slow requests, pages with the keyboard and shows a
// whole line. Screenshots at 1440×900 go to test/.tmp/screenshots.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, repoRoot } from '../../core/config.ts';
import { FAILED_LOGIN_BURST } from '../../core/ops/inspect/index.ts';
import type { RunningServer } from '../../server/serve.ts';
import { launchBrowser, signInThroughPage } from '../support/browser.ts';
import { buildDesigner } from '../support/designer-build.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer } from '../support/harness.ts';

let running: RunningServer;
let browser: Browser;
let page: Page;

const screenshots = path.join(repoRoot, 'test', '.tmp', 'screenshots');
const shot = (name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`) });
const text = (selector: string) => page.$eval(selector, (el) => (el as HTMLElement).innerText.trim());

beforeAll(async () => {
  const designerDistDir = await buildDesigner();
  // The burst below stays plain 401s and the admin signs in from its address: throttling per address
  // and per name (tested in security-auth) would refuse both.
  const auth = loadConfig({}).auth;
  running = await startTestServer({
    designerDistDir,
    auth: { ...auth, addressMaxFailures: 1000, lockoutFailures: 1000 },
  });
  const guesser = new ApiClient(running.url);
  for (let i = 0; i < FAILED_LOGIN_BURST + 1; i++) await guesser.login('root', `guess-${i}`);
  // Enough lines for a second page of the log (100 a page).
  for (let i = 0; i < 110; i++) await fetch(`${running.url}/api/health`);

  await mkdir(screenshots, { recursive: true });
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1440, height: 900 });
  await signInThroughPage(page, running.url, 'admin', ADMIN_PASSWORD);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

async function openFromNav(label: string, hash: string): Promise<void> {
  const link = await page.waitForSelector(`xpath///nav//a[normalize-space()="${label}"]`);
  await link!.click();
  await page.waitForFunction((h) => location.hash === h, {}, hash);
}

describe('admin operations pages', () => {
  it('系统备份: runs a full backup with progress and lists it', async () => {
    await openFromNav('系统备份', '#/admin/backups');
    await page.waitForSelector('#restore-help');
    expect(await text('#restore-help')).toContain('npx tessera restore');
    expect(await text('#restore-help')).toContain('必须先停止服务');
    expect(await text('#backup-schedule')).toContain('未启用计划备份');
    await page.click('#backup-full');
    await page.waitForSelector('#backup-progress [role="progressbar"]');
    expect(await page.$eval('#backup-full', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    await page.waitForSelector('#backup-done', { timeout: 60_000 });
    expect(await text('#backup-done')).toMatch(/备份完成：全量 \d{8}T\d{9}Z-full/);
    await page.waitForSelector('tr[data-kind="full"]');
    expect(await page.$$eval('tr[data-backup-id]', (rows) => rows.length)).toBe(1);
    expect(await text('tr[data-kind="full"]')).toContain('可用');
    expect(await text('#backup-tasks')).toContain('完成');
    await shot('ops-backups');
    const overview = await page.evaluate(() => fetch('/api/admin/backups').then((r) => r.json()));
    expect(overview.backups).toHaveLength(1);
  });

  it('巡检报告: runs an inspection with progress and shows the findings', async () => {
    await openFromNav('巡检报告', '#/admin/inspections');
    await page.waitForSelector('#inspect-run');
    await page.click('#inspect-run');
    await page.waitForSelector('#inspect-progress [role="progressbar"]');
    await page.waitForSelector('#inspect-status', { timeout: 90_000 });
    await page.waitForFunction(() => !document.querySelector('#inspect-progress'), { timeout: 90_000 });
    expect(await text('#inspect-status')).toBe('有严重问题');
    const findings = await page.$$eval('#inspect-report tr[data-severity]', (rows) =>
      rows.map((r) => ({ severity: r.getAttribute('data-severity'), text: (r as HTMLElement).innerText })),
    );
    expect(findings.find((f) => f.text.includes('登录失败次数异常'))?.severity).toBe('严重');
    expect(findings[0]!.severity).toBe('严重');
    expect(await page.$$eval('tr[data-report-id]', (rows) => rows.length)).toBe(1);
    const pdfHref = await page.$eval('#inspect-pdf', (a) => (a as HTMLAnchorElement).href);
    expect(pdfHref).toMatch(/\/api\/admin\/inspections\/\d{8}T\d{9}Z\/report\.pdf$/);
    const pdf = await page.evaluate(async (href) => {
      const r = await fetch(href);
      return {
        status: r.status,
        type: r.headers.get('content-type'),
        size: (await r.arrayBuffer()).byteLength,
      };
    }, pdfHref);
    expect(pdf).toMatchObject({ status: 200, type: 'application/pdf' });
    expect(pdf.size).toBeGreaterThan(10_000);
    await shot('ops-inspections');

    // The HTML report, as the admin opens it in a tab.
    const htmlHref = await page.$eval('#inspect-open', (a) => (a as HTMLAnchorElement).href);
    const tab = await browser.newPage();
    await tab.setViewport({ width: 1440, height: 900 });
    await tab.goto(htmlHref);
    expect(await tab.$eval('h1', (h) => h.textContent)).toBe('Tessera 系统巡检报告');
    expect(await tab.$eval('.findings', (t) => (t as HTMLElement).innerText)).toContain('登录失败次数异常');
    await tab.screenshot({ path: path.join(screenshots, 'ops-inspection-html.png') });
    await tab.close();
  });

  it('运行日志: filters, pages with the keyboard, shows a whole line', async () => {
    await openFromNav('运行日志', '#/admin/logs');
    await page.waitForSelector('tr[data-status]');
    const statuses = () =>
      page.$$eval('tr[data-status]', (rows) => rows.map((r) => r.getAttribute('data-status')));

    // Paging: more than 100 lines today.
    expect(await page.$eval('#log-next', (b) => (b as HTMLButtonElement).disabled)).toBe(false);
    const firstPage = await page.$$eval('tr[data-status] td:last-child', (c) => c.map((x) => x.textContent));
    await page.focus('table');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => !document.querySelector('#log-prev')?.hasAttribute('disabled'));
    const secondPage = await page.$$eval('tr[data-status] td:last-child', (c) => c.map((x) => x.textContent));
    expect(secondPage[0]).not.toBe(firstPage[0]);
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => document.querySelector('#log-prev')?.hasAttribute('disabled'));

    await page.select('#log-status', '4xx');
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('tr[data-status]')).every((r) =>
        r.getAttribute('data-status')!.startsWith('4'),
      ),
    );
    expect((await statuses()).length).toBeGreaterThanOrEqual(FAILED_LOGIN_BURST + 1);

    await page.type('#log-path', '/api/auth/login');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('tr[data-status] td:nth-child(3)')).every(
        (c) => c.textContent === '/api/auth/login',
      ),
    );
    expect(new Set(await statuses())).toEqual(new Set(['401']));
    await shot('ops-logs');

    // A whole line: choose with the keyboard, Enter.
    await page.focus('table');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#log-detail');
    expect(await text('#log-detail pre')).toContain('"route": "/api/auth/login"');

    // Slow only: nothing here is slower than 500 ms except, maybe, the backup or the inspection.
    await page.click('#log-slow');
    await page.waitForFunction(() => document.querySelector('#log-detail') === null);
    expect(
      await page.$$eval('tr[data-status]', (rows) =>
        rows.every((r) => r.getAttribute('data-slow') === 'true'),
      ),
    ).toBe(true);
    const slow = await page.evaluate(() =>
      fetch('/api/admin/logs?slow=1').then((r) => r.json() as Promise<{ entries: { ms: number }[] }>),
    );
    expect(slow.entries.every((e) => e.ms >= 500)).toBe(true);
  });
});
