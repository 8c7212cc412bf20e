// The journey of issue 3, tried as a new admin and clerk would in Chromium: create an event from
// blank, add fields to its person form, publish, fill the generated form with a bad ID number
// (clear error at the field), fix it, save, and find the record by ID number.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/config.ts';
import type { RunningServer } from '../../server/serve.ts';
import { launchBrowser } from '../support/browser.ts';
import { buildDesigner } from '../support/designer-build.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';

let running: RunningServer;
let photoFile: string;
let browser: Browser;
let page: Page;
const screenshots = path.join(repoRoot, 'test', '.tmp', 'screenshots');
const shot = (name: string) =>
  page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });

const GOOD_ID = residentId('330106', '19880412', '135'); // male
// Same number with the check digit changed: a typo a clerk would make.
const BAD_ID = GOOD_ID.slice(0, 17) + (GOOD_ID.endsWith('0') ? '1' : '0');

beforeAll(async () => {
  const designerDistDir = await buildDesigner();
  running = await startTestServer({ designerDistDir });
  const admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'SU1', name: '峰会筹备办' });
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1600, height: 1000 });
  await mkdir(screenshots, { recursive: true });
  photoFile = path.join(screenshots, '..', 'journey-photo.jpg');
  await sharp({ create: { width: 600, height: 800, channels: 3, background: '#dde6f0' } })
    .composite([
      {
        input: Buffer.from(
          '<svg width="600" height="800"><ellipse cx="300" cy="330" rx="150" ry="190" fill="#c99"/></svg>',
        ),
      },
    ])
    .jpeg()
    .toFile(photoFile);
});

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

/** Sets an input's value the way typing does, for inputs puppeteer cannot type into (dates). */
async function setValue(selector: string, value: string): Promise<void> {
  await page.$eval(
    selector,
    (el, v) => {
      const input = el as HTMLInputElement;
      input.value = v;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    },
    value,
  );
}

async function text(selector: string): Promise<string> {
  return page.$eval(selector, (el) => (el as HTMLElement).innerText);
}

describe('setting up an event from blank and entering a record', () => {
  it('signs in and creates an event from blank', async () => {
    await page.goto(`${running.url}/#/login`);
    await page.waitForSelector('#username');
    await page.type('#username', 'admin');
    await page.type('#password', ADMIN_PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForSelector('#new-event');
    await page.click('#new-event');
    await page.waitForSelector('[data-template="blank"]');
    await page.click('[data-template="blank"]');
    await page.type('#new-event-code', 'SUMMIT2027');
    await page.type('#new-event-name', '2027滨江科技峰会');
    await page.select('#new-event-kind', 'conference');
    await page.type('#new-event-organizer', '滨江市科学技术局');
    await setValue('#new-event-start', '2027-06-01');
    await setValue('#new-event-end', '2027-06-03');
    await shot('setup-new-event');
    await page.click('#create-event');
    await page.waitForFunction(() => location.hash === '#/events/SUMMIT2027/setup/basics');
  });

  it('adds fields to the person form and sees them in the live preview', async () => {
    await page.waitForSelector('[data-tab="form-person"]');
    await page.click('[data-tab="form-person"]');
    await page.waitForSelector('[data-form-editor="person"]');

    // A standard field from the catalogue…
    await page.select('#add-standard-field', 'position');
    await page.click('#add-standard');
    await page.waitForSelector('[data-field="position"]');

    // …and a custom one, made required.
    await page.select('#new-field-widget', 'text');
    await page.type('#new-field-label', '入住酒店');
    await page.type('#new-field-key', 'hotelName');
    await page.click('#add-custom-field');
    await page.waitForSelector('[data-field-props="hotelName"]');
    await page.click('#field-required');
    await page.type('#field-help', '填写会期内入住的酒店全称');

    // A bad key is refused with the reason, and nothing is added.
    await page.type('#new-field-label', '坏字段');
    await page.type('#new-field-key', 'Hotel');
    await page.click('#add-custom-field');
    expect(await text('#add-field-error')).toContain('小写字母开头');
    expect(await page.$('[data-field="Hotel"]')).toBeNull();

    // The preview is the generated form, live.
    await page.waitForFunction(() =>
      document.querySelector('[data-form-preview]')?.textContent?.includes('入住酒店'),
    );
    expect(await text('[data-form-preview]')).toContain('职务');
    await page.waitForFunction(
      () => document.querySelector('#draft-status')?.textContent?.includes('已保存'),
      {
        timeout: 10_000,
      },
    );
    expect(await text('#draft-issues')).toContain('校验通过');
    await shot('setup-form-editor');
  });

  it('publishes the new version', async () => {
    await page.click('#publish-draft');
    const result = await page.waitForSelector('#publish-result');
    expect(await result!.evaluate((el) => el.textContent)).toContain('已发布为第 2 版');
    expect(await text('#draft-status')).toContain('与已发布版本一致');
  });

  it('shows a bad ID number at the field, then saves the fixed record', async () => {
    await page.goto(`${running.url}/#/events/SUMMIT2027/records/person/new`);
    await page.waitForSelector('#field-hotelName');
    expect(await text('#help-hotelName')).toContain('酒店全称');
    const unit = await page.$('select#record-unit');
    if (unit) await page.select('select#record-unit', 'SU1');
    await page.type('#field-name', '陈明');
    await page.click('#field-gender input[value="M"]');
    await page.select('#field-idType', '1');
    await page.type('#field-idNumber', BAD_ID);
    await page.type('#field-organization', '滨江市科学技术局');
    await page.type('#field-mobile', '13912345678');
    await page.select('#field-cardType', 'STAFF');
    await page.type('#field-hotelName', '滨江国际大酒店');

    // The ID photo: picked, cropped to the event's 3:4 in the dialog, uploaded.
    const input = await page.waitForSelector('input[type="file"]');
    await input!.uploadFile(photoFile);
    const confirm = await page.waitForSelector('.photo-dialog .btn-primary:not([disabled])');
    await confirm!.click();
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('.photo-frame img');
      return !!img && img.complete && img.naturalWidth > 0;
    });

    await page.click('#save-record');
    const error = await page.waitForSelector('#error-idNumber');
    const message = await error!.evaluate((el) => el.textContent ?? '');
    expect(message).toMatch(/校验码|校验位/);
    expect(await page.$eval('#field-idNumber', (el) => el.getAttribute('aria-invalid'))).toBe('true');
    await shot('setup-record-bad-id');

    await page.$eval('#field-idNumber', (el) => ((el as HTMLInputElement).value = ''));
    await page.type('#field-idNumber', GOOD_ID.toLowerCase());
    await page.click('#save-record');
    await page.waitForFunction(() => /\/records\/person\/\d+$/.test(location.hash), { timeout: 10_000 });
    expect(await page.$('#error-idNumber')).toBeNull();
  });

  it('finds the record by its ID number, masked in the list', async () => {
    await page.goto(`${running.url}/#/events/SUMMIT2027/records/person`);
    await page.waitForSelector('#record-search');
    await page.type('#record-search', GOOD_ID);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('[data-record-id]').length === 1);
    const row = await text('[data-record-id]');
    expect(row).toContain('陈明');
    const api = new ApiClient(running.url);
    await api.login('admin', ADMIN_PASSWORD);
    const id = await page.$eval('[data-record-id]', (el) => el.getAttribute('data-record-id'));
    const record = await api.request('GET', `/api/events/SUMMIT2027/records/${id}`);
    expect(record.body.record.values).toMatchObject({ hotelName: '滨江国际大酒店', cardType: 'STAFF' });
    expect(record.body.record.values.photo).toMatch(/^[0-9a-f-]{36}$/);
    expect(row).toContain(`${GOOD_ID.slice(0, 6)}********${GOOD_ID.slice(-4)}`);
    expect(row).not.toContain(GOOD_ID);
    await shot('setup-record-found');
  });
});
