import { TesseraError } from '../../core/errors.ts';
import { defineRoutes, type ApiContext } from '../route-table.ts';

const actorOf = (ctx: ApiContext) => ({
  id: ctx.state.user!.id,
  username: ctx.state.user!.username,
  ip: ctx.ip,
});

/** Backups: admins only. Long runs are tasks, followed with GET /api/tasks/:id. */
export const backupRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/api/admin/backups',
    summary: '备份列表与计划 (backups newest first, chain problems, schedule, recent backup tasks)',
    tag: 'backups',
    access: ['admin'],
    handler: async (ctx, engine) => {
      ctx.body = await engine.backups.overview();
    },
  },
  {
    method: 'POST',
    path: '/api/admin/backups',
    summary: '立即备份 (kind: full | incremental; runs as a task)',
    tag: 'backups',
    access: ['admin'],
    handler: async (ctx, engine) => {
      const kind = (ctx.request.body as { kind?: unknown } | undefined)?.kind;
      if (kind !== 'full' && kind !== 'incremental') {
        throw new TesseraError('invalid_request', 'kind 应为 full（全量备份）或 incremental（增量备份）');
      }
      const { task } = await engine.backups.start(kind, actorOf(ctx));
      ctx.status = 202;
      ctx.body = { task };
    },
  },
  {
    method: 'POST',
    path: '/api/admin/backups/verify',
    summary: '校验全部备份 (every checksum and the order of every chain; runs as a task)',
    tag: 'backups',
    access: ['admin'],
    handler: async (ctx, engine) => {
      ctx.status = 202;
      ctx.body = { task: await engine.backups.startVerify(actorOf(ctx)) };
    },
  },
]);
