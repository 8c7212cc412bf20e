import { TesseraError } from '../../core/errors.ts';
import { photoRules } from '../../core/photos/rules.ts';
import { actorOf, requestBody } from '../route-params.ts';
import { defineRoutes, type ApiContext } from '../route-table.ts';

const recordId = (ctx: ApiContext) => {
  const id = Number(ctx.params.id);
  if (!Number.isSafeInteger(id) || id <= 0)
    throw new TesseraError('record_not_found', `记录 ${ctx.params.id} 不存在`, 404);
  return id;
};
const valuesOf = (ctx: ApiContext) => {
  const values = requestBody(ctx).values;
  if (!values || typeof values !== 'object' || Array.isArray(values)) {
    throw new TesseraError('invalid_request', '请求缺少 values 对象');
  }
  return values as Record<string, unknown>;
};

const ENTRY_ROLES = ['admin', 'clerk', 'unit'] as const;
const READ_ROLES = ['admin', 'clerk', 'unit', 'reviewer', 'operator'] as const;

export const recordRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/api/events/:event/forms/:kind',
    summary: '采集表单 (the JSON Schema form of a record kind, with card types, zones and units)',
    tag: 'records',
    access: 'any',
    handler: async (ctx, engine) => {
      const { plugin } = await engine.events.find(ctx.params.event as string);
      const kind = ctx.params.kind as string;
      const schema = plugin.forms[kind];
      const declared = plugin.manifest.recordKinds.find((k) => k.kind === kind);
      if (!schema || !declared)
        throw new TesseraError('unknown_record_kind', `本活动没有"${kind}"类记录`, 404);
      const user = ctx.state.user!;
      const units = await engine.units.list(
        user.role === 'unit' && user.unit ? { unitId: user.unit.id } : {},
      );
      ctx.body = {
        kind,
        label: declared.label,
        schema,
        required: schema.required ?? [],
        cardTypes: plugin.cardTypes
          .filter((t) => t.recordKind === kind)
          .map((t) => ({ code: t.code, name: t.name, important: t.important })),
        zones: plugin.manifest.event.zones.map((z) => ({
          code: z.code,
          name: z.name,
          color: z.color ?? null,
        })),
        units: units.map((u) => ({ code: u.code, name: u.name })),
        /** The event's ID photo rules: the crop's aspect ratio, minimum pixels, file size. */
        photo: photoRules(plugin.manifest.photo),
      };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/records',
    summary: '记录列表 (records: search by name prefix, ID number or plate; filters; paging)',
    tag: 'records',
    access: READ_ROLES,
    handler: async (ctx, engine) => {
      const q = ctx.query;
      const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
      ctx.body = await engine.records.list(ctx.params.event as string, actorOf(ctx), {
        kind: str(q.kind),
        q: str(q.q),
        status: str(q.status),
        unit: str(q.unit),
        page: Number(q.page) || 1,
        pageSize: Number(q.pageSize) || 50,
      });
    },
  },
  {
    method: 'POST',
    path: '/api/events/:event/records',
    summary: '新增记录 (create a record; validated with the shared rules)',
    tag: 'records',
    access: ENTRY_ROLES,
    handler: async (ctx, engine) => {
      const b = requestBody(ctx);
      if (typeof b.kind !== 'string') throw new TesseraError('invalid_request', '请求缺少 kind');
      const record = await engine.records.create(ctx.params.event as string, actorOf(ctx), {
        kind: b.kind,
        unitCode: typeof b.unitCode === 'string' ? b.unitCode : undefined,
        values: valuesOf(ctx),
      });
      ctx.status = 201;
      ctx.body = { record };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/records/:id',
    summary: '记录详情 (one record; ID number masked)',
    tag: 'records',
    access: READ_ROLES,
    handler: async (ctx, engine) => {
      ctx.body = {
        record: await engine.records.get(ctx.params.event as string, actorOf(ctx), recordId(ctx)),
      };
    },
  },
  {
    method: 'PUT',
    path: '/api/events/:event/records/:id',
    summary: '修改记录 (update with the version read; 409 when someone saved first)',
    tag: 'records',
    access: ENTRY_ROLES,
    handler: async (ctx, engine) => {
      const version = Number(requestBody(ctx).version);
      if (!Number.isInteger(version)) throw new TesseraError('invalid_request', '请求缺少 version');
      ctx.body = {
        record: await engine.records.update(
          ctx.params.event as string,
          actorOf(ctx),
          recordId(ctx),
          valuesOf(ctx),
          version,
        ),
      };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/records/:id/id-number',
    summary: '查看完整证件号码 (full ID number; audited)',
    tag: 'records',
    access: ['admin', 'clerk', 'reviewer', 'operator'],
    handler: async (ctx, engine) => {
      ctx.body = {
        idNumber: await engine.records.fullIdNumber(ctx.params.event as string, actorOf(ctx), recordId(ctx)),
      };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/records/:id/history',
    summary: '修改历史 (edit history of a record)',
    tag: 'records',
    access: READ_ROLES,
    handler: async (ctx, engine) => {
      ctx.body = {
        entries: await engine.records.history(ctx.params.event as string, actorOf(ctx), recordId(ctx)),
      };
    },
  },
]);
