// The mapping page (映射方案) in Chromium against the real server and PostgreSQL: a clerk opens
// 映射方案, starts a new profile, uploads a unit's sample sheet with headers no dictionary knows,
// adopts the automatic suggestion, maps the remaining columns from the sample (称谓 → 性别 with a
// value map 男士→M / 女士→F, 所在城市 → 工作单位 split at “/”), gives the card type a fixed value
// and watches the sample rows become error-free; a header used twice is refused by the server
// and shown at the column it points at; the fixed profile is saved with Ctrl+S, listed, returned
// by the API and reads the sample without errors there too. Last, a plugin profile is copied,
// saved, and deleted again.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser, ElementHandle, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/config.ts';
import type { RunningServer } from '../../server/serve.ts';
import { launchBrowser } from '../support/browser.ts';
import { buildDesigner } from '../support/designer-build.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';

let running: RunningServer;
let browser: Browser;
let page: Page;
let clerkApi: ApiClient;

const PASSWORD = 'Passw0rd-123';
const tmp = path.join(repoRoot, 'test', '.tmp');
const screenshots = path.join(tmp, 'screenshots');
const sampleFile = path.join(tmp, '甲单位报名样表.xlsx');
/** A screenshot of the whole page: the viewport grows to the scrolling main area's height first. */
async function shot(name: string): Promise<void> {
  const height = await page.$eval('.main', (el) => el.scrollHeight + 60).catch(() => 1000);
  await page.setViewport({ width: 1600, height: Math.min(4000, Math.max(1000, height)) });
  await page.screenshot({ path: path.join(screenshots, `${name}.png`) });
  await page.setViewport({ width: 1600, height: 1000 });
}

const PEOPLE = [
  ['周洋', '男士', residentId('110101', '19880412', '031'), '北京/朝阳区', '13800001111'],
  ['吴敏', '女士', residentId('310104', '19910703', '122'), '上海/徐汇区', '13900002222'],
  ['郑凯', '男士', residentId('440305', '19790228', '015'), '深圳/南山区', '13700003333'],
];

/** A unit's own layout: a title row, then 姓名 (known) and four headers no dictionary knows. */
async function unitSheet(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('报名');
  ws.addRow(['甲单位报名汇总']);
  ws.addRow(['姓名', '称谓', '证件编码', '所在城市', '联络方式']);
  for (const p of PEOPLE) ws.addRow(p);
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

async function ctrlS(): Promise<void> {
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyS');
  await page.keyboard.up('Control');
}

const sheetCol = (header: string) => `#sample-columns tr[data-sheet-header="${header}"]`;

/** Maps the sample's column `header` to `field` with the quick action, and waits for the preview. */
async function mapColumn(header: string, field: string): Promise<void> {
  await page.select(`${sheetCol(header)} select.quick-map`, field);
  await page.waitForSelector(`${sheetCol(header)}[data-field="${field}"]`, { timeout: 10_000 });
}

async function waitText(selector: string, expected: string, exact = false): Promise<void> {
  await page.waitForFunction(
    (sel, t, whole) => {
      const shown = (document.querySelector(sel) as HTMLElement | null)?.innerText;
      return shown !== undefined && (whole ? shown === t : shown.includes(t));
    },
    { timeout: 10_000 },
    selector,
    expected,
    exact,
  );
}

async function profilesViaApi(): Promise<Body[]> {
  const res = await clerkApi.request('GET', '/api/events/EXPO2026/mapping-profiles?kind=person');
  expect(res.status).toBe(200);
  return res.body.profiles;
}

beforeAll(async () => {
  const designerDistDir = await buildDesigner();
  running = await startTestServer({ designerDistDir });
  const admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' });
  const user = await admin.request('POST', '/api/users', {
    username: 'clerk1',
    role: 'clerk',
    password: PASSWORD,
  });
  expect(user.status, JSON.stringify(user.body)).toBeLessThan(300);
  clerkApi = new ApiClient(running.url);
  await clerkApi.login('clerk1', PASSWORD);
  await mkdir(screenshots, { recursive: true });
  await writeFile(sampleFile, await unitSheet());
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1600, height: 1000 });
});

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

describe('a clerk makes a mapping profile from a unit’s sample sheet', () => {
  it('opens 映射方案 and sees the plugin’s own profile, read-only', async () => {
    await page.goto(`${running.url}/#/login`);
    await page.waitForSelector('#username');
    await page.type('#username', 'clerk1');
    await page.type('#password', PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForFunction(() => location.hash === '#/events');
    await page.goto(`${running.url}/#/events/EXPO2026`);
    const nav = await page.waitForSelector('[data-nav="mappings"]');
    expect(await nav!.evaluate((el) => el.textContent)).toBe('映射方案');
    await nav!.click();
    await page.waitForFunction(() => location.hash === '#/events/EXPO2026/mappings');
    await page.waitForSelector('#profile-list tr[data-profile="person-standard"][data-source="plugin"]');
    expect(await text('#profile-list tr[data-profile="person-standard"]')).toContain('插件自带');
    // The plugin's profile is shown, read-only: its columns, no save, no delete.
    await page.waitForSelector('#read-only-note');
    expect(await page.$('#save-profile')).toBeNull();
    expect(await page.$eval('#delete-profile', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    expect(await page.$('#profile-columns tr[data-column-field="gender"]')).not.toBeNull();
    await shot('mapping-list');
    // The vehicle profiles are one tab away.
    await page.click('.kind-tab[data-kind="vehicle"]');
    await page.waitForSelector('#profile-list tr[data-profile="vehicle-standard"]');
    await page.waitForSelector('#profile-columns tr[data-column-field="plateNumber"]');
    await page.click('.kind-tab[data-kind="person"]');
    await page.waitForSelector('#profile-list tr[data-profile="person-standard"]');
  });

  it('starts a new profile and reads the sample: the unknown headers are left unmapped', async () => {
    await page.click('#new-profile');
    await page.waitForSelector('#profile-list tr[data-profile-new]');
    await retype('#profile-code', 'ua-format');
    await retype('#profile-name', '甲单位报名表格式');
    const input = (await page.$('#mapping-sample-file')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(sampleFile);
    await page.waitForSelector('#sample-preview[data-suggested="true"]', { timeout: 15_000 });
    expect(await text('#sample-header-row')).toBe('2');
    expect(await page.$eval(sheetCol('姓名'), (tr) => tr.getAttribute('data-field'))).toBe('name');
    for (const header of ['称谓', '证件编码', '所在城市', '联络方式']) {
      expect(await page.$eval(sheetCol(header), (tr) => tr.classList.contains('unmapped'))).toBe(true);
    }
    expect(await text('#missing-required')).toContain('性别');
    expect(
      Number(await page.$eval('#sample-preview', (el) => el.getAttribute('data-errors'))),
    ).toBeGreaterThan(0);
    await shot('mapping-suggestion');
  });

  it('adopts the suggestion and maps the remaining columns from the sample', async () => {
    await page.click('#adopt-suggestion');
    await page.waitForSelector('#profile-columns tr[data-column-field="name"]');
    await page.waitForSelector('#sample-preview[data-suggested="false"]', { timeout: 10_000 });
    // The suggestion's fixed ID type (居民身份证) came along.
    await page.waitForSelector('#profile-fixed tr[data-fixed="idType"]');
    expect(await page.$eval('#profile-name', (el) => (el as HTMLInputElement).value)).toBe(
      '甲单位报名表格式',
    );

    // 称谓 → 性别: the field's own spellings (男/女) do not cover 男士/女士, and the rows say so.
    await mapColumn('称谓', 'gender');
    await page.waitForSelector('#sample-rows tr[data-sheet-row="3"] td[data-field="gender"].cell-error', {
      timeout: 10_000,
    });
    expect(await text('#sample-errors')).toContain('男士');
    const map = '[data-column-detail] [data-op="map"]';
    await page.waitForSelector(map);
    for (const [from, to] of [
      ['男士', 'M'],
      ['女士', 'F'],
    ] as const) {
      await page.type(`${map} .map-new-from`, from);
      await page.select(`${map} .map-new-to`, to);
      await page.click(`${map} .map-add`);
      await page.waitForSelector(`${map} tr[data-map-from="${from}"]`);
    }
    await page.waitForFunction(
      () => !document.querySelector('#sample-rows td[data-field="gender"].cell-error'),
      { timeout: 10_000 },
    );
    expect(await text('#sample-rows tr[data-sheet-row="4"] td[data-field="gender"]')).toBe('女');

    await mapColumn('证件编码', 'idNumber');
    await mapColumn('联络方式', 'mobile');
    // 所在城市 → 工作单位, keeping the part before “/”.
    await mapColumn('所在城市', 'organization');
    await page.waitForSelector('[data-column-detail]');
    expect(await text('[data-column-detail] h3')).toContain('工作单位');
    await page.select('[data-column-detail] .add-transform-select', 'split');
    await page.waitForSelector('[data-column-detail] [data-op="split"]');
    await waitText('#sample-rows tr[data-sheet-row="4"] td[data-field="organization"]', '上海', true);
    await shot('mapping-columns');
  });

  it('gives the card type a fixed value and sees the sample rows error-free', async () => {
    expect(await text('#missing-required')).toContain('申请证件');
    await page.select('#new-fixed-field', 'cardType');
    await page.click('#add-fixed');
    await page.waitForSelector('#fixed-value-cardType');
    await page.select('#fixed-value-cardType', 'STAFF');
    await page.waitForSelector('#sample-preview[data-busy="false"][data-errors="0"]', { timeout: 10_000 });
    expect(await text('#rows-status')).toBe('全部通过');
    expect(await page.$('#missing-required')).toBeNull();
    expect(await page.$$eval('#sample-columns tr.unmapped', (rows) => rows.length)).toBe(0);
    expect(await page.$$eval('#sample-rows tbody tr', (rows) => rows.length)).toBe(3);
    expect(await text('#sample-rows tr[data-sheet-row="3"] td[data-field="cardType"]')).toBe('工作证');
    await shot('mapping-clean');
  });

  it('shows the server’s refusal at the column it points at', async () => {
    // 称谓 also as a header of the 姓名 column: two columns would claim it.
    await page.click('#profile-columns tr[data-column="0"]');
    await page.type('#column-0-new-header', '称谓');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#profile-columns tr[data-column="0"] .chip[data-header="称谓"]');
    await ctrlS();
    const issue = await page.waitForSelector('[data-column-issues]', { timeout: 10_000 });
    expect(await issue!.evaluate((el) => el.textContent)).toContain('称谓');
    expect(await page.$('#profile-columns .chip-bad[data-header="称谓"]')).not.toBeNull();
    expect(await text('.editor-panel .banner-error')).toContain('处问题');
    expect((await profilesViaApi()).map((p) => p.code)).not.toContain('ua-format');
    await shot('mapping-invalid');
    await page.click('#profile-columns tr[data-column="0"] .chip[data-header="称谓"] .chip-x');
    await page.waitForFunction(
      () => !document.querySelector('#profile-columns tr[data-column="0"] .chip[data-header="称谓"]'),
    );
  });

  it('saves with Ctrl+S: the profile is listed and returned by the API', async () => {
    await ctrlS();
    await waitText('#save-state', '已保存');
    await page.waitForSelector('#profile-list tr[data-profile="ua-format"][data-source="saved"]');
    const row = await text('#profile-list tr[data-profile="ua-format"]');
    expect(row).toContain('甲单位报名表格式');
    expect(row).toContain('clerk1');
    expect(await page.$('[data-column-issues]')).toBeNull();
    await shot('mapping-saved');

    const saved = (await profilesViaApi()).find((p) => p.code === 'ua-format');
    expect(saved).toMatchObject({ source: 'saved', updatedBy: 'clerk1', name: '甲单位报名表格式' });
    const columns: Body[] = saved.profile.columns;
    const byField = new Map(columns.map((c) => [c.field, c]));
    expect([...byField.keys()].sort()).toEqual(['gender', 'idNumber', 'mobile', 'name', 'organization']);
    expect(byField.get('name').headers).toEqual(['姓名']);
    expect(byField.get('gender').headers).toEqual(['称谓']);
    const genderMap = byField.get('gender').transforms.find((t: Body) => t.op === 'map');
    expect(genderMap.values).toMatchObject({ 男士: 'M', 女士: 'F' });
    expect(byField.get('organization').transforms).toContainEqual({ op: 'split', separator: '/', index: 0 });
    expect(saved.profile.fixed).toEqual({ idType: '1', cardType: 'STAFF' });

    // The saved profile reads the sample without errors on the server too.
    const preview = await clerkApi.upload('/api/events/EXPO2026/mapping-preview', {
      kind: 'person',
      profileCode: 'ua-format',
      file: {
        fileName: '甲单位报名样表.xlsx',
        data: await readFile(sampleFile),
        type: 'application/octet-stream',
      },
    });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.rows.map((r: Body) => r.errors)).toEqual([[], [], []]);
    expect(preview.body.rows[1].values).toMatchObject({ name: '吴敏', gender: 'F', organization: '上海' });
  });

  it('copies the plugin’s profile into a saved one, and deletes it after a confirmation', async () => {
    await page.click('#profile-list tr[data-profile="person-standard"] .row-button');
    await page.waitForSelector('#read-only-note');
    // The sample is read with the opened profile: it knows no 称谓.
    await page.waitForSelector(`#sample-preview[data-busy="false"] ${sheetCol('称谓')}.unmapped`, {
      timeout: 10_000,
    });
    await page.click('#copy-profile');
    await page.waitForSelector('#profile-list tr[data-profile-new]');
    expect(await page.$eval('#profile-code', (el) => (el as HTMLInputElement).value)).toBe(
      'person-standard-copy',
    );
    expect(await page.$eval('#profile-name', (el) => (el as HTMLInputElement).value)).toContain('（副本）');
    await page.click('#save-profile');
    await page.waitForSelector('#profile-list tr[data-profile="person-standard-copy"][data-source="saved"]', {
      timeout: 10_000,
    });
    expect((await profilesViaApi()).map((p) => p.code)).toContain('person-standard-copy');

    await page.click('#delete-profile');
    await page.waitForSelector('#delete-profile-dialog[open]');
    expect(await text('#delete-profile-dialog')).toContain('person-standard-copy');
    await shot('mapping-delete');
    await page.click('#delete-profile-dialog .btn-confirm');
    await page.waitForFunction(
      () => !document.querySelector('#profile-list tr[data-profile="person-standard-copy"]'),
      { timeout: 10_000 },
    );
    const codes = (await profilesViaApi()).map((p) => p.code);
    expect(codes).not.toContain('person-standard-copy');
    expect(codes).toContain('ua-format');
    expect(codes).toContain('person-standard');
  });
});
