// The card designer's API against the real server, PostgreSQL and Chromium: only designers and
// admins; an invalid layout is refused naming the element and property and nothing is saved; a
// layout made from blank is saved into the draft with its card type pointed at it; background art
// is checked (type, content, size, scripts in SVG) and served back; a preview of the unsaved
// layout is a PNG of the card size at the asked resolution with the real record's photo in it; a
// proof PDF has exact card-size pages with the records' Chinese names; publishing makes a new
// plugin version whose exported folder `tessera render` prints.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSET_LIMITS } from '../../core/layout/layouts.ts';
import { RENDER_GATE_LIMITS } from '../../core/layout/render-gate.ts';
import type { CardLayout } from '../../core/types/generated/index.ts';
import type { RunningServer } from '../../server/serve.ts';
import { runCli } from '../support/cli.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';
import { pngPhoto } from '../support/import-files.ts';

const exec = promisify(execFile);
const PT_PER_MM = 72 / 25.4;
const PASSWORD = 'Passw0rd-123';
const EVENT = 'EXPO2026';
const NAMES = ['欧阳娜娜', '司马建华', '赵丽华'];

let running: RunningServer;
let admin: ApiClient;
let designer: ApiClient;
let reviewer: ApiClient;
let dir: string;
const recordIds: number[] = [];

/** A layout from blank, as the designer makes it: band, bound name, photo, QR. */
function blankVip(): CardLayout {
  return {
    code: 'vip-new',
    name: '贵宾证（新）',
    recordKind: 'person',
    size: { preset: 'CR80', widthMm: 85.6, heightMm: 54 },
    bleedMm: 2,
    safeMarginMm: 3,
    front: {
      background: { color: '#ffffff' },
      elements: [
        { id: 'band', type: 'band', xMm: -2, yMm: -2, widthMm: 89.6, heightMm: 12, color: 'cardType' },
        {
          id: 'name',
          type: 'field',
          field: 'name',
          xMm: 32,
          yMm: 16,
          widthMm: 45,
          heightMm: 8,
          fit: 'shrink',
          style: { fontFamily: 'Noto Sans SC', fontSizePt: 16, fontWeight: 'bold', color: '#17202a' },
        },
        {
          id: 'photo',
          type: 'photo',
          field: 'photo',
          xMm: 5,
          yMm: 14,
          widthMm: 22,
          heightMm: 29.3,
          fit: 'cover',
        },
        { id: 'qr', type: 'qrcode', field: 'verifyToken', xMm: 66, yMm: 36, widthMm: 14, heightMm: 14 },
      ],
    },
    back: { background: { color: '#ffffff' }, elements: [] },
  };
}

async function pdfPages(file: string): Promise<Array<[number, number]>> {
  const info = (await exec('pdfinfo', ['-f', '1', '-l', '100', file])).stdout;
  return [...info.matchAll(/Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts/g)].map((m) => [
    Number(m[1]) / PT_PER_MM,
    Number(m[2]) / PT_PER_MM,
  ]);
}

/** A POST whose answer is a PNG or PDF; `json` holds an error body. */
async function post(client: ApiClient, url: string, body: unknown) {
  const res = await client.requestBytes('POST', url, body);
  const json: Body = res.headers.get('content-type')?.includes('json')
    ? JSON.parse(res.data.toString())
    : undefined;
  return { ...res, json };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-layouts-'));
  running = await startTestServer();
  admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' });
  for (const u of [
    { username: 'unit-a', role: 'unit', unitCode: 'UA' },
    { username: 'des', role: 'designer' },
    { username: 'rev', role: 'reviewer' },
  ])
    await admin.request('POST', '/api/users', { ...u, password: PASSWORD });
  const unit = new ApiClient(running.url);
  await unit.login('unit-a', PASSWORD);
  designer = new ApiClient(running.url);
  await designer.login('des', PASSWORD);
  reviewer = new ApiClient(running.url);
  await reviewer.login('rev', PASSWORD);
  for (const [i, name] of NAMES.entries()) {
    const photo = await unit.upload(`/api/events/${EVENT}/photos`, {
      file: {
        fileName: `p${i}.png`,
        data: await pngPhoto(360, 480, { r: 30, g: 120 + i * 40, b: 60 }),
        type: 'image/png',
      },
    });
    expect(photo.status, JSON.stringify(photo.body)).toBe(201);
    const res = await unit.request('POST', `/api/events/${EVENT}/records`, {
      kind: 'person',
      values: {
        name,
        gender: 'F',
        idType: '1',
        idNumber: residentId('110101', `1986031${i}`, String(300 + i * 2)),
        organization: '甲单位综合处',
        mobile: `1391000000${i}`,
        cardType: 'VIP',
        photo: photo.body.photo.id,
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    recordIds.push(res.body.record.id);
  }
});

afterAll(async () => {
  await running?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('card designer API', () => {
  let revision = 0;

  it('lists the layouts with their card types, for designers and admins only', async () => {
    const res = await designer.request('GET', `/api/events/${EVENT}/layouts`);
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('published');
    const vip = res.body.layouts.find((l: Body) => l.code === 'vip');
    expect(vip).toMatchObject({
      file: 'layouts/vip.json',
      recordKind: 'person',
      cardTypes: ['VIP'],
      errors: 0,
    });
    expect((await reviewer.request('GET', `/api/events/${EVENT}/layouts`)).status).toBe(403);
    expect((await admin.request('GET', `/api/events/${EVENT}/layouts/vip`)).body.layout.code).toBe('vip');
    const fonts = await designer.request('GET', '/api/card-fonts');
    expect(fonts.body.fonts[0].family).toBe('Noto Sans SC');
    const fields = await designer.request('GET', `/api/events/${EVENT}/layout-fields?kind=person`);
    const keys = fields.body.fields.map((f: Body) => f.key);
    expect(keys).toEqual(
      expect.arrayContaining(['name', 'photo', 'cardNumber', 'cardTypeName', 'zoneNames', 'verifyToken']),
    );
    expect(fields.body.fields.find((f: Body) => f.key === 'name')).toMatchObject({
      label: '姓名',
      group: 'form',
    });
  });

  it('refuses an invalid layout with 422 naming the element and property, and saves nothing', async () => {
    const layout = blankVip();
    layout.front.elements[1] = {
      ...layout.front.elements[1]!,
      style: { fontSizePt: 1000 },
    } as CardLayout['front']['elements'][number];
    const res = await designer.request('PUT', `/api/events/${EVENT}/layouts/vip-new`, {
      revision: 0,
      layout,
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('layout_invalid');
    const issues = res.body.error.details.issues as Body[];
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ face: 'front', element: 'name', property: 'style.fontSizePt' }),
      ]),
    );
    expect(res.body.error.message).toContain('正面元素 name 的 style.fontSizePt');
    // A schema-valid layout is cross-checked too: a field the form does not have.
    const typo = blankVip();
    (typo.front.elements[3] as { field: string }).field = 'nmae';
    const res2 = await designer.request('PUT', `/api/events/${EVENT}/layouts/vip-new`, {
      revision: 0,
      layout: typo,
    });
    expect(res2.status).toBe(422);
    expect(res2.body.error.details.issues).toEqual([
      expect.objectContaining({ face: 'front', element: 'qr', property: 'field', code: 'unknown-field' }),
    ]);
    const list = await designer.request('GET', `/api/events/${EVENT}/layouts`);
    expect(list.body.revision).toBe(0);
    expect(list.body.layouts.some((l: Body) => l.code === 'vip-new')).toBe(false);
  });

  it('saves a layout made from blank into the draft, pointing the card type at it', async () => {
    const res = await designer.request('PUT', `/api/events/${EVENT}/layouts/vip-new`, {
      revision: 0,
      layout: blankVip(),
      cardTypes: ['VIP'],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ source: 'draft', file: 'layouts/vip-new.json', revision: 1 });
    expect(res.body.cardTypes.find((t: Body) => t.code === 'VIP').layout).toBe('vip-new');
    expect(res.body.issues.filter((i: Body) => i.severity === 'error')).toEqual([]);
    revision = res.body.revision;
    const stale = await designer.request('PUT', `/api/events/${EVENT}/layouts/vip-new`, {
      revision: 0,
      layout: blankVip(),
    });
    expect(stale.status).toBe(409);
  });

  it('checks background art and serves it back', async () => {
    const url = `/api/events/${EVENT}/layout-assets`;
    const fake = await designer.upload(url, {
      revision: String(revision),
      file: { fileName: '底图.png', data: new TextEncoder().encode('not a picture'), type: 'image/png' },
    });
    expect(fake.status).toBe(422);
    expect(fake.body.error.message).toContain('底图.png');
    const gif = await designer.upload(url, {
      revision: String(revision),
      file: { fileName: 'anim.gif', data: new Uint8Array([0x47, 0x49, 0x46, 0x38]), type: 'image/gif' },
    });
    expect(gif.status).toBe(422);
    expect(gif.body.error.message).toContain('PNG、JPG 或 SVG');
    const svg = await designer.upload(url, {
      revision: String(revision),
      file: {
        fileName: 'x.svg',
        data: new TextEncoder().encode(
          '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        ),
        type: 'image/svg+xml',
      },
    });
    expect(svg.status).toBe(422);
    const big = await designer.upload(url, {
      revision: String(revision),
      file: { fileName: 'huge.png', data: new Uint8Array(11 * 1024 * 1024), type: 'image/png' },
    });
    expect(big.status).toBe(413);
    // A few KB of PNG that claims 6400 × 6400 pixels: refused before it can reach the renderer.
    const bomb = await sharp({
      create: { width: 6400, height: 6400, channels: 3, background: { r: 255, g: 255, b: 255 } },
    })
      .greyscale()
      .png({ compressionLevel: 9, palette: true })
      .toBuffer();
    expect(bomb.byteLength).toBeLessThan(ASSET_LIMITS.rasterBytes);
    const huge = await designer.upload(url, {
      revision: String(revision),
      file: { fileName: 'bomb.png', data: bomb, type: 'image/png' },
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.message).toContain('6400 × 6400');
    // The right magic bytes with nothing readable after them.
    const torn = await designer.upload(url, {
      revision: String(revision),
      file: {
        fileName: 'torn.png',
        data: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]),
        type: 'image/png',
      },
    });
    expect(torn.status).toBe(422);
    expect(torn.body.error.message).toContain('torn.png');
    const art = await sharp({
      create: { width: 200, height: 120, channels: 3, background: { r: 250, g: 235, b: 200 } },
    })
      .png()
      .toBuffer();
    const ok = await designer.upload(url, {
      revision: String(revision),
      file: { fileName: '贵宾 底图.png', data: art, type: 'image/png' },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.asset.path).toMatch(/^assets\/[A-Za-z0-9_-]+\.png$/);
    revision = ok.body.revision;
    const back = await designer.download(`/api/events/${EVENT}/layout-${ok.body.asset.path}`);
    expect(back.status).toBe(200);
    expect(back.data.equals(art)).toBe(true);
    expect(back.headers.get('content-security-policy')).toContain('sandbox');
  });

  it('previews one face of the unsaved layout with a real record as a PNG of the card size', async () => {
    const layout = blankVip();
    for (const dpi of [150, 300]) {
      const res = await post(designer, `/api/events/${EVENT}/layouts/preview`, {
        layout,
        face: 'front',
        cardType: 'VIP',
        recordId: recordIds[1],
        dpi,
      });
      expect(res.status, res.data.toString().slice(0, 300)).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('x-record-id')).toBe(String(recordIds[1]));
      const meta = await sharp(res.data).metadata();
      expect(Math.abs(meta.width! - (85.6 / 25.4) * dpi)).toBeLessThanOrEqual(1);
      expect(Math.abs(meta.height! - (54 / 25.4) * dpi)).toBeLessThanOrEqual(1);
      if (dpi === 150) {
        // The record's photo (green) is in the photo box, the VIP colour in the band.
        const { data, info } = await sharp(res.data)
          .removeAlpha()
          .raw()
          .toBuffer({ resolveWithObject: true });
        const px = (xMm: number, yMm: number) => {
          const o = (Math.round((yMm / 25.4) * dpi) * info.width + Math.round((xMm / 25.4) * dpi)) * 3;
          return [data[o]!, data[o + 1]!, data[o + 2]!];
        };
        const [r, g, b] = px(16, 28);
        expect(g).toBeGreaterThan(r! + 60);
        expect(g).toBeGreaterThan(b! + 60);
        const band = px(40, 4);
        expect(band[0]).toBeGreaterThan(150);
        expect(band[1]).toBeLessThan(100);
      }
    }
    const noBack = { ...layout, back: undefined };
    const res = await post(designer, `/api/events/${EVENT}/layouts/preview`, {
      layout: noBack,
      face: 'back',
      cardType: 'VIP',
    });
    expect(res.status).toBe(422);
    const broken = { ...layout, front: { elements: [{ ...layout.front.elements[0]!, xMm: 'x' }] } };
    const bad = await post(designer, `/api/events/${EVENT}/layouts/preview`, {
      layout: broken,
      face: 'front',
      cardType: 'VIP',
    });
    expect(bad.status).toBe(422);
    expect(bad.json.error.details.issues[0]).toMatchObject({ element: 'band', property: 'xMm' });
  });

  it('tells the canvas what each field of a record shows on the card (ID number masked)', async () => {
    const res = await designer.request(
      'GET',
      `/api/events/${EVENT}/layout-records/${recordIds[0]}/values?cardType=VIP`,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const { values } = res.body;
    expect(values.name).toBe(NAMES[0]);
    expect(values.cardTypeName).toBe('贵宾证');
    expect(values.cardNumber).toMatch(/\d/);
    expect(values.idNumber).toMatch(/\*{4}/);
    expect(values.photo).toBeUndefined();
    const missing = await designer.request(
      'GET',
      `/api/events/${EVENT}/layout-records/99999999/values?cardType=VIP`,
    );
    expect(missing.status).toBe(404);
    const refused = await reviewer.request(
      'GET',
      `/api/events/${EVENT}/layout-records/${recordIds[0]}/values?cardType=VIP`,
    );
    expect(refused.status).toBe(403);
  });

  it('bounds previews at once: beyond the queue a clear 503, the rest render', async () => {
    const { running: slots, waiting } = RENDER_GATE_LIMITS;
    const body = { layout: blankVip(), face: 'front', cardType: 'VIP', recordId: recordIds[0], dpi: 72 };
    const answers = await Promise.all(
      Array.from({ length: slots + waiting + 3 }, () =>
        post(designer, `/api/events/${EVENT}/layouts/preview`, body),
      ),
    );
    const busy = answers.filter((a) => a.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]!.json.error.code).toBe('render_busy');
    expect(busy[0]!.json.error.message).toContain('请几秒后再试');
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(slots);
    expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
    // Once they are done the gate is free again.
    const after = await post(designer, `/api/events/${EVENT}/layouts/preview`, body);
    expect(after.status).toBe(200);
  });

  it('prints a proof PDF of real records at the exact card size', async () => {
    const res = await post(designer, `/api/events/${EVENT}/layouts/proof`, {
      layout: blankVip(),
      cardType: 'VIP',
      count: 20,
    });
    expect(res.status, res.data.toString().slice(0, 300)).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const file = path.join(dir, 'proof.pdf');
    await writeFile(file, res.data);
    const pages = await pdfPages(file);
    // Three records, front and back each.
    expect(pages).toHaveLength(6);
    for (const [w, h] of pages) {
      expect(Math.abs(w - 85.6)).toBeLessThanOrEqual(0.1);
      expect(Math.abs(h - 54)).toBeLessThanOrEqual(0.1);
    }
    const text = (await exec('pdftotext', [file, '-'])).stdout;
    for (const name of NAMES) expect(text).toContain(name);
    const report = JSON.parse(decodeURIComponent(res.headers.get('x-render-report')!));
    expect(report.cards).toBe(3);
    const tooMany = await post(designer, `/api/events/${EVENT}/layouts/proof`, {
      layout: blankVip(),
      cardType: 'VIP',
      recordIds: Array.from({ length: 21 }, (_, i) => i + 1),
    });
    expect(tooMany.status).toBe(422);
  });

  it('publishes a new plugin version whose exported folder tessera render prints', async () => {
    const res = await designer.request('POST', `/api/events/${EVENT}/layouts/publish`, { revision });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.version.version).toBeGreaterThan(1);
    const after = await designer.request('GET', `/api/events/${EVENT}/layouts`);
    expect(after.body.source).toBe('published');
    expect(after.body.layouts.find((l: Body) => l.code === 'vip-new').cardTypes).toEqual(['VIP']);

    const bundle = (await admin.request('GET', `/api/events/${EVENT}/bundle`)).body;
    const pluginDir = path.join(dir, 'plugins', (bundle.files['plugin.json'] as Body).code);
    for (const [file, content] of Object.entries(bundle.files as Record<string, Body>)) {
      await mkdir(path.dirname(path.join(pluginDir, file)), { recursive: true });
      await writeFile(
        path.join(pluginDir, file),
        typeof content.base64 === 'string' && file.startsWith('assets/')
          ? Buffer.from(content.base64, 'base64')
          : JSON.stringify(content, null, 2),
      );
    }
    await writeFile(
      path.join(dir, 'people.json'),
      JSON.stringify([{ name: '欧阳娜娜' }, { name: '司马建华' }]),
    );
    const out = path.join(dir, 'vip.pdf');
    const cli = await runCli(
      [
        'render',
        '--event',
        EVENT,
        '--card-type',
        'VIP',
        '--data',
        path.join(dir, 'people.json'),
        '--out',
        out,
        '--json',
      ],
      { TESSERA_PLUGINS_DIR: path.join(dir, 'plugins') },
    );
    const report = JSON.parse(cli.stdout);
    expect(report.layout).toBe('vip-new');
    expect(report.cards).toBe(2);
    expect((await readFile(out)).subarray(0, 5).toString()).toBe('%PDF-');
    expect((await exec('pdftotext', [out, '-'])).stdout).toContain('司马建华');
  });
});
