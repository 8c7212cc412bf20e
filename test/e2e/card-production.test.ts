// Card production and management (证件制作, 证件管理, 扫码核验) in Chromium against the real server and
// PostgreSQL, as an operator would do it on the first day: the admin adds an operator; approved
// records (set up through the API) wait per card type; the operator ticks a range with Shift and
// prints it as single cards (the progress bar runs to done, the PDF has a front and a back page per
// card), prints the rest of one unit as an A4 sheet (the card without a photo is listed as a
// problem), finds a card, issues it, reports it lost and reprints it (a new version of the same
// number goes straight into a print job), and at the gate the old card's QR code is red and the new
// one green — typed by a scanner, and opened from the URL the QR code holds. A reviewer does not see
// 证件制作; a unit sees its own cards read-only. Each step is checked in the page and through the API.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PDFDocument } from 'pdf-lib';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardSigner } from '../../core/cards/verify.ts';
import { repoRoot } from '../../core/config.ts';
import { loadSigningKeys } from '../../core/crypto/secrets.ts';
import type { RunningServer } from '../../server/serve.ts';
import { launchBrowser } from '../support/browser.ts';
import { buildDesigner } from '../support/designer-build.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';
import { pngPhoto } from '../support/import-files.ts';

let running: RunningServer;
let browser: Browser;
let page: Page;
let admin: ApiClient;
let operator: ApiClient;

const PASSWORD = 'Passw0rd-123';
const EVENT = 'EXPO2026';
const screenshots = path.join(repoRoot, 'test', '.tmp', 'screenshots');
const shot = (name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`) });

/** Five 工作证 applicants: three of 甲单位, two of 乙单位 (the last one without a photo). */
const PEOPLE = [
  { key: 'a1', unit: 'UA', name: '赵建国' },
  { key: 'a2', unit: 'UA', name: '钱志强' },
  { key: 'a3', unit: 'UA', name: '孙立华' },
  { key: 'b1', unit: 'UB', name: '李明哲' },
  { key: 'b2', unit: 'UB', name: '周文涛', noPhoto: true },
] as const;
const ids: Record<string, number> = {};

const idOf = (n: number) =>
  residentId('110101', `1980${String(1 + (n % 12)).padStart(2, '0')}1${n % 10}`, String(101 + n * 2));

async function declare(n: number, p: (typeof PEOPLE)[number]): Promise<void> {
  let photo: string | undefined;
  if (!('noPhoto' in p)) {
    const data = await pngPhoto(360, 480, { r: 180 + n * 10, g: 200, b: 225 - n * 10 });
    const up = await admin.upload(`/api/events/${EVENT}/photos`, {
      file: { fileName: `${p.key}.png`, data, type: 'image/png' },
    });
    expect(up.status, JSON.stringify(up.body)).toBe(201);
    photo = up.body.photo.id;
  }
  const res = await admin.request('POST', `/api/events/${EVENT}/records`, {
    kind: 'person',
    unitCode: p.unit,
    values: {
      name: p.name,
      gender: 'M',
      idType: '1',
      idNumber: idOf(n),
      organization: p.unit === 'UA' ? '甲单位综合处' : '乙单位办公室',
      position: '干事',
      mobile: `138${String(20_000_000 + n).slice(-8)}`,
      cardType: 'STAFF',
      ...(photo ? { photo } : {}),
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  ids[p.key] = res.body.record.id;
}

/** Submits a unit's drafts and approves the whole batch (the review is not this test's subject). */
async function approveUnit(unitCode: string): Promise<void> {
  const sub = await admin.request('POST', `/api/events/${EVENT}/review-batches`, { unitCode });
  expect(sub.status, JSON.stringify(sub.body)).toBe(201);
  const decide = await admin.request('POST', `/api/review-batches/${sub.body.batch.id}/decisions`, {
    decision: 'approve',
    all: true,
  });
  expect(decide.status, JSON.stringify(decide.body)).toBe(200);
}

async function text(selector: string): Promise<string> {
  return page.$eval(selector, (el) => (el as HTMLElement).innerText.trim());
}

async function signIn(username: string, password = PASSWORD): Promise<void> {
  if (await page.$('#logout')) {
    await page.click('#logout');
  } else {
    await page.goto(`${running.url}/#/login`);
  }
  await page.waitForSelector('#username');
  await page.type('#username', username);
  await page.type('#password', password);
  await page.click('button[type="submit"]');
  await page.waitForFunction(() => location.hash === '#/events');
}

async function waitDialog(id: string): Promise<void> {
  await page.waitForSelector(`#${id}[open]`);
}

async function waitNoDialog(id: string): Promise<void> {
  await page.waitForFunction((sel) => !document.querySelector(sel), { timeout: 10_000 }, `#${id}[open]`);
}

async function pdfPages(jobId: number): Promise<number> {
  const res = await operator.download(`/api/events/${EVENT}/print-jobs/${jobId}/pdf`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/pdf');
  expect(res.data.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  return (await PDFDocument.load(res.data)).getPageCount();
}

/** Waits until the job's row says it is done; returns the job as the API has it. */
async function waitJobDone(jobId: number): Promise<Body> {
  await page.waitForFunction(
    (id) => document.querySelector(`tr[data-job-id="${id}"]`)?.getAttribute('data-status') === 'succeeded',
    { timeout: 120_000, polling: 200 },
    jobId,
  );
  const res = await operator.request('GET', `/api/events/${EVENT}/print-jobs/${jobId}`);
  expect(res.status).toBe(200);
  return res.body.job;
}

async function tabCount(cardType: string): Promise<string> {
  return text(`.tabs [data-card-type="${cardType}"] .tab-count`);
}

/** The token a card's QR code carries: signed with the office's key, as the print does. */
async function tokenOf(cardId: number): Promise<string> {
  const { card } = (await operator.request('GET', `/api/events/${EVENT}/cards/${cardId}`)).body;
  const signer = new CardSigner(loadSigningKeys(running.engine.config.dataDir));
  return signer.sign({
    eventCode: EVENT,
    cardId,
    cardVersion: card.cardVersion,
    cardNumber: card.cardNumber,
  });
}

beforeAll(async () => {
  const designerDistDir = await buildDesigner();
  running = await startTestServer({ designerDistDir });
  admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' });
  await admin.request('POST', '/api/units', { code: 'UB', name: '乙单位' });
  for (const u of [
    { username: 'rev1', role: 'reviewer' },
    { username: 'unit-a', role: 'unit', unitCode: 'UA' },
  ]) {
    const res = await admin.request('POST', '/api/users', { ...u, password: PASSWORD });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  }
  for (const [n, p] of PEOPLE.entries()) await declare(n + 1, p);
  await approveUnit('UA');
  await approveUnit('UB');

  await mkdir(screenshots, { recursive: true });
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1440, height: 900 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

describe('roles', () => {
  it('the admin adds an operator, who sees 证件制作 and 证件管理; a reviewer sees neither', async () => {
    await signIn('admin', ADMIN_PASSWORD);
    const res = await admin.request('POST', '/api/users', {
      username: 'op1',
      role: 'operator',
      displayName: '王制证',
      password: PASSWORD,
    });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    operator = new ApiClient(running.url);
    expect((await operator.login('op1', PASSWORD)).status).toBe(200);

    await signIn('rev1');
    await page.goto(`${running.url}/#/events/${EVENT}`);
    await page.waitForSelector('[data-nav="event-overview"]');
    expect(await page.$('[data-nav="production"]')).toBeNull();
    expect(await page.$('[data-nav="cards"]')).toBeNull();
    expect(await page.$('[data-nav="verify"]')).not.toBeNull();

    await signIn('op1');
    await page.goto(`${running.url}/#/events/${EVENT}`);
    const nav = await page.waitForSelector('[data-nav="production"]');
    expect(await nav!.evaluate((el) => el.textContent)).toBe('证件制作');
    expect(await text('[data-nav="cards"]')).toBe('证件管理');
  });
});

describe('证件制作', () => {
  let firstJob = 0;

  it('lists the approved records per card type and prints a Shift-range as single cards', async () => {
    await page.click('[data-nav="production"]');
    await page.waitForFunction(() => location.hash === '#/events/EXPO2026/production');
    await page.waitForSelector(`tr[data-record-id="${ids.b2}"]`);
    expect(await page.$eval('.tabs .tab.active', (el) => el.getAttribute('data-card-type'))).toBe('STAFF');
    expect(await tabCount('STAFF')).toBe('5');
    expect(await text('#printable-grid .dt-count')).toBe('共 5 条');

    // 甲单位's three: the first row by click, the last by Shift-click.
    await page.waitForSelector('#production-unit option[value="UA"]');
    await page.select('#production-unit', 'UA');
    await page.waitForFunction(
      () => document.querySelectorAll('#printable-grid tr[data-record-id]').length === 3,
    );
    const range = await page.$$eval('#printable-grid tr[data-record-id]', (trs) =>
      trs.map((tr) => Number(tr.getAttribute('data-record-id'))),
    );
    expect([...range].sort()).toEqual([ids.a1, ids.a2, ids.a3].sort());
    await page.click(`tr[data-record-id="${range[0]}"] .row-check`);
    await page.keyboard.down('Shift');
    await page.click(`tr[data-record-id="${range[2]}"] .row-check`);
    await page.keyboard.up('Shift');
    expect(await text('#print-selected')).toBe('制作所选（3）');
    const ticked = await page.$$eval(
      '#printable-grid .row-check',
      (boxes) => boxes.filter((b) => (b as HTMLInputElement).checked).length,
    );
    expect(ticked).toBe(3);

    await page.click('#print-selected');
    await waitDialog('print-dialog');
    await page.click('#print-dialog [data-sheet="single"]');
    if (!(await page.$eval('#print-dialog [data-opt="backs"]', (el) => (el as HTMLInputElement).checked)))
      await page.click('#print-dialog [data-opt="backs"]');
    expect(await text('#print-dialog [data-print-summary]')).toContain('单张');
    await shot('cards-print-dialog');
    await page.click('#print-dialog .btn-confirm');
    await waitNoDialog('print-dialog');
    const notice = await text('#production-notice');
    const match = /任务 #(\d+)/.exec(notice);
    expect(match, notice).not.toBeNull();
    firstJob = Number(match![1]);
    // While it renders the row shows a progress bar; then it is done.
    await page.waitForSelector(`tr[data-job-id="${firstJob}"]`);
    await shot('cards-production-running');
    const job = await waitJobDone(firstJob);
    expect(job).toMatchObject({ cardCount: 3, status: 'succeeded', options: { sheet: null, backs: true } });
    expect(await pdfPages(firstJob)).toBe(6); // a front and a back page per card

    // Printed records leave the list; the tabs count within the filters.
    await page.waitForFunction(
      () => document.querySelectorAll('#printable-grid tr[data-record-id]').length === 0,
    );
    expect(await text('#printable-grid tr.empty')).toBe('没有符合筛选条件的待制作记录');
    expect(await tabCount('STAFF')).toBe('0');
    const cards = await operator.request('GET', `/api/events/${EVENT}/cards?status=printed`);
    expect(cards.body.total).toBe(3);
    expect(cards.body.cards.map((c: Body) => c.recordId).sort()).toEqual([...range].sort());
  });

  it('prints every record of one unit as an A4 sheet; the card without a photo is listed as a problem', async () => {
    await page.select('#production-unit', 'UB');
    await page.waitForFunction(
      (allowed) => {
        const rows = Array.from(document.querySelectorAll('#printable-grid tr[data-record-id]'));
        return (
          rows.length > 0 && rows.every((tr) => allowed.includes(Number(tr.getAttribute('data-record-id'))))
        );
      },
      {},
      [ids.b1, ids.b2],
    );
    const left = await page.$$eval('#printable-grid tr[data-record-id]', (trs) =>
      trs.map((tr) => Number(tr.getAttribute('data-record-id'))),
    );
    expect(left.sort()).toEqual([ids.b1, ids.b2].sort());
    expect(await tabCount('STAFF')).toBe('2');
    expect(await text('#print-all')).toBe('制作全部筛选结果（2）');
    await page.click('#print-all');
    await waitDialog('print-dialog');
    await page.click('#print-dialog [data-sheet="A4"]');
    expect(await text('#print-dialog [data-print-summary]')).toContain('A4 拼版');
    await page.click('#print-dialog .btn-confirm');
    await waitNoDialog('print-dialog');
    const jobId = Number(/任务 #(\d+)/.exec(await text('#production-notice'))![1]);
    expect(jobId).toBeGreaterThan(firstJob);
    const job = await waitJobDone(jobId);
    expect(job.options).toMatchObject({ sheet: 'A4' });
    const pages = await pdfPages(jobId);
    expect(pages % 2).toBe(0); // fronts and backs on their own sheets
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(job.problems.map((p: Body) => p.recordId)).toEqual([ids.b2]);
    await page.click(`tr[data-job-id="${jobId}"] td:nth-child(2)`);
    await page.waitForSelector(`#job-problems [data-problem-record="${ids.b2}"]`);
    expect(await text(`#job-problems [data-problem-record="${ids.b2}"]`)).toContain('周文涛');
    expect(await text(`tr[data-job-id="${jobId}"] [data-problems]`)).toBe('1');
    await page.click(`tr[data-job-id="${jobId}"] [data-act="preview"]`);
    await page.waitForSelector('#pdf-preview iframe');
    expect(await page.$eval('#pdf-preview iframe', (f) => f.getAttribute('src'))).toBe(
      `/api/events/${EVENT}/print-jobs/${jobId}/pdf`,
    );
    await page.click('#pdf-preview .pdf-head button');
    await page.waitForFunction(() => !document.querySelector('#pdf-preview'));
    await shot('cards-production');
  });
});

describe('证件管理 and one card', () => {
  let oldCard = 0;
  let newCard = 0;

  it('lists the cards with status counts and finds one by name', async () => {
    await page.click('[data-nav="cards"]');
    await page.waitForFunction(() => location.hash === '#/events/EXPO2026/cards');
    await page.waitForSelector('tr[data-card-id]');
    expect(await text('[data-status-chip="printed"] b')).toBe('5');
    await page.type('#cards-search', '赵建国');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('tr[data-card-id]').length === 1);
    await shot('cards-list');
    oldCard = Number(await page.$eval('tr[data-card-id]', (tr) => tr.getAttribute('data-card-id')));
    await page.click('tr[data-card-id] td:nth-child(3)');
    await page.waitForFunction((id) => location.hash === `#/events/EXPO2026/cards/${id}`, {}, oldCard);
    await page.waitForSelector('#card-actions');
    expect(await text('#card-holder')).toBe('赵建国');
  });

  it('issues the card, reports it lost and reprints it as a new version', async () => {
    const cardState = () => page.$eval('.card-page', (el) => el.getAttribute('data-card-status'));
    expect(await cardState()).toBe('printed');
    await page.keyboard.press('i');
    await waitDialog('card-act-dialog');
    await page.type('#card-act-dialog .confirm-input', '赵建国本人');
    await page.keyboard.press('Enter');
    await waitNoDialog('card-act-dialog');
    await page.waitForFunction(
      () => document.querySelector('.card-page')?.getAttribute('data-card-status') === 'issued',
    );

    await page.keyboard.press('l');
    await waitDialog('card-act-dialog');
    // The reason is required.
    await page.click('#card-act-dialog .btn-confirm');
    expect(await text('#card-act-dialog .field-error')).toBe('请填写挂失原因');
    await page.type('#card-act-dialog .confirm-input', '持证人报告遗失');
    await page.click('#card-act-dialog .btn-confirm');
    await waitNoDialog('card-act-dialog');
    await page.waitForFunction(
      () => document.querySelector('.card-page')?.getAttribute('data-card-status') === 'lost',
    );
    expect(await text('#card-reason')).toBe('持证人报告遗失');
    expect(
      await page.$$eval('#card-history li[data-action]', (lis) =>
        lis.map((li) => li.getAttribute('data-action')),
      ),
    ).toEqual(expect.arrayContaining(['issue', 'lost']));

    await page.keyboard.press('p');
    await waitDialog('reprint-dialog');
    await page.type('#reprint-dialog .confirm-input', '原证遗失，补制');
    await page.click('#reprint-dialog [data-sheet="single"]');
    await shot('cards-reprint-dialog');
    await page.click('#reprint-dialog .btn-confirm');
    await page.waitForFunction((id) => !location.hash.endsWith(`/cards/${id}`), {}, oldCard);
    newCard = Number(/\/cards\/(\d+)$/.exec(await page.evaluate(() => location.hash))![1]);
    await page.waitForSelector('#card-job');
    await page.waitForFunction(
      () => document.querySelector('.card-page')?.getAttribute('data-card-status') === 'printed',
      { timeout: 120_000, polling: 200 },
    );
    expect(await text('.page-head .version')).toBe('第 2 版');
    const detail = (await operator.request('GET', `/api/events/${EVENT}/cards/${newCard}`)).body;
    expect(detail.card).toMatchObject({ cardVersion: 2, status: 'printed' });
    expect(detail.versions.map((v: Body) => v.cardVersion)).toEqual([2, 1]);
    expect(await pdfPages(detail.card.printJobId)).toBe(2);
    expect(await page.$$eval('#card-versions tr[data-version]', (trs) => trs.length)).toBe(2);

    // The new card is handed over too.
    await page.keyboard.press('i');
    await waitDialog('card-act-dialog');
    await page.type('#card-act-dialog .confirm-input', '赵建国本人');
    await page.keyboard.press('Enter');
    await waitNoDialog('card-act-dialog');
    await page.waitForFunction(
      () => document.querySelector('.card-page')?.getAttribute('data-card-status') === 'issued',
    );
    await shot('cards-card-detail');
  });

  it('at the gate the old card is red and the new one green', async () => {
    const oldToken = await tokenOf(oldCard);
    const newToken = await tokenOf(newCard);
    await page.click('[data-nav="verify"]');
    await page.waitForSelector('#verify-input');
    await page.select('#verify-event', EVENT);
    await page.type('#verify-input', oldToken);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#verify-result[data-outcome]');
    const old = await page.$eval('#verify-result', (el) => ({
      outcome: el.getAttribute('data-outcome'),
      tone: el.getAttribute('data-tone'),
    }));
    expect(['lost', 'replaced']).toContain(old.outcome);
    expect(old.tone).toBe('red');
    expect(['已挂失', '已补制（旧证作废）']).toContain(await text('#verify-verdict'));
    expect(await text('#verify-name')).toBe('赵建国');
    await shot('cards-verify-red');

    // A scanner types the URL the QR code holds, then Enter.
    await page.type('#verify-input', `${running.url}/v/${encodeURIComponent(newToken)}`);
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () => document.querySelector('#verify-result')?.getAttribute('data-outcome') === 'valid',
    );
    expect(await text('#verify-verdict')).toBe('有效');
    expect(await page.$eval('#verify-result', (el) => el.getAttribute('data-tone'))).toBe('green');
    expect(await text('#verify-version')).toContain('第 2 版');
    expect(await page.$$eval('#recent-scans tr[data-outcome]', (trs) => trs.length)).toBe(2);
    await shot('cards-verify-green');

    // Opening the QR code's URL in the browser lands on 扫码核验 with it checked.
    await page.goto(`${running.url}/v/${encodeURIComponent(newToken)}`);
    await page.waitForFunction(() => location.hash === '#/verify');
    await page.waitForFunction(
      () => document.querySelector('#verify-result')?.getAttribute('data-outcome') === 'valid',
    );
  });

  it('a unit sees its own cards, read-only', async () => {
    await signIn('unit-a');
    await page.goto(`${running.url}/#/events/${EVENT}/cards`);
    await page.waitForSelector('tr[data-card-id]');
    const units = await page.$$eval('tr[data-card-id] td:nth-child(5)', (tds) =>
      tds.map((td) => td.textContent?.trim()),
    );
    expect(new Set(units)).toEqual(new Set(['甲单位']));
    expect(await page.$('[data-nav="production"]')).toBeNull();
    await page.click(`tr[data-card-id="${newCard}"] td:nth-child(3)`);
    await page.waitForSelector('#card-holder');
    expect(await page.$('#card-actions')).toBeNull();
  });
});
