import { TesseraError } from '../../core/errors.ts';
import type { StatusChange } from '../../core/cards/lifecycle.ts';
import type { PrintJobRequest, PrintOptions } from '../../core/cards/views.ts';
import { actorOf, eventParam, idParam, nonEmptyText, requestBody } from '../route-params.ts';
import { defineRoutes, type RouteDef } from '../route-table.ts';

/** Print, issue, reprint, change a card's state: the office. Reviewers get 403. */
const STAFF = ['admin', 'operator'] as const;
/** Read cards: the office, and a unit its own cards' state. */
const READERS = ['admin', 'operator', 'unit'] as const;
/** Scan at the gate: signed-in staff. */
const VERIFIERS = ['admin', 'operator', 'reviewer', 'clerk', 'designer'] as const;

const intQuery = (v: unknown): number | undefined => {
  const n = Number(v);
  return typeof v === 'string' && v !== '' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};

const list = (v: unknown): unknown[] | undefined => (Array.isArray(v) ? v : undefined);

function statusChange(change: StatusChange, summary: string): RouteDef {
  return {
    method: 'POST',
    path: `/api/events/:event/cards/:id/${change}`,
    summary,
    tag: 'cards',
    access: STAFF,
    handler: async (ctx, engine) => {
      const b = requestBody(ctx);
      ctx.body = await engine.cards.lifecycle.change(
        eventParam(ctx),
        idParam(ctx),
        change,
        { issuedTo: nonEmptyText(b.issuedTo), reason: nonEmptyText(b.reason) },
        actorOf(ctx),
      );
    },
  };
}

export const cardRoutes = defineRoutes([
  // /api/verify/key before /api/verify/:token: the router tries routes in this order.
  {
    method: 'GET',
    path: '/api/verify/key',
    summary: '核验公钥 (Ed25519 JWK and the token format, for gate apps that check QR codes offline)',
    tag: 'cards',
    access: 'public',
    handler: async (ctx, engine) => {
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = engine.cards.verifyKey();
    },
  },
  {
    method: 'GET',
    path: '/api/verify/:token',
    summary:
      '扫码核验 (?event=CODE → valid, not-issued, returned, lost, damaged, revoked, replaced, wrong-event or invalid, with the holder)',
    tag: 'cards',
    access: VERIFIERS,
    handler: async (ctx, engine) => {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = await engine.cards.lifecycle.verify(
        ctx.params.token as string,
        nonEmptyText(ctx.query.event),
        actorOf(ctx),
      );
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/printable',
    summary:
      '待制证记录 (?cardType= &unit= &reviewBatch= &q= &offset= &limit=; approved, without a live card; counts per card type)',
    tag: 'cards',
    access: STAFF,
    handler: async (ctx, engine) => {
      const q = ctx.query;
      ctx.body = await engine.cards.printJobs.printable(eventParam(ctx), actorOf(ctx), {
        cardType: nonEmptyText(q.cardType),
        unit: nonEmptyText(q.unit),
        reviewBatch: intQuery(q.reviewBatch),
        q: nonEmptyText(q.q),
        offset: intQuery(q.offset),
        limit: intQuery(q.limit),
      });
    },
  },
  {
    method: 'POST',
    path: '/api/events/:event/print-jobs',
    summary:
      '制作证件 (cardType, recordIds?/units?/reviewBatchIds?, options) → 202 with the job; 409 cards-busy, 422 nothing-to-print',
    tag: 'cards',
    access: STAFF,
    handler: async (ctx, engine) => {
      const b = requestBody(ctx);
      const request: PrintJobRequest = {
        cardType: String(b.cardType ?? ''),
        recordIds: list(b.recordIds) as number[] | undefined,
        units: list(b.units) as string[] | undefined,
        reviewBatchIds: list(b.reviewBatchIds) as number[] | undefined,
        options: (b.options ?? {}) as PrintOptions,
      };
      ctx.status = 202;
      ctx.body = { job: await engine.cards.printJobs.create(eventParam(ctx), request, actorOf(ctx)) };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/print-jobs',
    summary: '制作任务列表 (?status= &offset= &limit=, newest first, with progress)',
    tag: 'cards',
    access: STAFF,
    handler: async (ctx, engine) => {
      const q = ctx.query;
      ctx.body = await engine.cards.printJobs.list(eventParam(ctx), actorOf(ctx), {
        status: nonEmptyText(q.status),
        offset: intQuery(q.offset),
        limit: intQuery(q.limit),
      });
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/print-jobs/:id',
    summary: '制作任务 (status, progress, problems per card, error)',
    tag: 'cards',
    access: STAFF,
    handler: async (ctx, engine) => {
      ctx.body = { job: await engine.cards.printJobs.get(eventParam(ctx), idParam(ctx), actorOf(ctx)) };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/print-jobs/:id/pdf',
    summary: '制作任务的 PDF (succeeded jobs; the download is audited)',
    tag: 'cards',
    access: STAFF,
    handler: async (ctx, engine) => {
      const pdf = await engine.cards.printJobs.pdf(eventParam(ctx), idParam(ctx), actorOf(ctx));
      ctx.status = 200;
      ctx.type = 'application/pdf';
      ctx.length = pdf.bytes;
      ctx.set('Content-Disposition', `inline; filename="${encodeURIComponent(pdf.fileName)}"`);
      ctx.set('Cache-Control', 'private, no-cache');
      ctx.body = pdf.stream;
    },
  },
  {
    method: 'POST',
    path: '/api/events/:event/print-jobs/:id/cancel',
    summary:
      '取消制作任务 (queued, running or failed; its cards keep their numbers and wait for another job)',
    tag: 'cards',
    access: STAFF,
    handler: async (ctx, engine) => {
      ctx.body = { job: await engine.cards.printJobs.cancel(eventParam(ctx), idParam(ctx), actorOf(ctx)) };
    },
  },
  {
    method: 'POST',
    path: '/api/events/:event/print-jobs/:id/retry',
    summary: '重试制作任务 (failed jobs: the same cards, the same numbers)',
    tag: 'cards',
    access: STAFF,
    handler: async (ctx, engine) => {
      ctx.body = { job: await engine.cards.printJobs.retry(eventParam(ctx), idParam(ctx), actorOf(ctx)) };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/cards',
    summary:
      '证件列表 (?status= &cardType= &unit= &q= number/name/ID/plate &sort= &offset= &limit=; a unit sees its own; counts per status)',
    tag: 'cards',
    access: READERS,
    handler: async (ctx, engine) => {
      const q = ctx.query;
      ctx.body = await engine.cards.lifecycle.list(eventParam(ctx), actorOf(ctx), {
        status: nonEmptyText(q.status),
        cardType: nonEmptyText(q.cardType),
        unit: nonEmptyText(q.unit),
        q: nonEmptyText(q.q),
        sort: nonEmptyText(q.sort),
        offset: intQuery(q.offset),
        limit: intQuery(q.limit),
      });
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/cards/:id',
    summary: '证件详情 (every version of its number, full history, photo)',
    tag: 'cards',
    access: READERS,
    handler: async (ctx, engine) => {
      ctx.body = await engine.cards.lifecycle.detail(eventParam(ctx), idParam(ctx), actorOf(ctx));
    },
  },
  statusChange('issue', '发放 (issuedTo: who received it)'),
  statusChange('return', '收回 (reason?)'),
  statusChange('lost', '挂失 (reason)'),
  statusChange('damaged', '损坏 (reason)'),
  statusChange('revoke', '注销 (reason)'),
  {
    method: 'POST',
    path: '/api/events/:event/cards/:id/reprint',
    summary: '补制 (reason, print? options → straight into a print job): the next version of the same number',
    tag: 'cards',
    access: STAFF,
    handler: async (ctx, engine) => {
      const b = requestBody(ctx);
      if (b.print !== undefined && b.print !== null && typeof b.print !== 'object') {
        throw new TesseraError('invalid_options', 'print 应为制作选项对象或 null', 422);
      }
      ctx.body = await engine.cards.lifecycle.reprint(
        eventParam(ctx),
        idParam(ctx),
        { reason: nonEmptyText(b.reason), print: (b.print ?? null) as PrintOptions | null },
        actorOf(ctx),
      );
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/records/:id/cards',
    summary: '记录的证件 (every card version of the record and their history)',
    tag: 'cards',
    access: READERS,
    handler: async (ctx, engine) => {
      ctx.body = await engine.cards.lifecycle.ofRecord(eventParam(ctx), idParam(ctx), actorOf(ctx));
    },
  },
]);
