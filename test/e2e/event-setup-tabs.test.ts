import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, ElementHandle, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/config.ts';
import type { RunningServer } from '../../server/serve.ts';
import { launchBrowser } from '../support/browser.ts';
import { buildDesigner } from '../support/designer-build.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, type Body } from '../support/harness.ts';

let running: RunningServer;
let browser: Browser;
let page: Page;
let admin: ApiClient;
const screenshots = path.join(repoRoot, 'test', '.tmp', 'screenshots');
const shot = (name: string) => page.screenshot({ path: path.join(screenshots, name), fullPage: true });

beforeAll(async () => {
  const designerDistDir = await buildDesigner();
  running = await startTestServer({ designerDistDir });
  admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1440, height: 900 });
  // Confirmations (删除…?) are accepted.
  page.on('dialog', (dialog) => void dialog.accept());
  await mkdir(screenshots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

const text = (selector: string) =>
  page.$eval(selector, (el) => (el as HTMLElement).innerText ?? el.textContent ?? '');

/** Replaces the text of an input as a person would: select all, type, leave with Tab. */
async function retype(selector: string, value: string, leave = true): Promise<void> {
  await page.click(selector, { clickCount: 3 });
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  await page.type(selector, value);
  if (leave) await page.keyboard.press('Tab');
}

async function waitSaved(): Promise<void> {
  await page.waitForFunction(
    () => /已保存/.test(document.querySelector('#draft-status')?.textContent ?? ''),
    { timeout: 15_000 },
  );
}

describe('event setup tabs in Chromium', () => {
  it('adds a card type, sets its quota for a unit in the matrix and publishes it', async () => {
    await page.goto(`${running.url}/#/login`);
    await page.waitForSelector('#username');
    await page.type('#username', 'admin');
    await page.type('#password', ADMIN_PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-event-code="EXPO2026"]');

    await page.goto(`${running.url}/#/events/EXPO2026/setup/card-types`);
    await page.waitForSelector('[data-card-type="VIP"]');
    // Important types first.
    const order = await page.$$eval('tr[data-card-type]', (rows) =>
      rows.map((r) => (r as HTMLElement).dataset.cardType),
    );
    expect(order[0]).toBe('VIP');

    await page.click('#add-card-type');
    await page.waitForSelector('[data-card-type="NEW"]');
    expect(await page.$eval('#card-type-code', (el) => (el as HTMLInputElement).value)).toBe('NEW');

    // The code is checked while it is typed (and upper-cased).
    await retype('#card-type-code', '9x', false);
    expect(await text('#card-type-code-problem')).toContain('大写字母开头');
    await retype('#card-type-code', 'guest');
    await page.waitForSelector('[data-card-type="GUEST"]');
    expect(await page.$('#card-type-code-problem')).toBeNull();

    await retype('#card-type-name', '嘉宾证');
    await page.click('#card-type-zones input[data-zone="A"]');
    await page.click('#card-type-zones input[data-zone="B"]');
    await retype('#card-type-per-unit', '10');
    await retype('#card-type-total', '100');
    expect(await text('#card-type-number-example')).toBe('GUEST-00001');
    await retype('#card-type-pattern', '{event}-{type}-{year}-{seq:4}');
    expect(await text('#card-type-number-example')).toBe('EXPO2026-GUEST-2026-0001');
    await waitSaved();
    await shot('setup-card-types.png');

    await page.click('a[data-tab="units"]');
    await page.waitForSelector('#new-unit-code');
    await page.waitForSelector('#quota-matrix');
    await page.type('#new-unit-code', 'UNIT01');
    await page.type('#new-unit-name', '滨江市会展办公室');
    await page.type('#new-unit-contact', '王敏');
    await page.type('#new-unit-phone', '0571-8765 0000');
    await page.type('#new-unit-email', 'not-an-email');
    await page.click('#add-unit');
    // The server's field error is shown under the input.
    const emailError = await page.waitForSelector('[data-field-error="contactEmail"]');
    expect(await emailError!.evaluate((el) => el.textContent)).toContain('格式不对');
    await retype('#new-unit-email', 'hzb@expo2026.example.cn', false);
    await page.click('#add-unit');
    // Editing a unit: a bad phone number is refused by the server and named under its input.
    await (await page.waitForSelector('[data-unit="UNIT01"]'))!.click();
    await page.waitForSelector('#edit-unit-phone');
    await retype('#edit-unit-phone', '电话', false);
    await page.click('#save-unit');
    const phoneError = await page.waitForSelector('[data-field-error="contactPhone"]');
    expect(await phoneError!.evaluate((el) => el.textContent)).toContain('无效');
    await shot('setup-units-edit.png');
    await retype('#edit-unit-phone', '13800138000', false);
    await page.click('#save-unit');
    await page.waitForFunction(() =>
      document.querySelector('[data-unit="UNIT01"]')?.textContent?.includes('13800138000'),
    );

    const cell = '[data-quota-cell="UNIT01:GUEST"]';
    await page.waitForSelector(cell);
    expect(await page.$eval(cell, (el) => (el as HTMLInputElement).placeholder)).toBe('10');

    await page.click(cell);
    await page.keyboard.type('7');
    await page.waitForFunction(
      () => document.querySelector('[data-quota-sum="GUEST"]')?.textContent?.trim() === '7',
    );
    // Arrow keys move like a spreadsheet (GUEST is the last column).
    await page.keyboard.press('ArrowLeft');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.quotaCell)).toBe(
      'UNIT01:VEHICLE',
    );
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.quotaCell)).toBe(
      'UNIT01:GUEST',
    );
    await waitSaved();
    await shot('setup-units.png');

    await page.click('#publish-draft');
    const published = await page.waitForSelector('#publish-result', { timeout: 20_000 });
    expect(await published!.evaluate((el) => el.textContent)).toContain('已发布为第');

    const live = await admin.request('GET', '/api/events/EXPO2026');
    expect(live.status).toBe(200);
    const guest = live.body.cardTypes.find((t: Body) => t.code === 'GUEST');
    expect(guest).toMatchObject({
      name: '嘉宾证',
      recordKind: 'person',
      zones: ['A', 'B'],
      quota: { perUnit: 10, total: 100 },
    });
    const bundle = await admin.request('GET', '/api/events/EXPO2026/bundle');
    const published_ = bundle.body.files['card-types.json'].cardTypes.find((t: Body) => t.code === 'GUEST');
    expect(published_.quota.byUnit).toEqual({ UNIT01: 7 });
    expect(published_.numbering.pattern).toBe('{event}-{type}-{year}-{seq:4}');

    // The version history shows the new version as current.
    await page.click('a[data-tab="publish"]');
    await page.waitForSelector('#version-list [data-current-version]');
    const current = await page.$eval('#version-list tr.current', (el) => (el as HTMLElement).dataset.version);
    expect(Number(current)).toBeGreaterThan(1);
    await shot('setup-publish-after.png');
  });

  it('shows a bad zone code under its input in the basics tab, and in the problem list', async () => {
    await page.click('a[data-tab="basics"]');
    await page.waitForSelector('#zone-code-0');
    expect(await page.$eval('#event-code', (el) => el.textContent)).toBe('EXPO2026');
    await retype('#zone-code-0', 'A 1');
    const issue = await page.waitForSelector('[data-zone-issues="0"] [data-issue="/event/zones/0/code"]', {
      timeout: 15_000,
    });
    expect(await issue!.evaluate((el) => el.textContent)).toContain('代码');
    // Right under the zone's row, and the input is marked.
    expect(
      await page.$eval('[data-zone-row="0"]', (row) =>
        row.nextElementSibling?.getAttribute('data-zone-issues'),
      ),
    ).toBe('0');
    expect(await page.$eval('#zone-code-0', (input) => !!input.closest('.field-invalid'))).toBe(true);
    await shot('setup-basics.png');

    await page.click('a[data-tab="publish"]');
    const row = await page.waitForSelector('#issue-list tr[data-issue-pointer="/event/zones/0/code"]');
    expect(await row!.$eval('a', (a) => a.getAttribute('href'))).toBe('#/events/EXPO2026/setup/basics');
    await shot('setup-publish-issues.png');
  });

  it('imports a bundle as a new version: lists the problems of a bad one, takes a good one', async () => {
    const exported = await admin.request('GET', '/api/events/EXPO2026/bundle');
    expect(exported.status).toBe(200);
    const same = exported.body;
    // Changed after export, so without the (then wrong) checksum.
    const good = structuredClone(same);
    delete good.checksum;
    good.files['plugin.json'].version = '1.1.0';
    good.files['plugin.json'].event.shortName = '数博会26';
    const bad = structuredClone(good);
    bad.files['card-types.json'].cardTypes[0].code = 'bad code';
    const dir = path.join(repoRoot, 'test', '.tmp');
    await writeFile(path.join(dir, 'EXPO2026-bad.tessera.json'), JSON.stringify(bad));
    await writeFile(path.join(dir, 'EXPO2026-good.tessera.json'), JSON.stringify(good));
    await writeFile(path.join(dir, 'EXPO2026-same.tessera.json'), JSON.stringify(same));

    await page.click('a[data-tab="publish"]');
    const input = (await page.waitForSelector('#import-bundle')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(path.join(dir, 'EXPO2026-bad.tessera.json'));
    const list = await page.waitForSelector('#import-issues li');
    expect(await list!.evaluate((el) => el.textContent)).toContain('card-types.json#/cardTypes/0/code');
    await shot('setup-import-refused.png');

    await input.uploadFile(path.join(dir, 'EXPO2026-same.tessera.json'));
    await page.waitForFunction(() =>
      document.querySelector('#import-result')?.textContent?.includes('内容相同'),
    );

    await input.uploadFile(path.join(dir, 'EXPO2026-good.tessera.json'));
    await page.waitForFunction(() =>
      document.querySelector('#import-result')?.textContent?.includes('第 3 版'),
    );
    await page.waitForFunction(
      () => document.querySelector('#version-list tr.current')?.getAttribute('data-version') === '3',
    );
    expect(await text('#version-list tr.current')).toContain('导入');
    // The import replaced the draft: no problems left.
    await page.waitForFunction(() => document.querySelector('#issue-list tr.empty') !== null);
    await shot('setup-import-done.png');
    const live = await admin.request('GET', '/api/events/EXPO2026');
    expect(live.body.event.shortName).toBe('数博会26');
  });
});
