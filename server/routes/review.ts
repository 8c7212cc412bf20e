import type { Decision } from '../../core/review/views.ts';
import { actorOf, idParam, nonEmptyText, requestBody } from '../route-params.ts';
import { defineRoutes } from '../route-table.ts';

const READ_ROLES = ['admin', 'clerk', 'reviewer', 'unit'] as const;

export const reviewRoutes = defineRoutes([
  {
    method: 'POST',
    path: '/api/events/:event/review-batches',
    summary:
      '提交审核 (unitCode, recordIds? — default: the unit’s drafts and returned records —, kind?, note?)',
    tag: 'review',
    access: ['admin', 'clerk', 'unit'],
    handler: async (ctx, engine) => {
      const b = requestBody(ctx);
      const ids = Array.isArray(b.recordIds)
        ? b.recordIds.map(Number).filter(Number.isSafeInteger)
        : undefined;
      ctx.status = 201;
      ctx.body = {
        batch: await engine.review.submit(
          ctx.params.event as string,
          {
            unitCode: nonEmptyText(b.unitCode),
            recordIds: ids,
            kind: nonEmptyText(b.kind),
            note: nonEmptyText(b.note),
          },
          actorOf(ctx),
        ),
      };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/review-batches',
    summary:
      '审核批次列表 (?status=open|decided &unit= &cardType= &important=1 &olderThanHours=) with dashboard counts',
    tag: 'review',
    access: READ_ROLES,
    handler: async (ctx, engine) => {
      const q = ctx.query;
      const hours = Number(q.olderThanHours);
      ctx.body = await engine.review.list(ctx.params.event as string, actorOf(ctx), {
        status: nonEmptyText(q.status),
        unit: nonEmptyText(q.unit),
        cardType: nonEmptyText(q.cardType),
        important: q.important === '1' || q.important === 'true' ? true : undefined,
        // Capped (a century) so the interval stays in PostgreSQL's range: 1e308 hours is "all".
        olderThanHours: Number.isFinite(hours) && hours > 0 ? Math.min(hours, 876_000) : undefined,
      });
    },
  },
  {
    method: 'GET',
    path: '/api/review-batches/:id',
    summary:
      '审核界面 (the batch, its records with photo, fields and flags, the unit’s declaration context, duplicates)',
    tag: 'review',
    access: READ_ROLES,
    handler: async (ctx, engine) => {
      ctx.body = await engine.review.screen(idParam(ctx), actorOf(ctx));
    },
  },
  {
    method: 'POST',
    path: '/api/review-batches/:id/decisions',
    summary:
      '审核决定 (decision approve|reject|return, records [{id, version}] or all, reason, overrideQuota); 409 on a conflict or quota overrun',
    tag: 'review',
    access: ['admin', 'reviewer'],
    handler: async (ctx, engine) => {
      const b = requestBody(ctx);
      const records = Array.isArray(b.records)
        ? (b.records as { id?: unknown; version?: unknown }[]).map((r) => ({
            id: Number(r.id),
            version: Number(r.version),
          }))
        : undefined;
      ctx.body = await engine.review.decide(
        idParam(ctx),
        {
          decision: b.decision as Decision,
          records,
          all: b.all === true,
          reason: nonEmptyText(b.reason),
          overrideQuota: b.overrideQuota === true,
        },
        actorOf(ctx),
      );
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/units/:unit/declaration-summary',
    summary:
      '单位申报情况 (per card type: applied, approved, rejected, pending, printed, quota, remaining, important; important first)',
    tag: 'review',
    access: READ_ROLES,
    handler: async (ctx, engine) => {
      ctx.body = await engine.review.declarationSummary(
        ctx.params.event as string,
        ctx.params.unit as string,
        actorOf(ctx),
      );
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/records/:id/decisions',
    summary: '记录的审核记录 (decisions with reasons, newest first; what the unit sees)',
    tag: 'review',
    access: READ_ROLES,
    handler: async (ctx, engine) => {
      // Reading the record first applies its access rule (a unit sees only its own).
      await engine.records.get(ctx.params.event as string, actorOf(ctx), idParam(ctx));
      ctx.body = { decisions: await engine.review.decisionsOf(idParam(ctx)) };
    },
  },
]);
