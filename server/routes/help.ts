import { TesseraError } from '../../core/errors.ts';
import { loadManual, readManualImage, type Manual } from '../../core/manual/index.ts';
import { buildManualPdf, packageVersion } from '../../core/manual/pdf.ts';
import type { Engine } from '../../core/engine.ts';
import { nonEmptyText } from '../route-params.ts';
import { defineRoutes } from '../route-table.ts';

const IMAGE_BASE = '/api/help/images/';

// The manual ships with the program: read once per process. The PDF is built on first request
// (a few seconds of Chromium) and kept, so the next download is immediate.
let manual: Promise<Manual> | undefined;
let pdf: Promise<Uint8Array> | undefined;

function theManual(): Promise<Manual> {
  manual ??= loadManual();
  manual.catch(() => (manual = undefined));
  return manual;
}

function thePdf(engine: Engine): Promise<Uint8Array> {
  pdf ??= (async () =>
    buildManualPdf(await theManual(), await engine.renderer.get(), { version: await packageVersion() }))();
  pdf.catch(() => (pdf = undefined));
  return pdf;
}

/** 帮助: the user manual (docs/manual) for every signed-in user, as pages, pictures and a PDF. */
export const helpRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/api/help',
    summary: '帮助目录 (the manual’s pages in order, each with its sections and anchors)',
    tag: 'help',
    access: 'any',
    handler: async (ctx) => {
      ctx.body = (await theManual()).toc();
    },
  },
  {
    method: 'GET',
    path: '/api/help/search',
    summary: '搜索帮助 (?q= words; sections holding every word, heading matches first)',
    tag: 'help',
    access: 'any',
    handler: async (ctx) => {
      const q = nonEmptyText(ctx.query.q) ?? '';
      ctx.body = { q, hits: (await theManual()).search(q.slice(0, 100)) };
    },
  },
  {
    method: 'GET',
    path: '/api/help/pages/:page',
    summary: '帮助页面 (one page of the manual as HTML: raw HTML escaped, links to #/help/…)',
    tag: 'help',
    access: 'any',
    handler: async (ctx) => {
      ctx.body = (await theManual()).view(ctx.params.page as string, IMAGE_BASE);
    },
  },
  {
    method: 'GET',
    path: '/api/help/images/:file',
    summary: '帮助截图 (PNG taken by the browser tests)',
    tag: 'help',
    access: 'any',
    handler: async (ctx) => {
      const bytes = await readManualImage(ctx.params.file as string);
      if (!bytes) throw new TesseraError('not_found', `帮助中没有图片 "${ctx.params.file as string}"`, 404);
      ctx.type = 'image/png';
      ctx.set('Cache-Control', 'private, max-age=300');
      ctx.body = bytes;
    },
  },
  {
    method: 'GET',
    path: '/api/help/manual.pdf',
    summary: '用户手册 PDF (cover, contents with page numbers, every chapter; A4, fonts embedded)',
    tag: 'help',
    access: 'any',
    handler: async (ctx, engine) => {
      const bytes = await thePdf(engine);
      ctx.type = 'application/pdf';
      ctx.set(
        'Content-Disposition',
        `attachment; filename="tessera-manual.pdf"; filename*=UTF-8''${encodeURIComponent('Tessera用户手册.pdf')}`,
      );
      ctx.body = Buffer.from(bytes);
    },
  },
]);
