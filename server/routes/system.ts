import { defineRoutes } from '../route-table.ts';
import { buildOpenApi } from '../openapi.ts';
import { allRoutes } from './index.ts';

export const systemRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/api/health',
    summary: '健康检查 (server and database state)',
    tag: 'system',
    access: 'public',
    handler: async (ctx, engine) => {
      const started = Date.now();
      try {
        await engine.db.sequelize.query('SELECT 1');
        ctx.body = { status: 'ok', database: { status: 'up', latencyMs: Date.now() - started } };
      } catch (error) {
        ctx.status = 503;
        ctx.body = { status: 'degraded', database: { status: 'down', error: (error as Error).message } };
      }
    },
  },
  {
    method: 'GET',
    path: '/api/openapi.json',
    summary: 'OpenAPI 3.1 document of this API',
    tag: 'system',
    access: 'public',
    handler: async (ctx) => {
      ctx.body = buildOpenApi(allRoutes());
    },
  },
]);
