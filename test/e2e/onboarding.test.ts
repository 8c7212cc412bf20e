// 开通向导 in Chromium: a new event's checklist on the overview shows each step's real state, a
// step's button lands on the screen where it is done, the collection template is marked sent for
// units from the keyboard and by ticking rows, and once every required step is done the checklist
// folds to one line. Screenshots (1440×900) go to test/.tmp/screenshots/onboarding-*.png.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/config.ts';
import type { RunningServer } from '../../server/serve.ts';
import { launchBrowser, signInThroughPage } from '../support/browser.ts';
import { buildDesigner } from '../support/designer-build.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, type Body } from '../support/harness.ts';

const EVENT = 'FAIR2028';
const PASSWORD = 'Passw0rd-123';

let running: RunningServer;
let admin: ApiClient;
let browser: Browser;
let page: Page;
const screenshots = path.join(repoRoot, 'test', '.tmp', 'screenshots');
const shot = (name: string) =>
  page.screenshot({ path: path.join(screenshots, `onboarding-${name}.png`), fullPage: true });

async function addUser(username: string, role: string, unitCode?: string): Promise<void> {
  const res = await admin.request('POST', '/api/users', { username, role, password: PASSWORD, unitCode });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

beforeAll(async () => {
  const designerDistDir = await buildDesigner();
  running = await startTestServer({ designerDistDir });
  admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  const created = await admin.request('POST', '/api/events', {
    template: 'blank',
    code: EVENT,
    name: '2028滨江博览会',
    kind: 'expo',
    organizer: '滨江市商务局',
    startDate: '2028-09-01',
    endDate: '2028-09-05',
  });
  expect(created.status).toBe(201);
  for (const [code, name] of [
    ['FU1', '滨江市商务局'],
    ['FU2', '滨江日报社'],
    ['FU3', '滨江会展集团'],
  ]) {
    expect((await admin.request('POST', '/api/units', { code, name, contactName: '王明' })).status).toBe(201);
  }
  await addUser('fu1', 'unit', 'FU1');
  await addUser('fu2', 'unit', 'FU2');
  await addUser('clerk1', 'clerk');
  await addUser('designer1', 'designer');
  // FU1 fetched its template itself.
  const fu1 = new ApiClient(running.url);
  await fu1.login('fu1', PASSWORD);
  expect((await fu1.download(`/api/events/${EVENT}/templates/person`)).status).toBe(200);

  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1440, height: 900 });
  await mkdir(screenshots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

async function signIn(username: string, password = PASSWORD): Promise<void> {
  await signInThroughPage(page, running.url, username, password);
}

/** The overview's checklist: step id → [status, the row's text]. */
async function overviewSteps(): Promise<Record<string, [string, string]>> {
  await page.waitForSelector('#overview-onboarding [data-step="forms"]');
  const rows = await page.$$eval('#overview-onboarding [data-step]', (els) =>
    els.map((el) => {
      const e = el as HTMLElement;
      return { step: e.dataset.step!, status: e.dataset.status!, text: e.innerText.replace(/\s+/g, ' ') };
    }),
  );
  return Object.fromEntries(rows.map((r) => [r.step, [r.status, r.text] as [string, string]]));
}

async function openOverview(): Promise<void> {
  await page.goto(`${running.url}/#/events/${EVENT}`);
  await page.waitForSelector('#overview-onboarding');
}

async function saveAndPublish(change: (files: Body) => Record<string, unknown>): Promise<void> {
  const draft = (await admin.request('GET', `/api/events/${EVENT}/draft`)).body.draft;
  const saved = await admin.request('PUT', `/api/events/${EVENT}/draft`, {
    revision: draft.revision,
    files: change(structuredClone(draft.files)),
  });
  expect(saved.body.draft.issues.errors).toEqual([]);
  const published = await admin.request('POST', `/api/events/${EVENT}/publish`, {
    revision: saved.body.draft.revision,
  });
  expect(published.status).toBe(200);
}

describe('the onboarding checklist of a new event', () => {
  it('shows each step’s state on the overview of a new event', async () => {
    await signIn('admin', ADMIN_PASSWORD);
    await openOverview();
    const steps = await overviewSteps();
    expect(Object.fromEntries(Object.entries(steps).map(([k, [s]]) => [k, s]))).toEqual({
      forms: 'partial',
      cardTypes: 'partial',
      units: 'partial',
      layouts: 'partial',
      templates: 'partial',
      firstImport: 'missing',
      firstReview: 'missing',
      firstPrint: 'missing',
    });
    expect(steps.units![1]).toContain('3 个单位，其中 1 个还没有账号');
    expect(steps.units![1]).toContain('滨江会展集团（FU3）没有申报账号');
    expect(steps.templates![1]).toContain('3 个单位中 1 个已收到采集模板（自行下载 1，标记已发送 0）');
    expect(await page.$eval('#overview-onboarding .overall', (el) => el.textContent?.trim())).toBe(
      '必做步骤 0/5 完成',
    );
    await shot('overview-new-event');
  });

  it('takes a step’s button to the screen where the step is done', async () => {
    await page.click('#overview-onboarding [data-go="forms"]');
    await page.waitForFunction(() => location.hash === '#/events/FAIR2028/setup/form-person');
    await page.waitForSelector('[data-tab="form-person"].active');

    await openOverview();
    await page.click('#overview-onboarding [data-go="layouts"]');
    await page.waitForFunction(() => location.hash === '#/events/FAIR2028/layouts');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent?.includes('证件版式'));

    await openOverview();
    await page.click('#overview-onboarding [data-go="units"]');
    await page.waitForFunction(() => location.hash === '#/events/FAIR2028/setup/units');
    await page.waitForSelector('[data-tab="units"].active');
  });

  it('marks the template sent for units from the keyboard and by ticking, on 开通向导', async () => {
    await openOverview();
    await page.click('#overview-onboarding [data-go="templates"]');
    await page.waitForFunction(() => location.hash === '#/events/FAIR2028/onboarding?units');
    await page.waitForSelector('tr[data-unit="FU3"]');
    expect(
      await page.$$eval('tr[data-unit]', (els) => els.map((e) => (e as HTMLElement).dataset.template)),
    ).toEqual(['download', 'none', 'none']);
    // Only the units still waiting: FU2 and FU3; ↓ ↓ Home selects the first, Space ticks it.
    await page.select('#onboarding-filter', 'waiting');
    await page.waitForFunction(() => document.querySelectorAll('tr[data-unit]').length === 2);
    await page.focus('table[aria-label="申报单位"]');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Home');
    await page.keyboard.press('Space');
    expect(await page.$eval('tr[data-unit="FU2"] .row-check', (el) => (el as HTMLInputElement).checked)).toBe(
      true,
    );
    await shot('units-ticked');
    await page.click('#onboarding-mark');
    await page.waitForSelector('#onboarding-notice');
    expect(await page.$eval('#onboarding-notice', (el) => el.textContent)).toBe(
      '已将 1 个单位标记为已发送采集模板',
    );
    await page.waitForFunction(() => document.querySelectorAll('tr[data-unit]').length === 1);
    await page.click('tr[data-unit="FU3"] .row-check');
    await page.click('#onboarding-mark');
    await page.waitForFunction(
      () => document.querySelector('[data-step="templates"]')?.getAttribute('data-status') === 'done',
    );
    await page.select('#onboarding-filter', '');
    await page.waitForSelector('tr[data-unit="FU1"]');
    expect(
      await page.$$eval('tr[data-unit]', (els) => els.map((e) => (e as HTMLElement).dataset.template)),
    ).toEqual(['download', 'marked', 'marked']);
    await shot('page-templates-sent');
  });

  it('folds the checklist to one line once every required step is done', async () => {
    await saveAndPublish((files) => {
      const form = files['forms/person.json'];
      form.properties.booth = { type: 'string', 'x-label': '展位号', 'x-widget': 'text' };
      const cardTypes = files['card-types.json'];
      cardTypes.cardTypes[0].quota = { perUnit: 20, total: null };
      const badge = files['layouts/badge.json'];
      badge.front.background = { color: '#f4f8fc' };
      const vehicle = files['layouts/vehicle.json'];
      vehicle.front.background = { color: '#f4f8fc' };
      return {
        'forms/person.json': form,
        'card-types.json': cardTypes,
        'layouts/badge.json': badge,
        'layouts/vehicle.json': vehicle,
      };
    });
    await addUser('fu3', 'unit', 'FU3');
    await openOverview();
    await page.waitForSelector('#overview-onboarding[data-folded="true"]');
    expect(await page.$('#overview-onboarding [data-step]')).toBeNull();
    expect(await page.$eval('#overview-onboarding .overall', (el) => el.textContent?.trim())).toBe(
      '✓ 必做步骤已全部完成',
    );
    await shot('overview-all-done-folded');
    await page.click('#overview-onboarding-toggle');
    const steps = await overviewSteps();
    expect(
      Object.values(steps)
        .slice(0, 5)
        .map(([s]) => s),
    ).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(steps.cardTypes![1]).toContain('2 种（人员 1、车辆 1），1 种设了配额');
  });

  it('sends a clerk to its own screens and names who does the rest', async () => {
    await signIn('clerk1');
    await openOverview();
    await page.waitForSelector('#overview-onboarding-toggle');
    if ((await page.$('#overview-onboarding [data-step]')) === null)
      await page.click('#overview-onboarding-toggle');
    const forms = await page.$eval(
      '#overview-onboarding [data-step="forms"]',
      (el) => (el as HTMLElement).innerText,
    );
    expect(forms).toContain('由管理员完成');
    await shot('overview-clerk');
    expect(await page.$('#overview-onboarding [data-go="forms"]')).toBeNull();
    expect(await page.$('#overview-onboarding [data-go="templates"]')).not.toBeNull();
    expect(await page.$('.sidenav a[href$="/onboarding"]')).not.toBeNull();
  });

  it('shows a designer the checklist with the way to the layouts, without the unit table', async () => {
    await signIn('designer1');
    await openOverview();
    if ((await page.$('#overview-onboarding [data-step]')) === null)
      await page.click('#overview-onboarding-toggle');
    await page.waitForSelector('#overview-onboarding [data-go="layouts"]');
    expect(await page.$('#overview-onboarding-open')).toBeNull();
    expect(await page.$('.sidenav a[href$="/onboarding"]')).toBeNull();
    await page.click('#overview-onboarding [data-go="layouts"]');
    await page.waitForFunction(() => location.hash === '#/events/FAIR2028/layouts');
  });
});
