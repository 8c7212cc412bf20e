// `tessera render` as an operator runs it, with real Chromium and poppler-utils reading the
// result: page count and page boxes exact, Chinese text extractable, every font embedded (no
// Type 3), rasterised pages that show what the layout says, N-up sheets whose backs land behind
// their fronts, broken records marked and reported, and an advanced template that cannot reach
// files or the network.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/config.ts';
import { runCli } from '../support/cli.ts';
import { writePersonRecords, type PersonRecord } from '../support/render-fixtures.ts';

const exec = promisify(execFile);
const MM = 72 / 25.4;
let dir: string;
let records: PersonRecord[];

async function pdfinfo(file: string, ...args: string[]): Promise<string> {
  return (await exec('pdfinfo', [...args, file])).stdout;
}

/** Page sizes in mm, one per page. */
async function pageSizes(file: string): Promise<Array<[number, number]>> {
  const pages = Number(/Pages:\s+(\d+)/.exec(await pdfinfo(file))![1]);
  const out = await pdfinfo(file, '-f', '1', '-l', String(pages));
  return [...out.matchAll(/Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts/g)].map((m) => [
    Number(m[1]) / MM,
    Number(m[2]) / MM,
  ]);
}

/** A page rasterised by pdftoppm, as raw RGB with its size. */
async function rasterise(file: string, page: number, dpi: number) {
  const prefix = path.join(dir, `ras-${path.basename(file)}-${page}`);
  await exec('pdftoppm', [
    '-png',
    '-r',
    String(dpi),
    '-f',
    String(page),
    '-l',
    String(page),
    '-singlefile',
    file,
    prefix,
  ]);
  const { data, info } = await sharp(`${prefix}.png`)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const at = (xMm: number, yMm: number) => {
    const x = Math.round((xMm / 25.4) * dpi);
    const y = Math.round((yMm / 25.4) * dpi);
    const o = (y * info.width + x) * 3;
    return [data[o]!, data[o + 1]!, data[o + 2]!];
  };
  /** Share of non-white pixels in a rectangle (mm). */
  const ink = (xMm: number, yMm: number, wMm: number, hMm: number, step = 0.5) => {
    let n = 0;
    let dark = 0;
    for (let y = yMm; y < yMm + hMm; y += step) {
      for (let x = xMm; x < xMm + wMm; x += step) {
        const [r, g, b] = at(x, y);
        n++;
        if (r! + g! + b! < 720) dark++;
      }
    }
    return dark / n;
  };
  /** Share of reddish pixels in a rectangle (mm): warning marks. */
  const red = (xMm: number, yMm: number, wMm: number, hMm: number) => {
    let n = 0;
    let hits = 0;
    for (let y = yMm; y < yMm + hMm; y += 0.5) {
      for (let x = xMm; x < xMm + wMm; x += 0.5) {
        const [r, g] = at(x, y);
        n++;
        if (r! - g! > 50) hits++;
      }
    }
    return hits / n;
  };
  return { png: `${prefix}.png`, width: info.width, height: info.height, at, ink, red };
}

const near = (a: number[], b: number[], tol = 40) => a.every((v, i) => Math.abs(v - b[i]!) <= tol);
const RED = [0xc0, 0x39, 0x2b];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-render-'));
  records = await writePersonRecords(dir, 4);
  records[1]!.name = '欧阳娜娜';
  records[1]!.zones = ['A', 'D'];
  // Broken on purpose: a photo that is not there, and a name no font size can fit.
  records[2]!.photo = 'photos/nobody.jpg';
  records[3]!.name = 'Alexandria Konstantinopoulou-Wilhelmina Fitzgerald-Montgomery';
  await writeFile(path.join(dir, 'people.json'), JSON.stringify(records));
  await writeFile(
    path.join(dir, 'vehicles.json'),
    JSON.stringify([
      {
        plateNumber: '浙A·D12345',
        vehicleType: '小型轿车',
        brandModel: '比亚迪 汉',
        bodyColor: '白色',
        organization: '滨江国际会展集团有限公司',
        driverName: '王建华',
        zones: ['P'],
      },
    ]),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tessera render', () => {
  let report: {
    cards: number;
    pages: number;
    brokenCards: number;
    problems: Array<{
      index: number;
      face: string;
      code: string;
      element?: string;
      message: string;
      label: string;
    }>;
    png: string[];
  };
  const out = () => path.join(dir, 'vip.pdf');

  beforeAll(async () => {
    const r = await runCli([
      'render',
      '--event',
      'EXPO2026',
      '--card-type',
      'VIP',
      '--data',
      path.join(dir, 'people.json'),
      '--out',
      out(),
      '--png',
      path.join(dir, 'png'),
      '--issue-date',
      '2026-10-01',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    report = JSON.parse(r.stdout);
  });

  it('prints one page per face at exactly the card size', async () => {
    expect(report).toMatchObject({ cards: 4, pages: 8 });
    const sizes = await pageSizes(out());
    expect(sizes).toHaveLength(8);
    for (const [w, h] of sizes) {
      expect(Math.abs(w - 54)).toBeLessThanOrEqual(0.1);
      expect(Math.abs(h - 85.6)).toBeLessThanOrEqual(0.1);
    }
    const boxes = await pdfinfo(out(), '-box', '-f', '1', '-l', '1');
    const trim = /TrimBox:\s+([\d.-]+)\s+([\d.-]+)\s+([\d.-]+)\s+([\d.-]+)/.exec(boxes)!.slice(1).map(Number);
    expect((trim[2]! - trim[0]!) / MM).toBeCloseTo(54, 1);
    expect((trim[3]! - trim[1]!) / MM).toBeCloseTo(85.6, 1);
  });

  it('keeps the Chinese text as text', async () => {
    const { stdout } = await exec('pdftotext', ['-layout', out(), '-']);
    for (const s of [
      '2026中国国际数字经济博览会',
      '贵宾证',
      records[0]!.name,
      '欧阳娜娜',
      records[0]!.organization,
      '使用须知',
      '展馆区、贵宾休息室',
      'VIP-00002',
    ]) {
      expect(stdout).toContain(s);
    }
  });

  it('embeds every font as a TrueType subset, none as Type 3', async () => {
    const { stdout } = await exec('pdffonts', [out()]);
    const rows = stdout.split('\n').slice(2).filter(Boolean);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row).toMatch(/NotoSansSC/);
      expect(row).toMatch(/CID TrueType\s+Identity-H\s+yes yes yes/);
    }
  });

  it('rasterises to the card as laid out', async () => {
    const page = await rasterise(out(), 1, 100);
    expect(Math.abs(page.width - 212.6)).toBeLessThan(1);
    expect(Math.abs(page.height - 337)).toBeLessThan(1.5);
    // The card type's red band behind 贵宾证, the photo, the QR code, the name.
    expect(near(page.at(2, 15), RED)).toBe(true);
    expect(page.ink(17, 26, 20, 27)).toBeGreaterThan(0.9);
    expect(page.ink(38, 71, 12, 12)).toBeGreaterThan(0.3);
    expect(page.ink(10, 57, 34, 5)).toBeGreaterThan(0.05);
    const back = await rasterise(out(), 2, 100);
    expect(near(back.at(27, 1), RED)).toBe(true);
    expect(back.ink(8, 66, 38, 7)).toBeGreaterThan(0.3); // Code 128
  });

  it('marks broken records on the card and lists them in the report', async () => {
    expect(report.brokenCards).toBe(2);
    expect(report.problems).toEqual([
      expect.objectContaining({ index: 2, face: 'front', code: 'photo-missing', element: 'photo' }),
      expect.objectContaining({
        index: 3,
        face: 'front',
        code: 'text-overflow',
        element: 'name',
        label: records[3]!.name.slice(0, 40),
      }),
    ]);
    // The missing photo is a red-hatched box, not an empty frame; a red ribbon says why.
    const missing = await rasterise(out(), 5, 100);
    expect(missing.red(17, 26, 20, 27)).toBeGreaterThan(0.2);
    const fine = await rasterise(out(), 3, 100);
    expect(fine.red(17, 26, 20, 27)).toBeLessThan(0.01);
    const { stdout } = await exec('pdftotext', ['-f', '5', '-l', '5', out(), '-']);
    expect(stdout).toContain('照片文件不存在');
    const long = await exec('pdftotext', ['-f', '7', '-l', '7', out(), '-']);
    expect(long.stdout).toContain('文字放不下');
  });

  it('writes a PNG preview of every face', async () => {
    const files = (await readdir(path.join(dir, 'png'))).sort();
    expect(files).toEqual([
      '0001-VIP-00001-back.png',
      '0001-VIP-00001-front.png',
      '0002-VIP-00002-back.png',
      '0002-VIP-00002-front.png',
      '0003-VIP-00003-back.png',
      '0003-VIP-00003-front.png',
      '0004-VIP-00004-back.png',
      '0004-VIP-00004-front.png',
    ]);
    const meta = await sharp(path.join(dir, 'png', files[1]!)).metadata();
    expect([meta.width, meta.height]).toEqual([319, 506]); // 54 × 85.6 mm at 150 dpi
  });

  it('imposes N-up on A4 with each back mirrored behind its front', async () => {
    const file = path.join(dir, 'sheet.pdf');
    const r = await runCli([
      'render',
      '--event',
      'EXPO2026',
      '--card-type',
      'STAFF',
      '--data',
      path.join(dir, 'people.json'),
      '--out',
      file,
      '--sheet',
      'A4',
      '--duplex',
      '--bleed',
      '3',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as {
      pages: number;
      sheet: {
        perSheet: number;
        columns: number;
        rows: number;
        cells: Array<{ xMm: number; yMm: number }>;
        flip: string;
      };
    };
    expect(rep.sheet).toMatchObject({ perSheet: 9, columns: 3, rows: 3, flip: 'long-edge' });
    expect(rep.pages).toBe(2);
    const sizes = await pageSizes(file);
    expect(sizes.map(([w, h]) => [Math.round(w * 10) / 10, Math.round(h * 10) / 10])).toEqual([
      [210, 297],
      [210, 297],
    ]);
    const front = await rasterise(file, 1, 50);
    const back = await rasterise(file, 2, 50);
    const cells = rep.sheet.cells;
    // Four cards: the first row full, one card at the start of the second row; on the back sheet
    // that card sits at the end of the row, behind its front when the sheet is turned.
    const cardInk = (p: typeof front, c: { xMm: number; yMm: number }) => p.ink(c.xMm + 2, c.yMm + 2, 50, 80);
    for (const k of [0, 1, 2, 3]) expect(cardInk(front, cells[k]!), `front ${k}`).toBeGreaterThan(0.2);
    for (const k of [4, 5]) expect(cardInk(front, cells[k]!), `front ${k}`).toBeLessThan(0.01);
    for (const k of [0, 1, 2, 5]) expect(cardInk(back, cells[k]!), `back ${k}`).toBeGreaterThan(0.05);
    for (const k of [3, 4]) expect(cardInk(back, cells[k]!), `back ${k}`).toBeLessThan(0.01);
    // Column x of the front and column (2 − x) of the back are mirror images across the sheet.
    expect(cells[0]!.xMm + 54 + cells[2]!.xMm).toBeCloseTo(210, 6);
    const { stdout } = await exec('pdftotext', ['-f', '2', '-l', '2', file, '-']);
    expect(stdout).toContain('使用须知');
    // Crop marks on the sheet margin: hairlines in the top margin at each trim edge.
    expect(front.ink(cells[0]!.xMm - 0.5, cells[0]!.yMm - 3 - 4.5, 1, 3.5)).toBeGreaterThan(0);
  });

  it('adds bleed and crop marks, with TrimBox and BleedBox set', async () => {
    const file = path.join(dir, 'bleed.pdf');
    const r = await runCli([
      'render',
      '--event',
      'EXPO2026',
      '--card-type',
      'PRESS',
      '--data',
      path.join(dir, 'people.json'),
      '--out',
      file,
      '--bleed',
      '3',
      '--front-only',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('4 张证件，4 页');
    const boxes = await pdfinfo(file, '-box', '-f', '1', '-l', '1');
    const box = (name: string) => {
      const v = new RegExp(`${name}:\\s+([\\d.-]+)\\s+([\\d.-]+)\\s+([\\d.-]+)\\s+([\\d.-]+)`)
        .exec(boxes)!
        .slice(1)
        .map(Number);
      return [(v[2]! - v[0]!) / MM, (v[3]! - v[1]!) / MM];
    };
    expect(box('MediaBox')[0]).toBeCloseTo(54 + 6 + 12, 1);
    expect(box('MediaBox')[1]).toBeCloseTo(85.6 + 6 + 12, 1);
    expect(box('BleedBox')[0]).toBeCloseTo(60, 1);
    expect(box('TrimBox')[0]).toBeCloseTo(54, 1);
    expect(box('TrimBox')[1]).toBeCloseTo(85.6, 1);
    // The band runs into the bleed; the slug outside it is blank but for the marks.
    const page = await rasterise(file, 1, 300);
    expect(near(page.at(6 + 1, 6 + 3 + 15), [0xd3, 0x54, 0x00])).toBe(true);
    expect(page.ink(0, 0, 5, 5)).toBe(0);
    // The mark above the trim's left edge: 1 mm past the bleed, 4 mm long.
    expect(page.ink(9 - 0.3, 1.2, 0.6, 3.6, 0.05)).toBeGreaterThan(0);
  });

  it('renders the vehicle pass on A5, front and back', async () => {
    const file = path.join(dir, 'vehicle.pdf');
    const r = await runCli([
      'render',
      '--event',
      'expo2026',
      '--card-type',
      'vehicle',
      '--data',
      path.join(dir, 'vehicles.json'),
      '--out',
      file,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const sizes = await pageSizes(file);
    expect(sizes).toHaveLength(2);
    for (const [w, h] of sizes) {
      expect(Math.abs(w - 210)).toBeLessThanOrEqual(0.1);
      expect(Math.abs(h - 148)).toBeLessThanOrEqual(0.1);
    }
    const { stdout } = await exec('pdftotext', [file, '-']);
    expect(stdout).toContain('浙A·D12345');
    expect(stdout).toContain('车辆通行证使用须知');
  });

  it('says what is wrong with the command', async () => {
    const missing = await runCli([
      'render',
      '--event',
      'NOPE',
      '--card-type',
      'VIP',
      '--data',
      path.join(dir, 'people.json'),
      '--out',
      path.join(dir, 'x.pdf'),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('没有活动代码为 NOPE 的插件（已有：');
    const sheet = await runCli([
      'render',
      '--event',
      'EXPO2026',
      '--card-type',
      'VIP',
      '--data',
      path.join(dir, 'people.json'),
      '--out',
      path.join(dir, 'x.pdf'),
      '--sheet',
      'B5',
    ]);
    expect(sheet.stderr).toContain('--sheet 只能是 A4 或 A3');
    const type = await runCli([
      'render',
      '--event',
      'EXPO2026',
      '--card-type',
      'ZZZ',
      '--data',
      path.join(dir, 'people.json'),
      '--out',
      path.join(dir, 'x.pdf'),
    ]);
    expect(type.stderr).toContain('没有证件类型 ZZZ');
  });
});

describe('an advanced template in the render sandbox', () => {
  let server: Server;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.end('leak');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('reaches neither files nor the network, and runs no script', async () => {
    const port = (server.address() as AddressInfo).port;
    const plugins = path.join(dir, 'plugins');
    await cp(path.join(repoRoot, 'plugins', 'demo-expo'), path.join(plugins, 'demo-expo'), {
      recursive: true,
    });
    const layoutFile = path.join(plugins, 'demo-expo', 'layouts', 'staff.json');
    const layout = JSON.parse(await readFile(layoutFile, 'utf8'));
    layout.template = {
      front: [
        '<div class="who">{{name}} {{formatDate issueDate "YYYY年M月D日"}} {{mask idNumber}}</div>',
        '<img src="file:///etc/hostname"><img src="http://127.0.0.1:' + port + '/img">',
        '<iframe src="file:///etc/passwd"></iframe><link rel="stylesheet" href="http://127.0.0.1:' +
          port +
          '/css">',
        '<script>document.body.textContent = "PWNED"</script><img src="data:," onerror="document.body.textContent=\'PWNED\'">',
        '<div class="q">{{qr verifyToken}}</div>',
      ].join('\n'),
      css: `.who { font-size: 9pt; margin: 10mm 3mm; } .q { width: 20mm; height: 20mm; background: url(http://127.0.0.1:${port}/bg) } @import url(http://127.0.0.1:${port}/import);`,
    };
    await writeFile(layoutFile, JSON.stringify(layout));
    await writeFile(
      path.join(dir, 'one.json'),
      JSON.stringify([{ name: '张三<b>', idNumber: '11010119900307661X', photo: records[0]!.photo }]),
    );
    const file = path.join(dir, 'advanced.pdf');
    const r = await runCli(
      [
        'render',
        '--event',
        'EXPO2026',
        '--card-type',
        'STAFF',
        '--data',
        path.join(dir, 'one.json'),
        '--out',
        file,
        '--issue-date',
        '2026-10-05',
      ],
      { TESSERA_PLUGINS_DIR: plugins },
    );
    expect(r.code, r.stderr).toBe(0);
    const { stdout } = await exec('pdftotext', ['-f', '1', '-l', '1', file, '-']);
    expect(stdout).toMatch(/张三<b> 2026年10月5日\s+110101\*{8}661X/);
    expect(stdout).not.toContain('PWNED');
    expect(stdout).not.toContain((await readFile('/etc/hostname', 'utf8')).trim());
    expect(hits).toBe(0);
  });
});
