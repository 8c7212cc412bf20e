// Stored and reflected XSS through every text a user can set, in real Chromium against the built
// designer: unit names, user display names, an event name, record fields, import file names and
// cells, review notes and reasons, a mapping profile's name, a layout's name, search queries and
// error messages that echo input. Every page that shows them is visited as admin and as the unit
// user; `window.__xss` must stay undefined and no dialog may open, while the payloads are seen as
// plain text (the pages really show them). The server's CSP must stop an inline script.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/config.ts';
import type { RunningServer } from '../../server/serve.ts';
import { launchBrowser } from '../support/browser.ts';
import { buildDesigner } from '../support/designer-build.ts';
import { ADMIN_PASSWORD, ApiClient, followTask, startTestServer } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';
import { pngPhoto, simpleWorkbook } from '../support/import-files.ts';

const EVENT = 'EXPO2026';
const PASSWORD = 'Passw0rd-123';
/** Each sets window.__xss if it ever runs; all fit the form's shortest text limits (≤ 50). */
const IMG = '<img src=x onerror=window.__xss=1>';
const SVG = '"><svg onload=window.__xss=1>';
const TPL = "{{constructor.constructor('window.__xss=1')()}}";
const JS = 'javascript:window.__xss=1';

let running: RunningServer;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
const ids = { person: 0, vehicle: 0, batch: 0, review: 0, card: 0 };
const screenshots = path.join(repoRoot, 'test', '.tmp', 'screenshots');

async function signIn(username: string, password = PASSWORD): Promise<void> {
  await page.deleteCookie(...(await page.cookies()));
  await page.goto(`${running.url}/#/login`);
  await page.waitForSelector('#username');
  await page.type('#username', username);
  await page.type('#password', password);
  await page.click('button[type="submit"]');
  await page.waitForFunction(() => location.hash === '#/events');
}

/** Opens a screen and lets it load and render its data. */
async function visit(hash: string): Promise<string> {
  await page.goto(`${running.url}/#${hash}`);
  await page.waitForNetworkIdle({ idleTime: 300, timeout: 20_000 }).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 200));
  // What the screen shows: its text and the values in its inputs (a record form shows fields there).
  return page.evaluate(() =>
    [
      document.body.innerText,
      ...Array.from(document.querySelectorAll('input, textarea'), (el) => (el as HTMLInputElement).value),
    ].join('\n'),
  );
}

const ran = () => page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss);

beforeAll(async () => {
  await mkdir(screenshots, { recursive: true });
  const designerDistDir = await buildDesigner();
  running = await startTestServer({ designerDistDir });
  const admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  const ok = (res: { status: number; body: unknown }, status = 201) =>
    expect(res.status, JSON.stringify(res.body)).toBe(status);

  ok(await admin.request('POST', '/api/units', { code: 'UX', name: `${IMG}单位`, contactName: SVG }));
  for (const u of [
    { username: 'xss-unit', role: 'unit', unitCode: 'UX', displayName: SVG },
    { username: 'xss-rev', role: 'reviewer', displayName: IMG },
    { username: 'xss-op', role: 'operator', displayName: TPL },
  ])
    ok(await admin.request('POST', '/api/users', { ...u, password: PASSWORD }));
  const unit = new ApiClient(running.url);
  await unit.login('xss-unit', PASSWORD);
  const reviewer = new ApiClient(running.url);
  await reviewer.login('xss-rev', PASSWORD);
  const operator = new ApiClient(running.url);
  await operator.login('xss-op', PASSWORD);

  ok(
    await admin.request('POST', '/api/events', {
      template: 'blank',
      code: 'XSS2026',
      name: `${IMG}活动`,
      kind: 'other',
      organizer: SVG,
      startDate: '2026-12-01',
      endDate: '2026-12-02',
    }),
  );

  const photo = await unit.upload(`/api/events/${EVENT}/photos`, {
    file: { fileName: `${IMG}.png`, data: await pngPhoto(390, 520), type: 'image/png' },
  });
  ok(photo);
  const person = await unit.request('POST', `/api/events/${EVENT}/records`, {
    kind: 'person',
    values: {
      name: '王小明',
      gender: 'M',
      idType: '1',
      idNumber: residentId('110101', '19900307', '661'),
      organization: IMG,
      position: TPL,
      mobile: '13800138000',
      cardType: 'STAFF',
      photo: photo.body.photo.id,
    },
  });
  ok(person);
  ids.person = person.body.record.id;
  const vehicle = await unit.request('POST', `/api/events/${EVENT}/records`, {
    kind: 'vehicle',
    values: {
      plateNumber: '京A12345',
      vehicleType: 'SMALL',
      brandModel: JS,
      organization: SVG,
      driverName: '李司机',
      driverIdNumber: residentId('110101', '19800101', '015'),
      mobile: '13800138001',
      cardType: 'VEHICLE',
    },
  });
  ok(vehicle);
  ids.vehicle = vehicle.body.record.id;

  // Review: the unit's note, the reviewer's reason (returned, then resubmitted and approved).
  const batch = await unit.request('POST', `/api/events/${EVENT}/review-batches`, {
    recordIds: [ids.person, ids.vehicle],
    note: `${IMG}${SVG}`,
  });
  ok(batch);
  ids.review = batch.body.batch.id;
  const submitted = await admin.request('GET', `/api/events/${EVENT}/records/${ids.vehicle}`);
  ok(
    await reviewer.request('POST', `/api/review-batches/${ids.review}/decisions`, {
      decision: 'reject',
      records: [{ id: ids.vehicle, version: submitted.body.record.version }],
      reason: `${SVG}${TPL}`,
    }),
    200,
  );
  ok(
    await reviewer.request('POST', `/api/review-batches/${ids.review}/decisions`, {
      decision: 'approve',
      all: true,
    }),
    200,
  );
  const job = await operator.request('POST', `/api/events/${EVENT}/print-jobs`, {
    cardType: 'STAFF',
    units: ['UX'],
    options: { sheet: null, duplex: false, bleedMm: 0, marks: false, backs: false },
  });
  ok(job, 202);
  for (let i = 0; i < 600; i++) {
    const res = await operator.request('GET', `/api/events/${EVENT}/print-jobs/${job.body.job.id}`);
    if (['succeeded', 'failed', 'cancelled'].includes(res.body.job.status)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const cards = await operator.request('GET', `/api/events/${EVENT}/cards`);
  ids.card = cards.body.cards[0].id;
  ok(await operator.request('POST', `/api/events/${EVENT}/cards/${ids.card}/issue`, { issuedTo: IMG }), 200);

  // An import under a hostile file name, with hostile cells, left staged for its grid.
  const staged = await unit.upload(`/api/events/${EVENT}/imports`, {
    kind: 'person',
    file: {
      fileName: `${IMG}.xlsx`,
      data: await simpleWorkbook([
        ['姓名', '性别', '证件号码', '工作单位', '职务', '手机号码', '申请证件类型', SVG],
        [IMG, '男', residentId('110101', '19900307', '671'), SVG, TPL, JS, '工作证', IMG],
      ]),
      type: 'application/octet-stream',
    },
  });
  ok(staged, 202);
  ids.batch = staged.body.batch.id;
  await followTask(unit, staged.body.task.id);

  ok(
    await admin.request('PUT', `/api/events/${EVENT}/mapping-profiles/xss`, {
      code: 'xss',
      recordKind: 'person',
      name: `${IMG}方案`,
      columns: [{ headers: [SVG], field: 'name' }],
    }),
    200,
  );
  const draft = await admin.request('GET', `/api/events/${EVENT}/layouts`);
  const staff = await admin.request('GET', `/api/events/${EVENT}/layouts/staff`);
  ok(
    await admin.request('PUT', `/api/events/${EVENT}/layouts/staff`, {
      revision: draft.body.revision,
      layout: { ...staff.body.layout, name: `${IMG}版式`, description: SVG },
    }),
    200,
  );

  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1440, height: 900 });
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

describe('XSS through every text shown', () => {
  const adminPages = [
    '/events',
    `/events/${EVENT}`,
    `/events/${EVENT}/records/person`,
    `/events/${EVENT}/records/vehicle`,
    () => `/events/${EVENT}/records/person/${ids.person}`,
    () => `/events/${EVENT}/records/vehicle/${ids.vehicle}`,
    `/events/${EVENT}/imports`,
    () => `/events/${EVENT}/imports/${ids.batch}`,
    `/events/${EVENT}/mappings`,
    `/events/${EVENT}/review`,
    () => `/events/${EVENT}/review/${ids.review}`,
    `/events/${EVENT}/production`,
    `/events/${EVENT}/cards`,
    () => `/events/${EVENT}/cards/${ids.card}`,
    `/events/${EVENT}/reports`,
    `/events/${EVENT}/layouts`,
    `/events/${EVENT}/layouts/staff`,
    `/events/${EVENT}/onboarding`,
    '/events/XSS2026',
    '/events/XSS2026/setup',
    '/admin/users',
    '/admin/audit',
    '/admin/logs',
    `/events/${encodeURIComponent(IMG)}`,
    `/events/${EVENT}/records/${encodeURIComponent(SVG)}`,
    `/verify/${encodeURIComponent(IMG)}`,
    `/help/${encodeURIComponent(IMG)}`,
  ];

  it('no page an admin opens runs a payload, and the payloads show as text', async () => {
    await signIn('admin', ADMIN_PASSWORD);
    const seen = new Set<string>();
    for (const entry of adminPages) {
      const hash = typeof entry === 'function' ? entry() : entry;
      const text = await visit(hash);
      for (const p of [IMG, SVG, TPL, JS]) if (text.includes(p)) seen.add(p);
      expect(await ran(), hash).toBeUndefined();
    }
    await page.screenshot({ path: path.join(screenshots, 'security-xss-admin.png'), fullPage: true });
    expect(dialogs).toEqual([]);
    // The pages really showed the stored values, literally.
    expect([...seen].sort()).toEqual([IMG, JS, SVG, TPL].sort());
  }, 300_000);

  it('search queries and error messages that echo them run nothing', async () => {
    await visit(`/events/${EVENT}/search`);
    for (const q of [IMG, SVG, TPL, JS, `${IMG}王小明`]) {
      await page.waitForSelector('#search-input');
      await page.click('#search-input', { count: 3 });
      await page.keyboard.press('Backspace');
      await page.type('#search-input', q);
      await page.keyboard.press('Enter');
      await page.waitForNetworkIdle({ idleTime: 300, timeout: 20_000 }).catch(() => undefined);
      expect(await ran(), q).toBeUndefined();
    }
    // A record form saved with a bad value: the error that names it is text.
    await visit(`/events/${EVENT}/records/person/new`);
    expect(await ran()).toBeUndefined();
    expect(dialogs).toEqual([]);
  }, 120_000);

  it('the unit user’s own screens (its unit and display name in the top bar) run nothing', async () => {
    await signIn('xss-unit');
    for (const hash of [
      '/events',
      `/events/${EVENT}`,
      `/events/${EVENT}/records/person`,
      `/events/${EVENT}/records/vehicle/${ids.vehicle}`,
      `/events/${EVENT}/imports`,
      `/events/${EVENT}/imports/${ids.batch}`,
      `/events/${EVENT}/review`,
      `/events/${EVENT}/cards`,
      `/events/${EVENT}/search`,
    ]) {
      await visit(hash);
      expect(await ran(), hash).toBeUndefined();
    }
    const top = await page.evaluate(() => document.body.innerText);
    expect(top).toContain(SVG);
    await page.screenshot({ path: path.join(screenshots, 'security-xss-unit.png'), fullPage: true });
    expect(dialogs).toEqual([]);
  }, 120_000);

  it('the server’s Content-Security-Policy stops an inline script and a javascript: URL', async () => {
    const res = await fetch(`${running.url}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? /default-src ([^;]*)/.exec(csp)?.[1] ?? '';
    expect(scriptSrc).toBe("'self'");
    expect(csp).toContain("object-src 'none'");
    const api = await fetch(`${running.url}/api/health`);
    expect(api.headers.get('content-security-policy')).toBe(csp);
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    await visit('/events');
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__xss = "inline"';
      document.head.appendChild(script);
      const a = document.createElement('a');
      a.href = 'javascript:window.__xss="href"';
      document.body.appendChild(a);
      a.click();
      const img = document.createElement('img');
      img.setAttribute('onerror', 'window.__xss="handler"');
      img.src = 'x:';
      document.body.appendChild(img);
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(await ran()).toBeUndefined();
  });
});
