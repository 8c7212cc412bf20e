import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, HTTPRequest, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/config.ts';
import type { RunningServer } from '../../server/serve.ts';
import { launchBrowser } from '../support/browser.ts';
import { buildDesigner } from '../support/designer-build.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';

let running: RunningServer;
let browser: Browser;
let page: Page;
const screenshots = path.join(repoRoot, 'test', '.tmp', 'screenshots');
/** Record writes the page sent (POST/PUT to the records API). */
const writes: string[] = [];

const GOOD_ID = residentId('110101', '19900307', '661');
const BAD_ID = GOOD_ID.slice(0, 17) + (GOOD_ID[17] === '1' ? '2' : '1');

beforeAll(async () => {
  const designerDistDir = await buildDesigner();
  running = await startTestServer({ designerDistDir });
  const admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'VU1', name: '可见性测试单位' });
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1440, height: 900 });
  await mkdir(screenshots, { recursive: true });
  page.on('request', (request: HTTPRequest) => {
    if (['POST', 'PUT'].includes(request.method()) && /\/api\/events\/[^/]+\/records/.test(request.url()))
      writes.push(`${request.method()} ${request.url()}`);
  });

  await page.goto(`${running.url}/#/login`);
  await page.waitForSelector('#username');
  await page.type('#username', 'admin');
  await page.type('#password', ADMIN_PASSWORD);
  await page.click('button[type="submit"]');
  await page.waitForSelector('[data-event-code="EXPO2026"]');
});

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

const present = (selector: string) => page.$(selector).then((el) => el !== null);

describe('the generated record form in Chromium', () => {
  it('shows 国籍 only while the document type is not the resident ID card', async () => {
    await page.goto(`${running.url}/#/events/EXPO2026/records/person/new`);
    await page.waitForSelector('#field-idType');
    // Sections of the form, in order.
    const sections = await page.$$eval('.form-section .section-title', (els) =>
      els.map((e) => e.textContent),
    );
    expect(sections).toEqual(['基本信息', '身份证件', '单位与联系方式', '申请证件']);

    expect(await page.$eval('#field-idType', (el) => (el as HTMLSelectElement).value)).toBe('1');
    expect(await present('#field-nationality')).toBe(false);

    await page.select('#field-idType', '4');
    await page.waitForSelector('#field-nationality');
    expect(await page.$eval('#label-nationality', (el) => el.textContent)).toContain('国籍');
    await page.screenshot({ path: path.join(screenshots, 'record-form-visible-if.png'), fullPage: true });

    await page.select('#field-idType', '1');
    await page.waitForFunction(() => !document.querySelector('#field-nationality'));
  });

  it('shows a bad ID number at the field on blur and on save, before any save request', async () => {
    await page.goto(`${running.url}/#/events/EXPO2026/records/person/new`);
    await page.waitForSelector('#field-idNumber');
    const unit = await page.$('select#record-unit');
    if (unit) await page.select('select#record-unit', 'VU1');
    await page.type('#field-name', '张伟');
    await page.click('#field-gender input[value="M"]');
    expect(await present('#error-idNumber')).toBe(false);

    await page.type('#field-idNumber', BAD_ID);
    await page.keyboard.press('Tab'); // blur
    const onBlur = await page.waitForSelector('#error-idNumber');
    expect(await onBlur!.evaluate((el) => el.textContent)).toMatch(/校验/);

    await page.type('#field-organization', '北京市某某局');
    await page.type('#field-mobile', '13800138000');
    await page.select('#field-cardType', 'STAFF');
    await page.click('#save-record');
    await page.waitForSelector('#form-errors');
    expect(await page.$eval('#error-idNumber', (el) => el.textContent)).toMatch(/校验/);
    expect(await page.$eval('#field-idNumber', (el) => el.getAttribute('aria-invalid'))).toBe('true');
    expect(writes).toEqual([]);

    // Fixed, the record saves (a missing photo does not block saving).
    await page.$eval('#field-idNumber', (el) => ((el as HTMLInputElement).value = ''));
    await page.type('#field-idNumber', GOOD_ID);
    expect(await present('#error-idNumber')).toBe(false);
    await page.click('#save-record');
    await page.waitForFunction(() => /\/records\/person\/\d+$/.test(location.hash), { timeout: 10_000 });
    expect(writes).toHaveLength(1);
    await page.waitForSelector('#field-idNumber');
    expect(await page.$eval('#field-idNumber', (el) => (el as HTMLInputElement).value)).toContain('****');
  });
});
