// The card designer (证件版式) in Chromium against the real server and PostgreSQL, as a designer
// who has never used it: from the event, a new layout from blank for the 工作证 card type; a band,
// the bound name, a photo and a QR code added; the name dragged and the photo resized with the
// mouse (snapped to the grid), the resize undone with Ctrl+Z, two elements aligned; the preview
// shows a real record of the event; saved and published. The published layout then prints real
// records through the proof route: pdfinfo says every page is the card size, pdftotext finds the
// Chinese name. Screenshots at 1440×900 go to test/.tmp/screenshots.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/config.ts';
import type { RunningServer } from '../../server/serve.ts';
import { launchBrowser } from '../support/browser.ts';
import { buildDesigner } from '../support/designer-build.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';
import { pngPhoto } from '../support/import-files.ts';

const exec = promisify(execFile);
const PASSWORD = 'Passw0rd-123';
const EVENT = 'EXPO2026';
const NAMES = ['欧阳晓东', '司马婷婷'];
const screenshots = path.join(repoRoot, 'test', '.tmp', 'screenshots');

let running: RunningServer;
let browser: Browser;
let page: Page;
let designer: ApiClient;
let dir: string;
const recordIds: number[] = [];
/** Messages of confirm() dialogs; the next one is answered “cancel” when asked. */
const dialogs: string[] = [];
let dismissNextDialog = false;

const withCtrl = async (key: string) => {
  await page.keyboard.down('Control');
  await page.keyboard.press(key as Parameters<Page['keyboard']['press']>[0]);
  await page.keyboard.up('Control');
};
const layerIds = () =>
  page.$$eval('#layers li[data-layer]', (li) => li.map((l) => l.getAttribute('data-layer')));

const shot = (name: string) => page.screenshot({ path: path.join(screenshots, `card-designer-${name}.png`) });

/** The layout as the server has it now (draft or published). */
async function serverLayout(): Promise<Body> {
  const res = await designer.request('GET', `/api/events/${EVENT}/layouts/staff-new`);
  expect(res.status).toBe(200);
  return res.body;
}

const valueOf = (sel: string) => page.$eval(sel, (el) => Number((el as HTMLInputElement).value));

async function box(selector: string) {
  const handle = await page.waitForSelector(selector);
  const b = await handle!.boundingBox();
  if (!b) throw new Error(`${selector} is not visible`);
  return b;
}

/** Presses the mouse at (x, y), moves in steps to (x + dx, y + dy) and lets go. */
async function dragBy(
  x: number,
  y: number,
  dx: number,
  dy: number,
  beforeUp?: () => Promise<void>,
): Promise<void> {
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(x + (dx * i) / 8, y + (dy * i) / 8);
  await beforeUp?.();
  await page.mouse.up();
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-designer-e2e-'));
  await mkdir(screenshots, { recursive: true });
  const designerDistDir = await buildDesigner();
  running = await startTestServer({ designerDistDir });
  const admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' });
  for (const u of [
    { username: 'unit-a', role: 'unit', unitCode: 'UA' },
    { username: 'zhou', role: 'designer', displayName: '周设计' },
  ])
    await admin.request('POST', '/api/users', { ...u, password: PASSWORD });
  const unit = new ApiClient(running.url);
  await unit.login('unit-a', PASSWORD);
  for (const [i, name] of NAMES.entries()) {
    const photo = await unit.upload(`/api/events/${EVENT}/photos`, {
      file: {
        fileName: `p${i}.png`,
        data: await pngPhoto(360, 480, { r: 40, g: 90, b: 170 }),
        type: 'image/png',
      },
    });
    const res = await unit.request('POST', `/api/events/${EVENT}/records`, {
      kind: 'person',
      values: {
        name,
        gender: 'M',
        idType: '1',
        idNumber: residentId('110101', `1990040${i + 1}`, String(311 + i * 2)),
        organization: '甲单位信息中心',
        mobile: `1370000000${i}`,
        cardType: 'STAFF',
        photo: photo.body.photo.id,
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    recordIds.push(res.body.record.id);
  }
  designer = new ApiClient(running.url);
  await designer.login('zhou', PASSWORD);
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1440, height: 900 });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void (dismissNextDialog ? d.dismiss() : d.accept());
    dismissNextDialog = false;
  });
});

afterAll(async () => {
  await browser?.close();
  await running?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('card designer', () => {
  it('signs in as a designer and finds 证件版式 from the event', async () => {
    await page.goto(`${running.url}/#/login`);
    await page.waitForSelector('#username');
    await page.type('#username', 'zhou');
    await page.type('#password', PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForFunction(() => location.hash === '#/events');
    await page.goto(`${running.url}/#/events/${EVENT}`);
    const link = await page.waitForSelector('.sidenav a[href$="/layouts"]');
    expect(await link!.evaluate((a) => a.textContent?.trim())).toBe('证件版式');
    await link!.click();
    await page.waitForSelector('#layout-list tr[data-layout="vip"]');
    await shot('list');
  });

  it('creates a layout from blank for 工作证 and adds a band, the name, a photo and a QR code', async () => {
    await page.click('#new-layout');
    await page.waitForSelector('#new-card-type');
    await page.select('#new-card-type', 'STAFF');
    await page.$eval('#new-code', (el) => ((el as HTMLInputElement).value = ''));
    await page.type('#new-code', 'staff-new');
    await page.click('#create-layout');
    await page.waitForSelector('#layout-stage');
    expect(await page.evaluate(() => location.hash)).toBe(`#/events/${EVENT}/layouts/staff-new`);
    await page.click('[data-add="band"]');
    await page.click('[data-field="name"]');
    await page.click('[data-add="photo"]');
    await page.click('[data-add="qrcode"]');
    for (const id of ['band', 'name', 'photo', 'qr'])
      await page.waitForSelector(`#layout-stage [data-id="${id}"]`);
    expect(await page.$$eval('#layers li[data-layer]', (li) => li.length)).toBe(4);
  });

  it('drags the name and resizes the photo with the mouse, snapping to the grid; undo takes the resize back', async () => {
    // The photo to the left by typing its position (the properties panel).
    await page.click('#layers li[data-layer="photo"] .ln');
    for (const [sel, v] of [
      ['#prop-x', '5'],
      ['#prop-y', '13'],
    ] as const) {
      await page.click(sel, { clickCount: 3 });
      await page.type(sel, v);
    }
    await page.waitForFunction(() =>
      document.querySelector('.status-bar')?.textContent?.includes('X 5 Y 13'),
    );

    // The name to the right of the photo and up, by mouse (on a part of it the photo no longer covers).
    await page.click('#layers li[data-layer="name"] .ln');
    const x0 = await valueOf('#prop-x');
    const y0 = await valueOf('#prop-y');
    const name = await box('#layout-stage [data-id="name"]');
    const zoom = (await page.$eval('.tl .mono', (el) => parseInt(el.textContent ?? '100', 10))) / 100;
    const pxPerMm = (96 / 25.4) * zoom;
    // Its middle is under the QR code: take it by its right end.
    await dragBy(
      name.x + name.width * 0.9,
      name.y + name.height / 2,
      (31.3 - x0) * pxPerMm,
      (13.2 - y0) * pxPerMm,
      async () => {
        // Near the photo's top edge: snapped onto it, the guide drawn along it.
        expect(await page.$$eval('#layout-stage .guide', (g) => g.length)).toBeGreaterThan(0);
        await shot('guides');
      },
    );
    expect(await page.$eval('.status-bar', (el) => el.textContent)).toContain('name:');
    const x1 = await valueOf('#prop-x');
    const y1 = await valueOf('#prop-y');
    expect(x1).toBeGreaterThan(x0 + 3);
    expect(y1).toBe(13);
    expect(await page.$$eval('#layout-stage .guide', (g) => g.length)).toBe(0);
    // Snapped onto the 1 mm grid (or an element edge within 6 px).
    expect(Math.abs(x1 - Math.round(x1)) < 0.01 || Math.abs(x1 - 27) < 0.01).toBe(true);

    // The photo made bigger by its bottom-right handle.
    await page.click('#layers li[data-layer="photo"] .ln');
    const photo = await box('#layout-stage [data-id="photo"]');
    const w0 = await valueOf('#prop-w');
    const se = await box('#layout-stage [data-id="photo"] [data-handle="se"]');
    await dragBy(se.x + se.width / 2, se.y + se.height / 2, 3 * pxPerMm, 4 * pxPerMm);
    const w1 = await valueOf('#prop-w');
    expect(w1).toBeGreaterThan(w0 + 2);
    // Snapped: the right edge lands on the 1 mm grid or another element's edge.
    await shot('editing');
    await page.keyboard.down('Control');
    await page.keyboard.press('z');
    await page.keyboard.up('Control');
    await page.waitForFunction(
      (w) => Number((document.querySelector('#prop-w') as HTMLInputElement).value) === w,
      {},
      w0,
    );
    expect(photo.width).toBeGreaterThan(0);
    // Redo and undo again from the toolbar.
    await page.click('#redo');
    expect(await valueOf('#prop-w')).toBe(w1);
    await page.click('#undo');
    expect(await valueOf('#prop-w')).toBe(w0);
  });

  it('aligns the name and the QR code to the left and nudges with the keyboard', async () => {
    await page.click('#layers li[data-layer="name"] .ln');
    await page.keyboard.down('Shift');
    await page.click('#layers li[data-layer="qr"] .ln');
    await page.keyboard.up('Shift');
    await page.click('[data-align="left"]');
    // One of them alone: arrows move 0.1 mm, shift+arrow 1 mm.
    await page.click('#layers li[data-layer="qr"] .ln');
    const qx = await valueOf('#prop-x');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.down('Shift');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.up('Shift');
    expect(Math.round((await valueOf('#prop-x')) * 10) / 10).toBe(Math.round((qx + 1.1) * 10) / 10);
    await page.keyboard.down('Shift');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.up('Shift');
    await page.keyboard.press('ArrowLeft');
    expect(await valueOf('#prop-x')).toBe(qx);
    // Below the name: eight steps of 1 mm down.
    await page.keyboard.down('Shift');
    for (let i = 0; i < 8; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.up('Shift');
  });

  it('shows the sample record on the canvas, copies with the keyboard, and asks before leaving unsaved', async () => {
    // New elements were laid out side by side, not on top of each other.
    const boxes = await page.$$eval('#layout-stage .el', (els) =>
      els.map((e) => {
        const r = e.getBoundingClientRect();
        return { id: e.getAttribute('data-id'), l: r.left, t: r.top, r: r.right, b: r.bottom };
      }),
    );
    const nameBox = boxes.find((b) => b.id === 'name')!;
    const photoBox = boxes.find((b) => b.id === 'photo')!;
    expect(
      nameBox.r <= photoBox.l ||
        nameBox.l >= photoBox.r ||
        nameBox.b <= photoBox.t ||
        nameBox.t >= photoBox.b,
    ).toBe(true);
    // The name field shows the preview record's name, not the field's label.
    await page.select('#preview-record', String(recordIds[0]));
    await page.waitForFunction(
      (n) => document.querySelector('#layout-stage [data-id="name"] .t')?.textContent === n,
      {},
      NAMES[0],
    );

    // Ctrl+D duplicates next to the original; Ctrl+C on the front and Ctrl+V on the back copies across.
    await page.click('#layers li[data-layer="name"] .ln');
    const nameX = await valueOf('#prop-x');
    await withCtrl('d');
    await page.waitForSelector('#layout-stage [data-id="name2"]');
    expect(await valueOf('#prop-x')).toBeCloseTo(nameX + 2, 2);
    await withCtrl('z');
    await page.waitForFunction(() => !document.querySelector('#layout-stage [data-id="name2"]'));
    await page.click('#layers li[data-layer="name"] .ln');
    await withCtrl('c');
    await page.click('[data-face="back"]');
    await withCtrl('v');
    await page.waitForSelector('#layout-stage [data-id="name2"]');
    expect(await layerIds()).toEqual(['name2']);
    await withCtrl('z');
    await page.waitForFunction(() => !document.querySelector('#layout-stage [data-id="name2"]'));
    await page.click('[data-face="front"]');
    await page.waitForSelector('#layout-stage [data-id="name"]');
    expect((await layerIds()).sort()).toEqual(['band', 'name', 'photo', 'qr']);

    // Unsaved: the way back to the list asks first; “cancel” keeps the editor open.
    dismissNextDialog = true;
    await page.click('.back-link');
    expect(dialogs.at(-1)).toContain('未保存的修改');
    expect(await page.evaluate(() => location.hash)).toBe(`#/events/${EVENT}/layouts/staff-new`);
    expect(await page.$('#layout-stage')).not.toBeNull();
  });

  it('previews the card with a real record of the event', async () => {
    await page.select('#preview-record', String(recordIds[0]));
    const img = await page.waitForSelector('#preview-image');
    await page.waitForFunction(
      () =>
        (document.querySelector('#preview-image') as HTMLImageElement | null)?.naturalWidth ===
        Math.round((85.6 / 25.4) * 200),
      { timeout: 20_000 },
    );
    expect(await img!.evaluate((i) => (i as HTMLImageElement).naturalHeight)).toBe(
      Math.round((54 / 25.4) * 200),
    );
    await page.click('#layout-stage [data-id="name"]');
    await shot('preview');
    await page.click('#source-mode');
    await page.waitForSelector('#start-advanced');
    await shot('source');
    await page.click('#source-mode');
    await page.click('[data-face="back"]');
    await page.waitForSelector('#layers li.muted');
    await shot('back');
    await page.click('[data-face="front"]');
    await page.waitForSelector('#layout-stage [data-id="name"]');
  });

  it('saves into the draft and publishes a new plugin version', async () => {
    await page.click('#save-layout');
    await page.waitForFunction(() => document.querySelector('#notice')?.textContent?.includes('已保存'));
    expect(await page.$('#unsaved')).toBeNull();
    const saved = await serverLayout();
    expect(saved.source).toBe('draft');
    const els = Object.fromEntries(saved.layout.front.elements.map((e: Body) => [e.id, e]));
    expect(Object.keys(els).sort()).toEqual(['band', 'name', 'photo', 'qr']);
    expect(els.name).toMatchObject({ type: 'field', field: 'name' });
    expect(els.band).toMatchObject({ type: 'band', color: 'cardType' });
    expect(els.qr).toMatchObject({ type: 'qrcode', field: 'verifyToken' });
    expect(els.qr.xMm).toBe(els.name.xMm);
    expect(saved.cardTypes.find((t: Body) => t.code === 'STAFF').layout).toBe('staff-new');

    await page.click('#publish-layout');
    await page.waitForFunction(() => document.querySelector('#notice')?.textContent?.includes('已发布'), {
      timeout: 20_000,
    });
    const published = await serverLayout();
    expect(published.source).toBe('published');
    await shot('published');
  });

  it('prints the published card type with real records through the proof route: exact size, Chinese name', async () => {
    const { layout } = await serverLayout();
    const res = await designer.requestBytes('POST', `/api/events/${EVENT}/layouts/proof`, {
      layout,
      cardType: 'STAFF',
      recordIds,
    });
    expect(res.status, res.data.toString().slice(0, 200)).toBe(200);
    const file = path.join(dir, 'proof.pdf');
    await writeFile(file, res.data);
    const info = (await exec('pdfinfo', ['-f', '1', '-l', '10', file])).stdout;
    const sizes = [...info.matchAll(/Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts/g)].map((m) => [
      (Number(m[1]) * 25.4) / 72,
      (Number(m[2]) * 25.4) / 72,
    ]);
    expect(sizes.length).toBeGreaterThanOrEqual(2);
    for (const [w, h] of sizes) {
      expect(Math.abs(w! - 85.6)).toBeLessThanOrEqual(0.1);
      expect(Math.abs(h! - 54)).toBeLessThanOrEqual(0.1);
    }
    const text = (await exec('pdftotext', [file, '-'])).stdout;
    for (const name of NAMES) expect(text).toContain(name);
  });
});
