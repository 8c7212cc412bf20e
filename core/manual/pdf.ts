/**
 * The manual as one PDF: a cover, a table of contents with page numbers, then every page of the
 * manual as a chapter, numbered at the foot. Printed by the Chromium that prints cards, with the
 * same embedded Noto Sans SC (system CJK fonts come out of Chromium as Type 3 fonts).
 *
 * Chromium cannot say on which page a heading landed, so each chapter is printed on its own:
 * its page count gives the next chapter's first page, the contents are printed last with those
 * numbers, and pdf-lib joins the parts and stamps the page numbers.
 */
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import { RENDER_ORIGIN, type RenderBrowser } from '../render/browser.ts';
import { fontFaceCss } from '../render/fonts.ts';
import { readManualImage, renderPage, type Manual, type ManualPage } from './index.ts';

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export const MANUAL_TITLE = 'Tessera 制证平台 用户手册';

const PRINT_CSS = `
@page { size: A4; margin: 16mm 17mm 18mm; }
html, body { margin: 0; padding: 0; }
body { font-family: "Noto Sans SC", sans-serif; font-size: 10pt; line-height: 1.6; color: #1d232a; }
h1 { font-size: 19pt; margin: 0 0 5mm; padding-bottom: 2mm; border-bottom: 2px solid #1d5fae; color: #1d5fae; }
h2 { font-size: 13.5pt; margin: 7mm 0 2mm; break-after: avoid; }
h3 { font-size: 11pt; margin: 5mm 0 1.5mm; break-after: avoid; }
p, ul, ol { margin: 1.5mm 0; }
li { margin: 0.6mm 0; }
code { font-family: "Noto Sans SC", monospace; background: #eef1f4; padding: 0 1mm; border-radius: 1mm; font-size: 9pt; }
pre { background: #eef1f4; padding: 2mm 3mm; white-space: pre-wrap; word-break: break-all; font-size: 8.5pt; line-height: 1.45; break-inside: avoid; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0; font-size: 9pt; break-inside: avoid; }
th, td { border: 1px solid #c9d0d7; padding: 1mm 2mm; text-align: left; vertical-align: top; }
th { background: #eef1f4; }
blockquote { margin: 2mm 0; padding: 1mm 4mm; border-left: 3px solid #e0a400; background: #fff8e1; }
figure { margin: 3mm 0; break-inside: avoid; text-align: center; }
figure img { max-width: 100%; max-height: 120mm; border: 1px solid #c9d0d7; }
figcaption { font-size: 8.5pt; color: #6b747d; margin-top: 1mm; }
a, .xref { color: #1d5fae; text-decoration: none; }
.cover { height: 250mm; display: flex; flex-direction: column; justify-content: center; text-align: center; }
.cover .mark { display: inline-block; margin: 0 auto 10mm; width: 24mm; height: 24mm; line-height: 24mm; border-radius: 4mm; background: #1d5fae; color: #fff; font-size: 30pt; font-weight: 700; }
.cover h1 { border: 0; font-size: 28pt; color: #1d232a; margin: 0 0 6mm; }
.cover .sub { font-size: 13pt; color: #4a545e; }
.cover .meta { margin-top: 40mm; font-size: 10pt; color: #6b747d; }
.toc h1 { margin-bottom: 6mm; }
.toc .ch { display: flex; font-size: 12pt; font-weight: 700; margin: 4mm 0 1mm; }
.toc .ch .dots { flex: 1; border-bottom: 1px dotted #8a939c; margin: 0 2mm 1.6mm; }
.toc .secs { font-size: 9pt; color: #4a545e; margin-left: 6mm; }
`;

export interface ManualPdfOptions {
  /** Printed on the cover; default today. */
  date?: Date;
  /** e.g. the package version, printed on the cover. */
  version?: string;
}

function coverHtml(options: ManualPdfOptions): string {
  const date = (options.date ?? new Date()).toISOString().slice(0, 10);
  return `<section class="cover"><div class="mark">证</div><h1>${esc(MANUAL_TITLE)}</h1>
<div class="sub">管理员 · 申报单位 · 采集员 · 审核员 · 设计员 · 制证员 · 运维</div>
<div class="meta">${options.version ? `版本 ${esc(options.version)} · ` : ''}${date}<br>本手册与系统内“帮助”页面内容相同</div></section>`;
}

function tocHtml(pages: readonly ManualPage[], firstPages: readonly number[]): string {
  const rows = pages
    .map((p, i) => {
      const secs = p.sections
        .filter((s) => s.depth === 2)
        .map((s) => esc(s.title))
        .join(' · ');
      return `<div class="ch"><span>${esc(p.title)}</span><span class="dots"></span><span>${firstPages[i] ?? ''}</span></div>${secs ? `<div class="secs">${secs}</div>` : ''}`;
    })
    .join('\n');
  return `<section class="toc"><h1>目录</h1>${rows}</section>`;
}

async function imageDataUrls(manual: Manual, dir?: string): Promise<Map<string, string>> {
  const names = new Set<string>();
  for (const page of manual.pages) {
    for (const m of page.markdown.matchAll(/\]\(images\/([a-z0-9-]+\.png)/g)) names.add(m[1]!);
  }
  const urls = new Map<string, string>();
  await Promise.all(
    [...names].map(async (name) => {
      const bytes = await readManualImage(name, dir);
      if (bytes) urls.set(name, `data:image/png;base64,${bytes.toString('base64')}`);
    }),
  );
  return urls;
}

/** The whole manual as a PDF (A4), built in `browser`. `dir` is the manual's folder, for its images. */
export async function buildManualPdf(
  manual: Manual,
  browser: RenderBrowser,
  options: ManualPdfOptions & { dir?: string } = {},
): Promise<Uint8Array> {
  const fonts = await fontFaceCss(RENDER_ORIGIN, [400, 700]);
  const head = `${fonts}\n${PRINT_CSS}`;
  const images = await imageDataUrls(manual, options.dir);
  const print = async (body: string) => (await browser.render({ head, body })).pdf;

  const chapters = await Promise.all(
    manual.pages.map((page) =>
      print(
        renderPage(page, {
          image: (name) => images.get(name),
          // Chapters are printed apart, so a cross-reference is named, not linked.
          link: () => null,
        }),
      ),
    ),
  );
  const cover = await print(coverHtml(options));
  const chapterDocs = await Promise.all(chapters.map((bytes) => PDFDocument.load(bytes)));
  const coverDoc = await PDFDocument.load(cover);

  // The contents' own length decides where chapter 1 starts: print it once to count, then for real.
  const startPages = (tocPages: number) => {
    let next = coverDoc.getPageCount() + tocPages + 1;
    return chapterDocs.map((d) => {
      const first = next;
      next += d.getPageCount();
      return first;
    });
  };
  let tocDoc = await PDFDocument.load(await print(tocHtml(manual.pages, startPages(1))));
  if (tocDoc.getPageCount() !== 1) {
    tocDoc = await PDFDocument.load(await print(tocHtml(manual.pages, startPages(tocDoc.getPageCount()))));
  }

  const out = await PDFDocument.create();
  for (const part of [coverDoc, tocDoc, ...chapterDocs]) {
    const copied = await out.copyPages(part, part.getPageIndices());
    for (const p of copied) out.addPage(p);
  }
  const font = await out.embedFont(StandardFonts.Helvetica);
  const total = out.getPageCount();
  out.getPages().forEach((p, i) => {
    if (i === 0) return; // the cover
    const text = `${i + 1} / ${total}`;
    const size = 9;
    const width = font.widthOfTextAtSize(text, size);
    p.drawText(text, {
      x: (p.getWidth() - width) / 2,
      y: 22,
      size,
      font,
      color: rgb(0.42, 0.45, 0.49),
    });
  });
  out.setTitle(MANUAL_TITLE);
  out.setSubject('Tessera 制证平台各角色操作指南、运维指南与常见问题');
  out.setCreator('tessera manual');
  if (options.date) out.setCreationDate(options.date);
  return out.save();
}

/** The installed Tessera version (package.json), printed on the cover. */
export async function packageVersion(): Promise<string | undefined> {
  const { readFile } = await import('node:fs/promises');
  const { repoRoot } = await import('../config.ts');
  const text = await readFile(`${repoRoot}/package.json`, 'utf8').catch(() => undefined);
  return text ? (JSON.parse(text) as { version?: string }).version : undefined;
}
