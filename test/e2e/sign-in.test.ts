import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/config.ts';
import type { RunningServer } from '../../server/serve.ts';
import { launchBrowser } from '../support/browser.ts';
import { buildDesigner } from '../support/designer-build.ts';
import { ADMIN_PASSWORD, startTestServer } from '../support/harness.ts';

let running: RunningServer;
let browser: Browser;
let page: Page;
const screenshots = path.join(repoRoot, 'test', '.tmp', 'screenshots');

beforeAll(async () => {
  const designerDistDir = await buildDesigner();
  running = await startTestServer({ designerDistDir });
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1440, height: 900 });
  await mkdir(screenshots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

describe('designer shell in Chromium', () => {
  it('rejects a wrong password with a visible message', async () => {
    await page.goto(`${running.url}/#/login`);
    await page.waitForSelector('#username');
    await page.type('#username', 'admin');
    await page.type('#password', 'not-the-password');
    await page.keyboard.press('Enter');
    const alert = await page.waitForSelector('[role="alert"]:not(:empty)');
    expect(await alert!.evaluate((el) => el.textContent)).toContain('用户名或密码错误');
  });

  it('signs in, lists the bundled events and opens one', async () => {
    await page.goto(`${running.url}/#/login`);
    await page.waitForSelector('#username');
    await page.$eval('#username', (el) => ((el as HTMLInputElement).value = ''));
    await page.type('#username', 'admin');
    await page.$eval('#password', (el) => ((el as HTMLInputElement).value = ''));
    await page.type('#password', ADMIN_PASSWORD);
    await page.click('button[type="submit"]');

    const row = await page.waitForSelector('[data-event-code="EXPO2026"]');
    expect(await row!.evaluate((el) => el.textContent)).toContain('数字经济博览会');
    expect(await page.$$('[data-event-code]')).toHaveLength(2);
    await page.screenshot({ path: path.join(screenshots, 'events.png') });

    await row!.click();
    await page.waitForFunction(() => location.hash === '#/events/EXPO2026');
    const heading = await page.waitForSelector('h1');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent?.includes('博览会'));
    expect(await heading!.evaluate((el) => el.textContent)).toContain('博览会');
    const body = await page.evaluate(() => document.body.innerText);
    expect(body).toContain('贵宾证');
    expect(body).toContain('车辆通行证');
    await page.screenshot({ path: path.join(screenshots, 'event-overview.png'), fullPage: true });
  });
});
