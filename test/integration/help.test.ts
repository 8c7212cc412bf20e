// 帮助 over HTTP and the manual as a PDF: every signed-in role reads the contents, a page as HTML
// (raw HTML escaped, headings anchored, pictures under /api/help/images), searches it; nobody
// signed out does; unknown pages and picture names that try to leave the folder are 404. The PDF
// from the API and from `tessera manual --pdf` has a cover, contents with page numbers, every
// role's chapter, page numbers at the foot and embedded (not Type 3) fonts — read back with
// poppler's pdfinfo, pdftotext and pdffonts.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/serve.ts';
import { runCli } from '../support/cli.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer } from '../support/harness.ts';

const run = promisify(execFile);
const PASSWORD = 'Passw0rd-123';
const ROLE_TITLES = [
  '管理员',
  '申报单位',
  '采集员（数据整理）',
  '审核员',
  '设计员',
  '制证员',
  '运维指南',
  '常见问题',
];

let running: RunningServer;
let unit: ApiClient;
let dir: string;

beforeAll(async () => {
  running = await startTestServer();
  const admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' });
  const created = await admin.request('POST', '/api/users', {
    username: 'unit-a',
    role: 'unit',
    unitCode: 'UA',
    password: PASSWORD,
  });
  expect(created.status, JSON.stringify(created.body)).toBeLessThan(300);
  unit = new ApiClient(running.url);
  await unit.login('unit-a', PASSWORD);
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-manual-'));
});

afterAll(async () => {
  await running?.stop();
});

/** Text of the PDF's pages `first`–`last` (1-based), and its page count and fonts. */
async function readPdf(file: string, first?: number, last?: number) {
  const info = (await run('pdfinfo', [file])).stdout;
  const pages = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1]);
  const range = first ? ['-f', String(first), '-l', String(last ?? first)] : [];
  const text = (await run('pdftotext', ['-layout', ...range, file, '-'])).stdout;
  const fonts = (await run('pdffonts', [file])).stdout;
  return { info, pages, text, fonts };
}

describe('the manual over HTTP', () => {
  it('is for signed-in users only', async () => {
    const anonymous = new ApiClient(running.url);
    for (const url of ['/api/help', '/api/help/pages/unit', '/api/help/images/unit-imports.png']) {
      expect((await anonymous.request('GET', url)).status, url).toBe(401);
    }
  });

  it('lists every page with its sections', async () => {
    const res = await unit.request('GET', '/api/help');
    expect(res.status).toBe(200);
    expect(res.body.pages.map((p: { title: string }) => p.title)).toEqual(['使用手册总览', ...ROLE_TITLES]);
    const reviewer = res.body.pages.find((p: { slug: string }) => p.slug === 'reviewer');
    expect(reviewer.sections).toContainEqual({ id: 'quota', title: '超出配额', depth: 2 });
  });

  it('renders a page as HTML with anchored headings, pictures and links inside the app', async () => {
    const res = await unit.request('GET', '/api/help/pages/unit');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ slug: 'unit', title: '申报单位' });
    const html: string = res.body.html;
    expect(html).toContain('<h2 id="upload">上传采集表</h2>');
    expect(html).toContain('<img src="/api/help/images/unit-imports.png"');
    expect(html).toContain('href="#/help/faq/excel-id-number"');
    expect(html).not.toMatch(/<script|<iframe|\son\w+=/i);
  });

  it('serves the screenshots as PNG, and nothing outside their folder', async () => {
    const png = await unit.download('/api/help/images/unit-imports.png');
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.data.subarray(1, 4).toString()).toBe('PNG');
    for (const name of ['..%2F..%2Fpackage.json', '..%2Findex.md', 'missing.png', 'UNIT.PNG']) {
      expect((await unit.request('GET', `/api/help/images/${name}`)).status, name).toBe(404);
    }
  });

  it('answers an unknown page with a Chinese 404', async () => {
    const res = await unit.request('GET', '/api/help/pages/secret');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toContain('帮助中没有页面');
  });

  it('searches the whole manual', async () => {
    const res = await unit.request('GET', `/api/help/search?q=${encodeURIComponent('超配额通过')}`);
    expect(res.status).toBe(200);
    expect(
      res.body.hits.map((h: { slug: string; sectionId: string }) => `${h.slug}#${h.sectionId}`),
    ).toContain('reviewer#quota');
    expect((await unit.request('GET', '/api/help/search?q=')).body.hits).toEqual([]);
  });
});

describe('the manual as a PDF', () => {
  it('GET /api/help/manual.pdf: cover, contents with page numbers, every role, numbered pages, embedded fonts', async () => {
    const res = await unit.download('/api/help/manual.pdf');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toContain('attachment');
    const file = path.join(dir, 'api.pdf');
    await writeFile(file, res.data);
    const all = await readPdf(file);
    expect(all.info).toMatch(/^Title:\s+Tessera 制证平台 用户手册$/m);
    expect(all.info).toMatch(/A4/);
    expect(all.pages).toBeGreaterThan(15);
    for (const title of ROLE_TITLES) expect(all.text, title).toContain(title);
    expect(all.fonts).toContain('CID TrueType');
    expect(all.fonts).not.toContain('Type 3');

    const cover = await readPdf(file, 1);
    expect(cover.text).toContain('Tessera 制证平台 用户手册');
    expect(cover.text).not.toMatch(/\d+ \/ \d+/); // no page number on the cover

    // The contents give each chapter's first page; that page has the chapter's title and its number.
    const toc = await readPdf(file, 2);
    expect(toc.text).toContain('目录');
    const reviewerPage = Number(new RegExp(`^\\s*审核员\\s+(\\d+)\\s*$`, 'm').exec(toc.text)?.[1]);
    expect(reviewerPage).toBeGreaterThan(2);
    const chapter = await readPdf(file, reviewerPage);
    expect(chapter.text).toMatch(/^\s*审核员\s*$/m);
    expect(chapter.text).toContain(`${reviewerPage} / ${all.pages}`);
  });

  it('tessera manual --pdf writes the same manual without a server', async () => {
    const out = path.join(dir, '用户手册.pdf');
    const result = await runCli(['manual', '--pdf', out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('已生成');
    const pdf = await readPdf(out);
    for (const title of ROLE_TITLES) expect(pdf.text, title).toContain(title);
    expect(pdf.text).toContain(`2 / ${pdf.pages}`);
    const bad = await runCli(['manual', '--pdf', path.join(dir, 'manual.txt')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--pdf 应为 .pdf 文件');
  });
});
