import { readFile } from 'node:fs/promises';
import { TesseraError } from '../../core/errors.ts';
import type { LayoutSaveBody, PreviewBody, ProofBody } from '../../core/layout/views.ts';
import { actorOf, auditActorOf, eventParam, nonEmptyText, requestBody } from '../route-params.ts';
import { defineRoutes, type ApiContext } from '../route-table.ts';

/** Card layouts are the designer's work; admins may do everything a designer does. */
const DESIGN = ['admin', 'designer'] as const;

function revisionOf(value: unknown): number {
  const revision = Number(value);
  if (!Number.isInteger(revision) || revision < 0) {
    throw new TesseraError('invalid_request', '请求缺少 revision（编辑的草稿版本号）');
  }
  return revision;
}

/**
 * Aborts when the client goes away before the answer is sent (the designer cancels a preview
 * each time it asks for a newer one), so a queued render of a stale layout is dropped.
 */
function clientGone(ctx: ApiContext): AbortSignal {
  const controller = new AbortController();
  ctx.res.once('close', () => {
    if (!ctx.res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Problems and reports travel in a header next to binary bodies: JSON, URI-encoded (headers are Latin-1). */
const headerJson = (value: unknown) => encodeURIComponent(JSON.stringify(value));

export const layoutRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/api/card-fonts',
    summary: '证件可用字体 (font families a layout may name)',
    tag: 'layouts',
    access: DESIGN,
    handler: async (ctx, engine) => {
      ctx.body = { fonts: engine.layouts.fonts() };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/layouts',
    summary: '证件版式列表 (the event layouts, from the draft when there is one)',
    tag: 'layouts',
    access: DESIGN,
    handler: async (ctx, engine) => {
      ctx.body = await engine.layouts.list(eventParam(ctx));
    },
  },
  {
    method: 'POST',
    path: '/api/events/:event/layouts/preview',
    summary: '版式预览 (one face of the posted layout with a real record, as PNG)',
    tag: 'layouts',
    access: DESIGN,
    handler: async (ctx, engine) => {
      const result = await engine.layouts.preview(
        eventParam(ctx),
        requestBody(ctx) as unknown as PreviewBody,
        actorOf(ctx),
        clientGone(ctx),
      );
      ctx.set('X-Render-Problems', headerJson(result.problems));
      if (result.recordId !== null) ctx.set('X-Record-Id', String(result.recordId));
      ctx.type = 'image/png';
      ctx.body = Buffer.from(result.png);
    },
  },
  {
    method: 'POST',
    path: '/api/events/:event/layouts/proof',
    summary: '校样 PDF (the posted layout with up to 20 real records, cards at their exact size)',
    tag: 'layouts',
    access: DESIGN,
    handler: async (ctx, engine) => {
      const result = await engine.layouts.proof(
        eventParam(ctx),
        requestBody(ctx) as unknown as ProofBody,
        actorOf(ctx),
        clientGone(ctx),
      );
      const { problems, cards, pages, pageSizeMm, brokenCards, notes } = result.report;
      ctx.set('X-Render-Report', headerJson({ cards, pages, pageSizeMm, brokenCards, notes, problems }));
      ctx.set('Content-Disposition', `inline; filename="proof-${eventParam(ctx)}.pdf"`);
      ctx.type = 'application/pdf';
      ctx.body = Buffer.from(result.pdf);
    },
  },
  {
    method: 'POST',
    path: '/api/events/:event/layouts/publish',
    summary: '发布版式 (publish the draft as a new plugin version, like the event setup)',
    tag: 'layouts',
    access: DESIGN,
    handler: async (ctx, engine) => {
      const version = await engine.setup.publish(
        eventParam(ctx),
        revisionOf(requestBody(ctx).revision),
        auditActorOf(ctx),
      );
      ctx.body = { version };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/layouts/:layout',
    summary: '一个版式 (a layout with its problems)',
    tag: 'layouts',
    access: DESIGN,
    handler: async (ctx, engine) => {
      ctx.body = await engine.layouts.get(eventParam(ctx), ctx.params.layout as string);
    },
  },
  {
    method: 'PUT',
    path: '/api/events/:event/layouts/:layout',
    summary: '保存版式到草稿 (save a layout into the draft; 422 names the element and property)',
    tag: 'layouts',
    access: DESIGN,
    handler: async (ctx, engine) => {
      const body = requestBody(ctx) as unknown as LayoutSaveBody;
      ctx.body = await engine.layouts.save(
        eventParam(ctx),
        ctx.params.layout as string,
        { ...body, revision: revisionOf(body.revision) },
        auditActorOf(ctx),
      );
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/layout-fields',
    summary: '可绑定字段 (the field palette: form fields and system fields of a record kind)',
    tag: 'layouts',
    access: DESIGN,
    handler: async (ctx, engine) => {
      const kind = nonEmptyText(ctx.query.kind) ?? 'person';
      ctx.body = { fields: await engine.layouts.fields(eventParam(ctx), kind) };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/layout-records',
    summary: '预览用记录 (records of the event to preview a layout with)',
    tag: 'layouts',
    access: DESIGN,
    handler: async (ctx, engine) => {
      ctx.body = {
        records: await engine.layouts.previewRecords(eventParam(ctx), {
          kind: nonEmptyText(ctx.query.kind) ?? 'person',
          cardType: nonEmptyText(ctx.query.cardType),
          q: nonEmptyText(ctx.query.q),
        }),
      };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/layout-records/:id/values',
    summary: '预览记录的字段值 (what each field of a record shows on the card, for the canvas)',
    tag: 'layouts',
    access: DESIGN,
    handler: async (ctx, engine) => {
      const cardType = nonEmptyText(ctx.query.cardType);
      if (!cardType) throw new TesseraError('invalid_request', '请求缺少 cardType（证件类型代码）');
      ctx.body = {
        values: await engine.layouts.sampleValues(eventParam(ctx), Number(ctx.params.id), cardType),
      };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/layout-assets/:file',
    summary: '版式资源文件 (an asset of the draft or published plugin, for the canvas)',
    tag: 'layouts',
    access: DESIGN,
    handler: async (ctx, engine) => {
      const asset = await engine.layouts.asset(eventParam(ctx), `assets/${ctx.params.file as string}`);
      // An SVG opened on its own must not run anything on this origin.
      ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
      ctx.set('Cache-Control', 'private, no-cache');
      ctx.type = asset.mediaType;
      ctx.body = asset.bytes;
    },
  },
  {
    method: 'POST',
    path: '/api/events/:event/layout-assets',
    summary: '上传背景图 (png, jpg or svg into the draft plugin assets)',
    tag: 'layouts',
    access: DESIGN,
    handler: async (ctx, engine) => {
      const upload = ctx.request.files?.file;
      const file = Array.isArray(upload) ? upload[0] : upload;
      if (!file) throw new TesseraError('invalid_request', '请选择要上传的图片文件（字段 file）');
      const result = await engine.layouts.uploadAsset(
        eventParam(ctx),
        {
          revision: revisionOf(requestBody(ctx).revision),
          fileName: file.originalFilename ?? '',
          bytes: await readFile(file.filepath),
        },
        auditActorOf(ctx),
      );
      ctx.status = 201;
      ctx.body = result;
    },
  },
]);
