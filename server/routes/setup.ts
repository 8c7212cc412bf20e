import { readFile, rm } from 'node:fs/promises';
import { TesseraError } from '../../core/errors.ts';
import type { NewEventInfo } from '../../core/events/blank-template.ts';
import { auditActorOf } from '../route-params.ts';
import { defineRoutes, type ApiContext } from '../route-table.ts';

const body = (ctx: ApiContext) => (ctx.request.body ?? {}) as Record<string, unknown>;
const revisionOf = (ctx: ApiContext) => {
  const revision = body(ctx).revision;
  if (typeof revision !== 'number' || !Number.isInteger(revision) || revision < 0) {
    throw new TesseraError('invalid_request', '请求缺少 revision（编辑的草稿版本号）');
  }
  return revision;
};

/**
 * The bundle of an import: an uploaded file (multipart field `bundle`, up to the upload limit, so
 * bundles with large artwork fit) or the JSON body itself.
 */
async function uploadedBundle(ctx: ApiContext): Promise<unknown> {
  const upload = ctx.request.files?.bundle;
  const file = Array.isArray(upload) ? upload[0] : upload;
  if (!file) return ctx.request.body;
  const name = file.originalFilename ?? 'bundle';
  try {
    return JSON.parse(await readFile(file.filepath, 'utf8')) as unknown;
  } catch (error) {
    throw new TesseraError(
      'invalid_bundle',
      `文件 "${name}" 不是 JSON 插件包（${(error as Error).message}）。请选择从 Tessera 导出的 .tessera.json 文件`,
      422,
    );
  } finally {
    await rm(file.filepath, { force: true });
  }
}

/** Event setup is the admin's job; the screens and these routes go together (designer/src/pages/setup). */
const SETUP = ['admin'] as const;

export const setupRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/api/event-templates',
    summary: '新建活动可用的模板 (bundled plugins an event can start from; plus blank)',
    tag: 'setup',
    access: SETUP,
    handler: async (ctx, engine) => {
      ctx.body = { templates: engine.setup.templates() };
    },
  },
  {
    method: 'POST',
    path: '/api/events',
    summary: '新建活动 (create an event from a template or blank)',
    tag: 'setup',
    access: SETUP,
    handler: async (ctx, engine) => {
      const b = body(ctx);
      const event = await engine.setup.create(
        {
          template: typeof b.template === 'string' ? b.template : 'blank',
          code: String(b.code ?? ''),
          name: String(b.name ?? ''),
          kind: String(b.kind ?? 'other') as NewEventInfo['kind'],
          organizer: String(b.organizer ?? ''),
          startDate: String(b.startDate ?? ''),
          endDate: String(b.endDate ?? ''),
        },
        auditActorOf(ctx),
      );
      ctx.status = 201;
      ctx.body = { event: { code: event.code, name: event.name } };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/draft',
    summary: '活动设置草稿 (the working copy of the event plugin, with its check results)',
    tag: 'setup',
    access: SETUP,
    handler: async (ctx, engine) => {
      ctx.body = { draft: await engine.setup.getDraft(ctx.params.event as string) };
    },
  },
  {
    method: 'PUT',
    path: '/api/events/:event/draft',
    summary: '保存活动设置草稿 (save changed plugin files; null deletes a file)',
    tag: 'setup',
    access: SETUP,
    handler: async (ctx, engine) => {
      const files = body(ctx).files as Record<string, unknown>;
      ctx.body = {
        draft: await engine.setup.saveDraft(
          ctx.params.event as string,
          { revision: revisionOf(ctx), files },
          auditActorOf(ctx),
        ),
      };
    },
  },
  {
    method: 'DELETE',
    path: '/api/events/:event/draft',
    summary: '放弃草稿 (discard the draft)',
    tag: 'setup',
    access: SETUP,
    handler: async (ctx, engine) => {
      ctx.body = { draft: await engine.setup.discardDraft(ctx.params.event as string, auditActorOf(ctx)) };
    },
  },
  {
    method: 'POST',
    path: '/api/events/:event/publish',
    summary: '发布新版本 (publish the draft as a new plugin version)',
    tag: 'setup',
    access: SETUP,
    handler: async (ctx, engine) => {
      const version = await engine.setup.publish(
        ctx.params.event as string,
        revisionOf(ctx),
        auditActorOf(ctx),
      );
      ctx.body = { version };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/versions',
    summary: '插件版本历史 (plugin versions of the event)',
    tag: 'setup',
    access: SETUP,
    handler: async (ctx, engine) => {
      ctx.body = { versions: await engine.setup.versions(ctx.params.event as string) };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/bundle',
    summary: '导出插件包 (the published event as a single-JSON plugin bundle)',
    tag: 'setup',
    access: SETUP,
    handler: async (ctx, engine) => {
      const { fileName, bundle } = await engine.setup.exportBundle(
        ctx.params.event as string,
        auditActorOf(ctx),
      );
      ctx.set('Content-Disposition', `attachment; filename="${fileName}"`);
      ctx.body = bundle;
    },
  },
  {
    method: 'POST',
    path: '/api/event-bundles',
    summary: '导入插件包 (a new event, or with ?into=CODE a new version of that event)',
    tag: 'setup',
    access: SETUP,
    handler: async (ctx, engine) => {
      const into = typeof ctx.query.into === 'string' && ctx.query.into ? ctx.query.into : undefined;
      const result = await engine.setup.importBundle(await uploadedBundle(ctx), { into }, auditActorOf(ctx));
      ctx.status = result.created ? 201 : 200;
      ctx.body = {
        event: { code: result.event.code, name: result.event.name },
        version: result.version,
        created: result.created,
      };
    },
  },
]);
