import { readFile } from 'node:fs/promises';
import { TesseraError } from '../../core/errors.ts';
import type { MappingProfile } from '../../core/plugins/index.ts';
import { buildCollectionTemplate } from '../../core/import/template.ts';
import { actorOf, idParam, nonEmptyText, requestBody } from '../route-params.ts';
import { defineRoutes, type ApiContext } from '../route-table.ts';
import { onboardingOf } from './onboarding.ts';

const ENTRY_ROLES = ['admin', 'clerk', 'unit'] as const;

interface UploadedFile {
  filepath: string;
  size: number;
  originalFilename: string | null;
}

function uploaded(ctx: ApiContext, field: string): UploadedFile | undefined {
  const f = ctx.request.files?.[field];
  return (Array.isArray(f) ? f[0] : f) as UploadedFile | undefined;
}

function profileOf(ctx: ApiContext): MappingProfile | undefined {
  const raw = requestBody(ctx).profile;
  if (raw === undefined || raw === null || raw === '') return undefined;
  try {
    return (typeof raw === 'string' ? JSON.parse(raw) : raw) as MappingProfile;
  } catch {
    throw new TesseraError('invalid_profile', '映射方案不是有效的 JSON', 422);
  }
}

const textField = (b: Record<string, unknown>, name: string) => nonEmptyText(b[name]);

export const importRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/api/events/:event/mapping-profiles',
    summary:
      '映射方案列表 (the plugin’s and the saved ones; ?kind=person|vehicle; units that last used each)',
    tag: 'imports',
    access: ENTRY_ROLES,
    handler: async (ctx, engine) => {
      const kind = typeof ctx.query.kind === 'string' && ctx.query.kind ? ctx.query.kind : undefined;
      ctx.body = { profiles: await engine.mappingProfiles.list(ctx.params.event as string, kind) };
    },
  },
  {
    method: 'PUT',
    path: '/api/events/:event/mapping-profiles/:code',
    summary:
      '保存映射方案 (body: a mapping profile per schemas/mapping.schema.json, checked like a plugin’s)',
    tag: 'imports',
    access: ['admin', 'clerk'],
    handler: async (ctx, engine) => {
      const profile = requestBody(ctx);
      if (profile.code !== ctx.params.code)
        throw new TesseraError('code_mismatch', '映射方案的代码与地址中的代码不一致', 422);
      ctx.body = await engine.mappingProfiles.save(ctx.params.event as string, profile, actorOf(ctx));
    },
  },
  {
    method: 'DELETE',
    path: '/api/events/:event/mapping-profiles/:code',
    summary: '删除已保存的映射方案',
    tag: 'imports',
    access: ['admin', 'clerk'],
    handler: async (ctx, engine) => {
      await engine.mappingProfiles.remove(
        ctx.params.event as string,
        ctx.params.code as string,
        actorOf(ctx),
      );
      ctx.status = 204;
    },
  },
  {
    method: 'POST',
    path: '/api/events/:event/mapping-preview',
    summary:
      '用样表试映射 (multipart: file, kind, optional unitCode, profile JSON, profileCode, sheet): header, columns, first rows checked; nothing stored',
    tag: 'imports',
    access: ENTRY_ROLES,
    handler: async (ctx, engine) => {
      const file = uploaded(ctx, 'file');
      if (!file) throw new TesseraError('file_missing', '请选择一份样表（Excel、CSV 或压缩包）', 422);
      const b = requestBody(ctx);
      ctx.body = await engine.imports.preview(
        {
          eventCode: ctx.params.event as string,
          kind: textField(b, 'kind') ?? 'person',
          unitCode: textField(b, 'unitCode'),
          fileName: file.originalFilename ?? 'sample',
          bytes: await readFile(file.filepath),
          profile: profileOf(ctx),
          profileCode: textField(b, 'profileCode'),
          sheet: textField(b, 'sheet'),
        },
        actorOf(ctx),
      );
    },
  },
  {
    method: 'POST',
    path: '/api/events/:event/imports',
    summary:
      '上传采集表或压缩包 (multipart: file, kind, unitCode, optional profile JSON and sheet); staging runs as a task',
    tag: 'imports',
    access: ENTRY_ROLES,
    handler: async (ctx, engine) => {
      const file = uploaded(ctx, 'file');
      if (!file)
        throw new TesseraError('file_missing', '请选择要上传的 Excel、CSV 或压缩包（表单字段 file）', 422);
      const b = requestBody(ctx);
      const result = await engine.imports.startStaging(
        {
          eventCode: ctx.params.event as string,
          kind: typeof b.kind === 'string' ? b.kind : 'person',
          unitCode: typeof b.unitCode === 'string' && b.unitCode ? b.unitCode : undefined,
          fileName: file.originalFilename ?? 'upload',
          bytes: await readFile(file.filepath),
          profile: profileOf(ctx),
          profileCode: textField(b, 'profileCode'),
          sheet: textField(b, 'sheet'),
        },
        actorOf(ctx),
      );
      ctx.status = 202;
      ctx.body = result;
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/imports',
    summary: '导入批次列表 (a unit user sees its own)',
    tag: 'imports',
    access: ENTRY_ROLES,
    handler: async (ctx, engine) => {
      ctx.body = { batches: await engine.imports.list(ctx.params.event as string, actorOf(ctx)) };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/templates/:kind',
    summary:
      '下载 Excel 采集模板 (generated from the form: labels, text ID column, drop-downs, instructions)',
    tag: 'imports',
    access: 'any',
    handler: async (ctx, engine) => {
      const { event, plugin } = await engine.events.find(ctx.params.event as string);
      const kind = ctx.params.kind as string;
      if (!plugin.forms[kind])
        throw new TesseraError('unknown_record_kind', `本活动没有"${kind}"类记录`, 404);
      const user = ctx.state.user!;
      const bytes = await buildCollectionTemplate(plugin, kind, { unitName: user.unit?.name });
      // A unit account's download is the template reaching that unit (开通向导 counts them).
      if (user.role === 'unit' && user.unit)
        await onboardingOf(engine).recordDownload(event.id, user.unit.id);
      const label = plugin.manifest.recordKinds.find((k) => k.kind === kind)?.label ?? kind;
      const name = `${event.name}-${label}采集表.xlsx`;
      ctx.set('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      ctx.set(
        'Content-Disposition',
        `attachment; filename="template.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`,
      );
      ctx.body = Buffer.from(bytes);
    },
  },
  {
    method: 'GET',
    path: '/api/imports/:id',
    summary: '导入批次详情 (header row, mapping, counts, notes, photo review)',
    tag: 'imports',
    access: ENTRY_ROLES,
    handler: async (ctx, engine) => {
      ctx.body = { batch: await engine.imports.batch(idParam(ctx, 'id'), actorOf(ctx)) };
    },
  },
  {
    method: 'GET',
    path: '/api/imports/:id/rows',
    summary: '暂存行 (rows with errors and warnings; ?status=valid,invalid&page=&pageSize=)',
    tag: 'imports',
    access: ENTRY_ROLES,
    handler: async (ctx, engine) => {
      const q = ctx.query;
      ctx.body = await engine.imports.rows(idParam(ctx, 'id'), actorOf(ctx), {
        status: typeof q.status === 'string' && q.status ? q.status : undefined,
        page: Number(q.page) || undefined,
        pageSize: Number(q.pageSize) || undefined,
      });
    },
  },
  {
    method: 'PATCH',
    path: '/api/imports/:id/rows/:row',
    summary: '在线修改暂存行 (values + version; checked again)',
    tag: 'imports',
    access: ENTRY_ROLES,
    handler: async (ctx, engine) => {
      const b = requestBody(ctx);
      if (!b.values || typeof b.values !== 'object' || typeof b.version !== 'number') {
        throw new TesseraError('invalid_request', '请求须含 values 对象和 version');
      }
      ctx.body = {
        row: await engine.imports.editRow(idParam(ctx, 'id'), idParam(ctx, 'row'), actorOf(ctx), {
          values: b.values as Record<string, unknown>,
          version: b.version,
        }),
      };
    },
  },
  {
    method: 'DELETE',
    path: '/api/imports/:id/rows/:row',
    summary: '删除暂存行 (kept with who, when and why)',
    tag: 'imports',
    access: ENTRY_ROLES,
    handler: async (ctx, engine) => {
      const reason = typeof ctx.query.reason === 'string' ? ctx.query.reason : undefined;
      ctx.body = {
        row: await engine.imports.deleteRow(idParam(ctx, 'id'), idParam(ctx, 'row'), actorOf(ctx), reason),
      };
    },
  },
  {
    method: 'POST',
    path: '/api/imports/:id/rows/:row/photo',
    summary: '替换暂存行的照片 (multipart: file)',
    tag: 'imports',
    access: ENTRY_ROLES,
    handler: async (ctx, engine) => {
      const file = uploaded(ctx, 'file');
      if (!file) throw new TesseraError('photo_missing', '请选择照片文件（表单字段 file）', 422);
      ctx.body = {
        row: await engine.imports.replacePhoto(
          idParam(ctx, 'id'),
          idParam(ctx, 'row'),
          actorOf(ctx),
          await readFile(file.filepath),
          file.originalFilename ?? 'photo',
        ),
      };
    },
  },
  {
    method: 'GET',
    path: '/api/imports/:id/rows/export',
    summary:
      '下载问题行 (?status=invalid,rejected,deleted &format=xlsx|csv): the sent cells plus row number and problems, for the unit to fix',
    tag: 'imports',
    access: ENTRY_ROLES,
    handler: async (ctx, engine) => {
      const format = ctx.query.format === 'csv' ? 'csv' : 'xlsx';
      const status = typeof ctx.query.status === 'string' && ctx.query.status ? ctx.query.status : undefined;
      const file = await engine.imports.exportRows(idParam(ctx, 'id'), actorOf(ctx), { status, format });
      ctx.set('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.fileName)}`);
      ctx.set('Cache-Control', 'no-store');
      ctx.type = file.contentType;
      ctx.body = file.body;
    },
  },
  {
    method: 'POST',
    path: '/api/imports/:id/discard',
    summary: '作废批次 (a staged or failed batch; its rows are kept, nothing is committed)',
    tag: 'imports',
    access: ENTRY_ROLES,
    handler: async (ctx, engine) => {
      ctx.body = { batch: await engine.imports.discardBatch(idParam(ctx, 'id'), actorOf(ctx)) };
    },
  },
  {
    method: 'POST',
    path: '/api/imports/:id/restage',
    summary: '按新的映射方案重新读取 (profile and/or sheet; a new batch replaces this one)',
    tag: 'imports',
    access: ENTRY_ROLES,
    handler: async (ctx, engine) => {
      const b = requestBody(ctx);
      ctx.status = 202;
      ctx.body = await engine.imports.restage(
        idParam(ctx, 'id'),
        { profile: profileOf(ctx), profileCode: textField(b, 'profileCode'), sheet: textField(b, 'sheet') },
        actorOf(ctx),
      );
    },
  },
  {
    method: 'POST',
    path: '/api/imports/:id/commit',
    summary: '提交批次 (valid rows become records in one transaction; runs as a task)',
    tag: 'imports',
    access: ENTRY_ROLES,
    handler: async (ctx, engine) => {
      ctx.status = 202;
      ctx.body = { task: await engine.imports.startCommit(idParam(ctx, 'id'), actorOf(ctx)) };
    },
  },
  {
    method: 'GET',
    path: '/api/imports/:id/report',
    summary: '对账报告 (source rows = committed + deleted + rejected + pending)',
    tag: 'imports',
    access: ENTRY_ROLES,
    handler: async (ctx, engine) => {
      ctx.body = { report: await engine.imports.report(idParam(ctx, 'id'), actorOf(ctx)) };
    },
  },
  {
    method: 'GET',
    path: '/api/tasks/:id',
    summary: '长任务进度 (status, phase, done/total, result or error)',
    tag: 'tasks',
    access: 'any',
    handler: async (ctx, engine) => {
      const task = await engine.tasks.get(ctx.params.id as string);
      const user = ctx.state.user!;
      // A task is its starter's (and the admin's); a unit user never sees another's progress.
      if (user.role !== 'admin' && task.createdBy !== user.id) {
        throw new TesseraError('task_not_found', '任务不存在', 404);
      }
      ctx.body = { task };
    },
  },
]);
