// The review journey (数据审核) in Chromium against the real server and PostgreSQL: a unit submits
// two batches from its records list (everything it drafted, then the records it ticks) and cannot
// edit a record under review; a reviewer finds the batches, decides the first one from the
// keyboard (approve, approve the ticked ones, reject and return with a reason), opens the second
// and sees the first batch's decisions in the unit's context — important card types first and
// marked, the quota left and what would be left after this batch (negative, red), a person another
// unit applied for too; the quota stops an approval until it is overridden with a reason; another
// reviewer decides a record through the API while it is on the screen and the browser's decision
// is a conflict that reloads the screen. Back as the unit, the reasons are there. Each step is
// checked in the page and through the API or the database.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/config.ts';
import type { RunningServer } from '../../server/serve.ts';
import { launchBrowser } from '../support/browser.ts';
import { buildDesigner } from '../support/designer-build.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';
import { pngPhoto } from '../support/import-files.ts';

let running: RunningServer;
let browser: Browser;
let page: Page;
let unitA: ApiClient;
let unitB: ApiClient;
let rev2: ApiClient;

const PASSWORD = 'Passw0rd-123';
const EVENT = 'EXPO2026';
const screenshots = path.join(repoRoot, 'test', '.tmp', 'screenshots');
const shot = (name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`) });

/** Person n: a valid ID number (even sequence: female). */
const idOf = (n: number) =>
  residentId('110101', `1985${String(1 + (n % 12)).padStart(2, '0')}1${n % 10}`, String(200 + n * 2));

const NAMES: Record<string, string> = {
  v1: '赵丽华',
  v2: '钱晓梅',
  v3: '孙雅琴',
  v4: '李秀英',
  s1: '周敏',
  s2: '吴静',
  v5: '郑红',
  v6: '王芳',
  v7: '冯燕',
  s3: '陈洁',
  s4: '褚玲',
};
/** Record ids by key, as the API created them. */
const ids: Record<string, number> = {};
let batch1 = 0;
let batch2 = 0;
let batchB = 0;

async function photoFor(client: ApiClient, n: number): Promise<string> {
  const data = await pngPhoto(360, 480, { r: 200 - n * 8, g: 215 - n * 3, b: 235 });
  const res = await client.upload(`/api/events/${EVENT}/photos`, {
    file: { fileName: `p${n}.png`, data, type: 'image/png' },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.photo.id;
}

async function declare(client: ApiClient, key: string, n: number, cardType: string, photo = true) {
  const res = await client.request('POST', `/api/events/${EVENT}/records`, {
    kind: 'person',
    values: {
      name: NAMES[key] ?? `人员${key}`,
      gender: 'F',
      idType: '1',
      idNumber: idOf(n),
      organization: key.startsWith('b') ? '乙单位办公室' : '甲单位综合处',
      position: '处长',
      mobile: `139${String(10_000_000 + n).slice(-8)}`,
      cardType,
      ...(photo ? { photo: await photoFor(client, n) } : {}),
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  ids[key] = res.body.record.id;
}

async function text(selector: string): Promise<string> {
  return page.$eval(selector, (el) => (el as HTMLElement).innerText.trim());
}

async function signIn(username: string): Promise<void> {
  if (await page.$('#logout')) {
    await page.click('#logout');
  } else {
    await page.goto(`${running.url}/#/login`);
  }
  await page.waitForSelector('#username');
  await page.type('#username', username);
  await page.type('#password', PASSWORD);
  await page.click('button[type="submit"]');
  await page.waitForFunction(() => location.hash === '#/events');
}

const recordRow = (key: string) => `tr[data-record-id="${ids[key]}"]`;

async function waitStatus(key: string, status: string): Promise<void> {
  await page.waitForFunction(
    (sel, s) => document.querySelector(sel)?.getAttribute('data-status') === s,
    { timeout: 10_000 },
    recordRow(key),
    status,
  );
}

/** A number of the unit's context panel: card type × column. */
async function ctx(cardType: string, col: string): Promise<string> {
  return text(`#review-context tr[data-card-type="${cardType}"] [data-col="${col}"]`);
}

async function waitDialog(id: string): Promise<void> {
  await page.waitForSelector(`#${id}[open]`);
}

async function waitNoDialog(id: string): Promise<void> {
  await page.waitForFunction((sel) => !document.querySelector(sel), { timeout: 10_000 }, `#${id}[open]`);
}

const db = () => running.engine.db.sequelize;

async function recordStatus(key: string): Promise<string> {
  const [row] = await db().query<{ status: string }>('SELECT status FROM records WHERE id = :id', {
    type: QueryTypes.SELECT,
    replacements: { id: ids[key] },
  });
  return row!.status;
}

beforeAll(async () => {
  const designerDistDir = await buildDesigner();
  running = await startTestServer({ designerDistDir });
  const admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' });
  await admin.request('POST', '/api/units', { code: 'UB', name: '乙单位' });
  for (const u of [
    { username: 'unit-a', role: 'unit', unitCode: 'UA' },
    { username: 'unit-b', role: 'unit', unitCode: 'UB' },
    { username: 'rev1', role: 'reviewer' },
    { username: 'rev2', role: 'reviewer' },
  ]) {
    const res = await admin.request('POST', '/api/users', { ...u, password: PASSWORD });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  }
  const client = async (username: string) => {
    const c = new ApiClient(running.url);
    await c.login(username, PASSWORD);
    return c;
  };
  unitA = await client('unit-a');
  unitB = await client('unit-b');
  rev2 = await client('rev2');

  // The first batch-to-be of 甲单位: four 贵宾证 (important, quota 5 per unit) and two 工作证.
  await declare(unitA, 'v1', 1, 'VIP');
  await declare(unitA, 'v2', 2, 'VIP');
  await declare(unitA, 'v3', 3, 'VIP');
  await declare(unitA, 'v4', 4, 'VIP');
  await declare(unitA, 's1', 5, 'STAFF');
  await declare(unitA, 's2', 6, 'STAFF', false);
  // 乙单位 applies for the person 甲单位 will declare as v5 (same ID number) and submits.
  await declare(unitB, 'b5', 7, 'STAFF');
  const sub = await unitB.request('POST', `/api/events/${EVENT}/review-batches`, { note: '乙单位第一批' });
  expect(sub.status, JSON.stringify(sub.body)).toBe(201);
  batchB = sub.body.batch.id;

  await mkdir(screenshots, { recursive: true });
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1600, height: 1000 });
});

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

describe('a unit submits two batches from its records list', () => {
  it('submits every draft as the first batch', async () => {
    await signIn('unit-a');
    await page.goto(`${running.url}/#/events/${EVENT}/records/person`);
    await page.waitForSelector(recordRow('s2'));
    expect(await text(`${recordRow('v1')} .status`)).toBe('草稿');
    await page.click('#submit-review');
    await waitDialog('submit-dialog');
    await page.waitForFunction(() => document.querySelector('#submit-summary b') !== null);
    expect(await text('#submit-summary')).toContain('全部 6 条草稿');
    await page.type('#submit-note', '第一批');
    await shot('review-submit-dialog');
    await page.click('#submit-dialog .btn-confirm');
    await waitNoDialog('submit-dialog');
    const link = await page.waitForSelector('#submit-notice [data-review-batch]');
    batch1 = Number(await link!.evaluate((a) => a.getAttribute('data-review-batch')));
    for (const key of ['v1', 'v2', 'v3', 'v4', 's1', 's2']) await waitStatus(key, 'submitted');
    expect(await text(`${recordRow('v1')} .status`)).toBe('审核中');
    const batch = (await unitA.request('GET', `/api/review-batches/${batch1}`)).body.batch;
    expect(batch).toMatchObject({ unit: { code: 'UA' }, note: '第一批', recordCount: 6, status: 'open' });
  });

  it('refuses to edit a record under review with the server’s message', async () => {
    await page.click(`${recordRow('v1')} .row-link`);
    await page.waitForSelector('#save-record');
    expect(await text('#review-note')).toContain('正在审核中');
    await page.click('#save-record');
    const banner = await page.waitForSelector('.record-form .banner-error');
    expect(await banner!.evaluate((el) => el.textContent ?? '')).toContain(
      '该记录正在审核中，审核完成前不能修改',
    );
    expect(await page.$('#submit-record')).toBeNull();
    await shot('review-record-locked');
    expect(await recordStatus('v1')).toBe('submitted');
  });

  it('submits the ticked records as the second batch, leaving the rest as drafts', async () => {
    await declare(unitA, 'v5', 7, 'VIP');
    await declare(unitA, 'v6', 8, 'VIP');
    await declare(unitA, 'v7', 9, 'VIP');
    await declare(unitA, 's3', 10, 'STAFF');
    await declare(unitA, 's4', 11, 'STAFF');
    await page.goto(`${running.url}/#/events/${EVENT}/records/person`);
    await page.waitForSelector(recordRow('s4'));
    // Records under review cannot be ticked.
    expect(await page.$eval(`${recordRow('v1')} .row-check`, (el) => (el as HTMLInputElement).disabled)).toBe(
      true,
    );
    for (const key of ['v5', 'v6', 'v7', 's3']) await page.click(`${recordRow(key)} .row-check`);
    expect(await text('#submit-review')).toBe('提交所选（4）审核');
    await page.click('#submit-review');
    await waitDialog('submit-dialog');
    expect(await text('#submit-summary')).toContain('勾选的 4 条');
    await page.click('#submit-dialog .btn-confirm');
    await waitNoDialog('submit-dialog');
    const link = await page.waitForSelector('#submit-notice [data-review-batch]');
    batch2 = Number(await link!.evaluate((a) => a.getAttribute('data-review-batch')));
    expect(batch2).toBeGreaterThan(batch1);
    for (const key of ['v5', 'v6', 'v7', 's3']) await waitStatus(key, 'submitted');
    await waitStatus('s4', 'draft');
    await shot('review-unit-submitted');
    const batch = (await unitA.request('GET', `/api/review-batches/${batch2}`)).body.batch;
    expect(batch).toMatchObject({ recordCount: 4, counts: { pending: 4 } });
  });
});

describe('a reviewer decides the first batch', () => {
  it('finds the waiting batches with their counts and filters', async () => {
    await signIn('rev1');
    await page.goto(`${running.url}/#/events/${EVENT}`);
    // The event's overview (the dashboard) says what waits, and leads to the list.
    await page.waitForSelector('#overview-review [data-count="pending"]');
    expect(await text('#overview-review [data-count="pending"]')).toBe('11');
    expect(await text('#overview-review .important-pending')).toBe('重要证件 7');
    const nav = await page.waitForSelector('[data-nav="review"]');
    expect(await nav!.evaluate((el) => el.textContent)).toBe('数据审核');
    await nav!.click();
    await page.waitForFunction(() => location.hash === '#/events/EXPO2026/review');
    await page.waitForSelector(`tr[data-batch-id="${batchB}"]`);
    expect(await text('#review-counts [data-count="open"] b')).toBe('3');
    expect(await text('#review-counts [data-count="pending"] b')).toBe('11');
    expect(await text('#review-counts [data-count="important"] b')).toBe('7');
    // Batches with important card types first, then oldest first.
    const order = await page.$$eval('tr[data-batch-id]', (trs) =>
      trs.map((tr) => tr.getAttribute('data-batch-id')),
    );
    expect(order).toEqual([String(batch1), String(batch2), String(batchB)]);
    await shot('review-list');
    await page.click('#review-important');
    await page.waitForFunction((b) => !document.querySelector(`tr[data-batch-id="${b}"]`), {}, batchB);
    expect(await page.$$eval('tr[data-batch-id]', (trs) => trs.length)).toBe(2);
    await page.click('#review-important');
    await page.select('#review-unit', 'UB');
    await page.waitForFunction((b) => !document.querySelector(`tr[data-batch-id="${b}"]`), {}, batch1);
    expect(
      await page.$$eval('tr[data-batch-id]', (trs) => trs.map((t) => t.getAttribute('data-batch-id'))),
    ).toEqual([String(batchB)]);
    await page.select('#review-unit', '');
    await page.select('#review-card-type', 'VIP');
    await page.waitForFunction((b) => !document.querySelector(`tr[data-batch-id="${b}"]`), {}, batchB);
    await page.select('#review-card-type', '');
    await page.type('#review-hours', '2');
    await page.waitForFunction(() => document.querySelectorAll('tr[data-batch-id]').length === 0);
    expect(await text('.reviews-page .grid tr.empty')).toContain('没有符合条件的批次');
    await page.click('.reviews-page .filters-row .btn');
    await page.waitForSelector(`tr[data-batch-id="${batch1}"]`);
  });

  it('opens the first batch with the unit’s context beside it', async () => {
    await page.click(`tr[data-batch-id="${batch1}"] td:nth-child(2)`);
    await page.waitForFunction((b) => location.hash === `#/events/EXPO2026/review/${b}`, {}, batch1);
    await page.waitForSelector(recordRow('s2'));
    expect(await text('#batch-unit')).toBe('甲单位');
    // The records: photo thumbnails, masked ID numbers, the one without a photo flagged (amber).
    expect(await page.$$eval('#review-grid img.thumb', (imgs) => imgs.length)).toBe(5);
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll<HTMLImageElement>('#review-grid img.thumb')).every(
        (img) => img.complete && img.naturalWidth > 0,
      ),
    );
    expect(await text(`${recordRow('v1')} .mono`)).toMatch(/^110101\*+\d{3}[\dX]$/);
    expect(await page.$(`${recordRow('s2')} [data-flags="amber"]`)).not.toBeNull();
    // The context: important first, everything pending counted (both batches).
    const first = await page.$eval('#review-context tbody tr', (tr) => ({
      type: tr.getAttribute('data-card-type'),
      important: tr.getAttribute('data-important'),
      badge: tr.querySelector('.badge-important')?.textContent,
      border: getComputedStyle(tr.querySelector('th')!).boxShadow,
    }));
    expect(first).toMatchObject({ type: 'VIP', important: 'true', badge: '重要' });
    expect(first.border).toContain('inset');
    expect(await ctx('VIP', 'pending')).toBe('7');
    expect(await ctx('VIP', 'inBatch')).toBe('4');
    expect(await ctx('VIP', 'quota')).toBe('5');
    expect(await ctx('VIP', 'remaining')).toBe('5');
    expect(await ctx('VIP', 'remainingAfterBatch')).toBe('1');
    await shot('review-batch1');
  });

  it('decides from the keyboard: approve, tick and approve, reject and return with reasons', async () => {
    // The first waiting record is selected: A approves it at once and moves on.
    expect(await page.$eval('#review-grid tr.selected', (tr) => tr.getAttribute('data-record-id'))).toBe(
      String(ids.v1),
    );
    await page.keyboard.press('a');
    await waitStatus('v1', 'approved');
    await page.waitForFunction(
      (id) => document.querySelector('#review-grid tr.selected')?.getAttribute('data-record-id') === id,
      {},
      String(ids.v2),
    );
    await page.keyboard.press('a');
    await waitStatus('v2', 'approved');
    // Space ticks; A on ticked records asks first.
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    expect(await text('#decision-target')).toContain('所选的 2 条');
    await page.keyboard.press('a');
    await waitDialog('decision-dialog');
    expect(await text('#decision-names')).toBe(`${NAMES.v3}、${NAMES.s1}`);
    await page.keyboard.press('Enter');
    await waitNoDialog('decision-dialog');
    await waitStatus('v3', 'approved');
    await waitStatus('s1', 'approved');
    // R asks for the reason; none given, nothing is sent.
    await page.click(`${recordRow('v4')} td:nth-child(3)`);
    await page.keyboard.press('Escape');
    await page.keyboard.press('r');
    await waitDialog('decision-dialog');
    await page.keyboard.press('Enter');
    expect(await text('#decision-dialog .field-error')).toContain('请填写不通过原因');
    await page.keyboard.type('不符合贵宾证申领范围');
    await page.keyboard.press('Enter');
    await waitNoDialog('decision-dialog');
    await waitStatus('v4', 'rejected');
    // T returns the next one for correction.
    await page.waitForFunction(
      (id) => document.querySelector('#review-grid tr.selected')?.getAttribute('data-record-id') === id,
      {},
      String(ids.s2),
    );
    await page.keyboard.press('t');
    await waitDialog('decision-dialog');
    await page.keyboard.type('请补充照片');
    await page.keyboard.press('Enter');
    await waitStatus('s2', 'returned');
    await page.waitForSelector('[data-batch-status="decided"]');
    expect(await text('#batch-status')).toBe('已审结');
    // The context is read again after each decision.
    expect(await ctx('VIP', 'approved')).toBe('3');
    expect(await ctx('VIP', 'rejected')).toBe('1');
    expect(await ctx('VIP', 'remaining')).toBe('2');
    expect(await ctx('STAFF', 'returned')).toBe('1');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await page.waitForSelector(`#review-detail[data-record-id="${ids.v4}"]`);
    expect(await text('#detail-decision')).toContain('不符合贵宾证申领范围');
    await shot('review-batch1-decided');

    const decisions = await db().query<{ record_id: string; decision: string; reason: string | null }>(
      'SELECT record_id, decision, reason FROM review_decisions WHERE batch_id = :b ORDER BY record_id',
      { type: QueryTypes.SELECT, replacements: { b: batch1 } },
    );
    expect(decisions.map((d) => [Number(d.record_id), d.decision, d.reason])).toEqual([
      [ids.v1, 'approved', null],
      [ids.v2, 'approved', null],
      [ids.v3, 'approved', null],
      [ids.v4, 'rejected', '不符合贵宾证申领范围'],
      [ids.s1, 'approved', null],
      [ids.s2, 'returned', '请补充照片'],
    ]);
    const audited = await db().query<{ n: string }>(
      `SELECT count(*) AS n FROM audit_log WHERE action LIKE 'review\\_%' AND username = 'rev1'`,
      { type: QueryTypes.SELECT },
    );
    expect(Number(audited[0]!.n)).toBe(6);
  });
});

describe('the second batch', () => {
  it('shows the first batch’s decisions, the quota left and a cross-unit duplicate', async () => {
    await page.click('.back-link');
    await page.waitForSelector(`tr[data-batch-id="${batch2}"]`);
    await page.click(`tr[data-batch-id="${batch2}"] td:nth-child(2)`);
    await page.waitForSelector(recordRow('s3'));
    const order = await page.$$eval('#review-context tbody tr', (trs) =>
      trs.map((tr) => tr.getAttribute('data-card-type')),
    );
    expect(order[0]).toBe('VIP');
    expect(await ctx('VIP', 'applied')).toBe('7');
    expect(await ctx('VIP', 'approved')).toBe('3');
    expect(await ctx('VIP', 'rejected')).toBe('1');
    expect(await ctx('VIP', 'pending')).toBe('3');
    expect(await ctx('VIP', 'inBatch')).toBe('3');
    expect(await ctx('VIP', 'remaining')).toBe('2');
    expect(await ctx('VIP', 'remainingAfterBatch')).toBe('-1');
    const after = await page.$eval(
      '#review-context tr[data-card-type="VIP"] [data-col="remainingAfterBatch"]',
      (td) => ({
        cls: td.className,
        color: getComputedStyle(td).color,
      }),
    );
    expect(after.cls).toContain('rem-neg');
    expect(after.color).toBe('rgb(198, 40, 40)');
    expect(await ctx('STAFF', 'approved')).toBe('1');
    expect(await ctx('STAFF', 'returned')).toBe('1');
    expect(await text('#context-over-quota')).toContain('贵宾证超出 1');
    // v5's person was also declared and submitted by 乙单位.
    const dup = await page.$eval(`${recordRow('v5')} [data-duplicate="other-unit"]`, (el) => ({
      text: el.textContent,
      title: el.getAttribute('title'),
    }));
    expect(dup.text).toContain('乙单位');
    expect(dup.title).toContain('审核中');
    expect(await page.$(`${recordRow('v6')} [data-duplicate]`)).toBeNull();
    expect(await text('#context-hints [data-hint="other-unit"] b')).toBe('1');
    // The API says the same as the panel.
    const summary = (await rev2.request('GET', `/api/events/${EVENT}/units/UA/declaration-summary`)).body;
    expect(summary.cardTypes.find((t: Body) => t.code === 'VIP')).toMatchObject({
      applied: 7,
      approved: 3,
      rejected: 1,
      pending: 3,
      quota: 5,
      remaining: 2,
    });
    await page.click(`${recordRow('v5')} td:nth-child(3)`);
    await page.waitForSelector(`#review-detail[data-record-id="${ids.v5}"] [data-duplicate="other-unit"]`);
    expect(await text('#detail-alerts')).toContain('乙单位 也申报了此人');
    await shot('review-batch2');
  });

  it('blocks an approval past the quota, then takes it with an override and a reason', async () => {
    // The whole batch would take 贵宾证 to 6 of 5: refused with the server's message.
    await page.click('[data-batch-decision="approve"]');
    await waitDialog('decision-dialog');
    await page.click('#decision-dialog .btn-confirm');
    await waitDialog('quota-dialog');
    const message = await text('#quota-message');
    expect(message).toContain('超出配额');
    expect(message).toContain('贵宾证配额 5，已通过 3，本次 3');
    expect(await text('#quota-dialog tr[data-card-type="VIP"] .over')).toBe('1');
    await shot('review-quota');
    await page.click('#quota-dialog .btn:not(.btn-confirm)');
    await waitNoDialog('quota-dialog');
    expect((await rev2.request('GET', `/api/review-batches/${batch2}`)).body.batch.counts.pending).toBe(4);

    // Two within the quota go through.
    await page.click(`${recordRow('v5')} .row-check`);
    await page.click(`${recordRow('v6')} .row-check`);
    await page.click('[data-decision="approve"]');
    await waitDialog('decision-dialog');
    await page.click('#decision-dialog .btn-confirm');
    await waitNoDialog('decision-dialog');
    await waitStatus('v5', 'approved');
    await waitStatus('v6', 'approved');
    expect(await ctx('VIP', 'remaining')).toBe('0');

    // The third is one too many: the override needs a reason, which is recorded.
    await page.click(`${recordRow('v7')} td:nth-child(3)`);
    await page.keyboard.press('a');
    await waitDialog('quota-dialog');
    expect(await text('#quota-message')).toContain('已通过 5，本次 1');
    await page.click('#quota-dialog .btn-confirm');
    expect(await text('#quota-dialog .field-error')).toContain('请填写超配额通过原因');
    await page.keyboard.type('组委会特批');
    await page.keyboard.press('Enter');
    await waitNoDialog('quota-dialog');
    await waitStatus('v7', 'approved');
    expect(await text('#review-notice')).toContain('超配额通过');
    expect(await ctx('VIP', 'approved')).toBe('6');
    expect(await ctx('VIP', 'remaining')).toBe('-1');
    const [v7] = await db().query<{ decision: string; reason: string; quota_override: boolean }>(
      'SELECT decision, reason, quota_override FROM review_decisions WHERE record_id = :id',
      { type: QueryTypes.SELECT, replacements: { id: ids.v7 } },
    );
    expect(v7).toEqual({ decision: 'approved', reason: '组委会特批', quota_override: true });
  });

  it('two decisions on one record at once: the browser’s is a conflict, and the screen reloads', async () => {
    await page.click(`${recordRow('s3')} td:nth-child(3)`);
    await page.waitForFunction(
      (id) => document.querySelector('#review-grid tr.selected')?.getAttribute('data-record-id') === id,
      {},
      String(ids.s3),
    );
    // Another reviewer rejects s3 through the API, on the version the browser shows too.
    const view = (await rev2.request('GET', `/api/review-batches/${batch2}`)).body;
    const s3 = view.records.find((r: Body) => r.id === ids.s3);
    const other = await rev2.request('POST', `/api/review-batches/${batch2}/decisions`, {
      decision: 'reject',
      records: [{ id: s3.id, version: s3.version }],
      reason: '重复申报',
    });
    expect(other.status, JSON.stringify(other.body)).toBe(200);
    expect(await ctx('STAFF', 'pending')).toBe('1'); // the browser has not seen it yet

    await page.keyboard.press('a');
    const banner = await page.waitForSelector('#review-conflict');
    const message = await banner!.evaluate((el) => el.textContent ?? '');
    expect(message).toContain('刚被他人审核或修改');
    expect(message).toContain('已重新加载');
    await waitStatus('s3', 'rejected');
    expect(await ctx('STAFF', 'rejected')).toBe('1');
    expect(await ctx('STAFF', 'pending')).toBe('0');
    await page.waitForSelector('[data-batch-status="decided"]');
    await shot('review-conflict');
    const decisions = await db().query<{ decision: string; username: string }>(
      `SELECT d.decision, u.username FROM review_decisions d JOIN users u ON u.id = d.decided_by
        WHERE d.record_id = :id`,
      { type: QueryTypes.SELECT, replacements: { id: ids.s3 } },
    );
    expect(decisions).toEqual([{ decision: 'rejected', username: 'rev2' }]);
    expect(await recordStatus('s3')).toBe('rejected');
  });
});

describe('back at the unit', () => {
  it('sees each decision with its reason, and the review list read-only', async () => {
    await signIn('unit-a');
    await page.goto(`${running.url}/#/events/${EVENT}/records/person`);
    await page.waitForSelector(recordRow('s2'));
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent?.includes('请补充照片'),
      {},
      `${recordRow('s2')}`,
    );
    expect(await text(`${recordRow('s2')} .status`)).toBe('退回修改');
    expect(await text(`${recordRow('v4')} .status`)).toBe('未通过');
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent?.includes('不符合贵宾证申领范围'),
      {},
      recordRow('v4'),
    );
    expect(await text(`${recordRow('v7')} .status`)).toBe('已通过');
    expect(await text(`${recordRow('s4')} .status`)).toBe('草稿');
    // A returned record can be ticked again.
    expect(await page.$eval(`${recordRow('s2')} .row-check`, (el) => (el as HTMLInputElement).disabled)).toBe(
      false,
    );
    await shot('review-unit-records');
    await page.click(`${recordRow('s2')} .row-link`);
    await page.waitForSelector('#review-note[data-status="returned"]');
    expect(await text('#review-note')).toContain('请补充照片');
    await shot('review-record-returned');
    // Corrected (here: as it is) and sent again from the form, as a batch of one.
    await page.click('#submit-record');
    await page.waitForFunction(() =>
      document.querySelector('#save-notice')?.textContent?.includes('已提交审核'),
    );
    await page.waitForSelector('.status-tag[data-status="submitted"]');
    expect(await recordStatus('s2')).toBe('submitted');

    await page.goto(`${running.url}/#/events/${EVENT}/review`);
    await page.waitForSelector('#review-readonly');
    await page.click('[data-status-filter="all"]');
    await page.waitForSelector(`tr[data-batch-id="${batch2}"]`);
    // Its two batches and the one just sent with s2, not 乙单位's.
    expect(await page.$$eval('tr[data-batch-id]', (trs) => trs.length)).toBe(3);
    expect(await page.$(`tr[data-batch-id="${batchB}"]`)).toBeNull();
    await page.click(`tr[data-batch-id="${batch2}"] td:nth-child(2)`);
    await page.waitForSelector(recordRow('v7'));
    expect(await page.$('#decision-bar')).toBeNull();
  });
});
