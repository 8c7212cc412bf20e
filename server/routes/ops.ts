import { timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { TesseraError } from '../../core/errors.ts';
import { INSPECTION_TASK } from '../../core/ops/inspect/index.ts';
import { queryRequestLog } from '../../core/ops/logs/index.ts';
import type { Engine } from '../../core/engine.ts';
import { QueryTypes } from 'sequelize';
import { actorOf, intQueryParam, nonEmptyText } from '../route-params.ts';
import { defineRoutes, type ApiContext } from '../route-table.ts';

const sameToken = (sent: string, expected: string) => {
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** /metrics: an admin's session, or `Authorization: Bearer <TESSERA_METRICS_TOKEN>` (a scraper). */
function allowMetrics(ctx: ApiContext, engine: Engine): void {
  const token = engine.config.ops.metricsToken;
  const bearer = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization'))?.[1];
  if (token && bearer && sameToken(bearer, token)) return;
  if (ctx.state.user?.role === 'admin') return;
  if (ctx.state.user || bearer)
    throw new TesseraError('forbidden', '只有管理员或持有监控令牌的采集程序可以读取 /metrics', 403);
  ctx.set('WWW-Authenticate', 'Bearer realm="tessera-metrics"');
  throw new TesseraError('unauthenticated', '请先登录，或使用 TESSERA_METRICS_TOKEN 令牌', 401);
}

async function recentInspectionTasks(engine: Engine) {
  const ids = await engine.db.sequelize.query<{ id: string }>(
    'SELECT id FROM tasks WHERE type = :type ORDER BY created_at DESC LIMIT 5',
    { type: QueryTypes.SELECT, replacements: { type: INSPECTION_TASK } },
  );
  return Promise.all(ids.map((r) => engine.tasks.get(r.id)));
}

/** Monitoring (/metrics), the request log viewer and inspection reports: admins (and a scraper). */
export const opsRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus 指标 (text format; admin session or Bearer TESSERA_METRICS_TOKEN)',
    tag: 'ops',
    // Checked in the handler: a scraper has a token, not a session.
    access: 'public',
    handler: async (ctx, engine) => {
      allowMetrics(ctx, engine);
      const { contentType, body } = await engine.metrics.render();
      ctx.type = contentType;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = body;
    },
  },
  {
    method: 'GET',
    path: '/api/admin/logs',
    summary:
      '运行日志 (request log, newest first; from, to, status, method, path, user, minMs, text, slow, offset, limit)',
    tag: 'ops',
    access: ['admin'],
    handler: async (ctx, engine) => {
      const q = (name: string) => nonEmptyText(ctx.query[name]);
      const minMs = q('minMs');
      if (minMs !== undefined && !(Number(minMs) >= 0)) {
        throw new TesseraError('invalid_request', `最小耗时 "${minMs}" 应为不小于 0 的毫秒数`);
      }
      ctx.body = await queryRequestLog(
        engine.config.dataDir,
        {
          from: q('from'),
          to: q('to'),
          status: q('status'),
          method: q('method'),
          path: q('path'),
          user: q('user'),
          minMs: minMs === undefined ? undefined : Number(minMs),
          text: q('text'),
          slowOnly: q('slow') === '1' || q('slow') === 'true',
        },
        {
          offset: intQueryParam(ctx, 'offset', 0, 1_000_000),
          limit: intQueryParam(ctx, 'limit', 100, 500) || 100,
          slowMs: engine.config.ops.slowMs,
        },
      );
    },
  },
  {
    method: 'GET',
    path: '/api/admin/inspections',
    summary: '巡检报告历史 (reports newest first, recent inspection tasks)',
    tag: 'ops',
    access: ['admin'],
    handler: async (ctx, engine) => {
      ctx.body = { inspections: await engine.inspections.list(), tasks: await recentInspectionTasks(engine) };
    },
  },
  {
    method: 'POST',
    path: '/api/admin/inspections',
    summary: '立即巡检 (runs as a task; follow it with GET /api/tasks/:id)',
    tag: 'ops',
    access: ['admin'],
    handler: async (ctx, engine) => {
      ctx.status = 202;
      ctx.body = { task: await engine.inspections.start(actorOf(ctx)) };
    },
  },
  {
    method: 'GET',
    path: '/api/admin/inspections/:id',
    summary: '巡检报告 (JSON)',
    tag: 'ops',
    access: ['admin'],
    handler: async (ctx, engine) => {
      ctx.body = { report: await engine.inspections.get(String(ctx.params.id)) };
    },
  },
  {
    method: 'GET',
    path: '/api/admin/inspections/:id/report.html',
    summary: '巡检报告 (HTML, print-friendly)',
    tag: 'ops',
    access: ['admin'],
    handler: async (ctx, engine) => {
      const file = engine.inspections.file(String(ctx.params.id), 'html');
      ctx.type = 'html';
      ctx.body = await fs.readFile(file).catch(() => {
        throw new TesseraError('inspection_not_found', `巡检报告 ${String(ctx.params.id)} 不存在`, 404);
      });
    },
  },
  {
    method: 'GET',
    path: '/api/admin/inspections/:id/report.pdf',
    summary: '巡检报告 (PDF)',
    tag: 'ops',
    access: ['admin'],
    handler: async (ctx, engine) => {
      const id = String(ctx.params.id);
      const file = engine.inspections.file(id, 'pdf');
      const data = await fs.readFile(file).catch(() => {
        throw new TesseraError(
          'inspection_pdf_missing',
          `巡检报告 ${id} 没有 PDF（生成时找不到 Chromium），请打开 HTML 版打印`,
          404,
        );
      });
      ctx.type = 'application/pdf';
      const name = `巡检报告-${id.slice(0, 8)}-${id.slice(9, 15)}.pdf`;
      ctx.set(
        'Content-Disposition',
        `attachment; filename="inspection-${id}.pdf"; filename*=UTF-8''${encodeURIComponent(name)}`,
      );
      ctx.body = data;
    },
  },
]);
