import { existsSync, promises as fs } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import Router, { type RouterMiddleware } from '@koa/router';
import Koa from 'koa';
import { koaBody } from 'koa-body';
import serveStatic from 'koa-static';
import { foreground } from '../core/concurrency.ts';
import type { Engine } from '../core/engine.ts';
import { TesseraError } from '../core/errors.ts';
import { errorBodies, isDiskFull } from './middleware/errors.ts';
import { RequestLog } from './middleware/request-log.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { refuseNulText } from './middleware/input-text.ts';
import { loadSession, requireCsrfToken } from './middleware/session.ts';
import type { ApiContext, RouteDef, TesseraState } from './route-table.ts';
import { allRoutes } from './routes/index.ts';

function guard(route: RouteDef) {
  return async (ctx: ApiContext, next: () => Promise<void>) => {
    if (route.access !== 'public') {
      const user = ctx.state.user;
      if (!user) throw new TesseraError('unauthenticated', '请先登录', 401);
      if (route.access !== 'any' && !route.access.includes(user.role)) {
        throw new TesseraError('forbidden', '当前角色无权执行此操作', 403);
      }
    }
    await next();
  };
}

/** API requests are what users wait for: background tasks give way while any is being answered. */
async function countedAsForeground(ctx: ApiContext, next: () => Promise<void>): Promise<void> {
  if (!ctx.path.startsWith('/api/')) return next();
  const leave = foreground.enter();
  // Until the answer has been written or the client has gone, not just until the handler returned.
  ctx.res.once('close', leave);
  await next();
}

export interface TesseraApp {
  app: Koa<TesseraState>;
  requestLog: RequestLog;
}

export function createApp(engine: Engine, log: (message: string) => void = console.error): TesseraApp {
  const app = new Koa<TesseraState>();
  app.proxy = process.env.TESSERA_TRUST_PROXY === '1';
  const requestLog = new RequestLog(engine.config.dataDir, engine.config.ops, engine.metrics);
  const router = new Router<TesseraState>();
  for (const route of allRoutes()) {
    router.register(route.path, [route.method], [
      guard(route),
      (ctx: ApiContext) => route.handler(ctx, engine),
    ] as RouterMiddleware<TesseraState>[]);
  }

  app.use(requestLog.middleware());
  // TESSERA_BACKGROUND_PRIORITY=normal: tasks run flat out beside the requests.
  if (engine.config.backgroundPriority === 'low') app.use(countedAsForeground);
  app.use(
    errorBodies((error, ctx) => {
      log(`[${ctx.state.requestId}] ${ctx.method} ${ctx.path}: ${(error as Error).stack ?? String(error)}`);
    }),
  );
  app.use(securityHeaders);
  app.use(loadSession(engine));
  app.use(requireCsrfToken);
  app.use(
    koaBody({
      jsonLimit: '2mb',
      formLimit: '1mb',
      textLimit: '1mb',
      multipart: true,
      formidable: {
        maxFileSize: engine.config.maxUploadBytes,
        maxTotalFileSize: engine.config.maxUploadBytes,
      },
      onError: (error) => {
        // The disk is full, not the request wrong: answered 507 by errorBodies.
        if (isDiskFull(error)) throw error;
        const status =
          (error as { httpCode?: number; status?: number }).httpCode ?? (error as { status?: number }).status;
        if (status === 413 || /max(Total)?FileSize|exceeded|too large/i.test(error.message)) {
          const mb = Math.round(engine.config.maxUploadBytes / 1024 / 1024);
          throw new TesseraError(
            'upload_too_large',
            `上传的文件超过 ${mb} MB 的限制，请压缩或拆分后再上传`,
            413,
          );
        }
        throw new TesseraError('invalid_body', `请求内容无法解析：${error.message}`, 400);
      },
    }),
  );
  // Uploaded files live in temp files until the request ends, however it ends (a refused role
  // or a failed check included): handlers read them, nobody keeps them.
  app.use(async (ctx, next) => {
    try {
      await next();
    } finally {
      const files = Object.values(ctx.request.files ?? {}).flat();
      await Promise.all(files.map((f) => fs.rm(f.filepath, { force: true })));
    }
  });
  app.use(refuseNulText);
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use(designerApp(engine.config.designerDistDir));
  return { app, requestLog };
}

/** The built designer at `/`, with index.html for every client-side route. */
function designerApp(distDir: string) {
  const statics = serveStatic(distDir, { maxage: 0, index: 'index.html' });
  return async (ctx: ApiContext, next: () => Promise<void>) => {
    if (ctx.path.startsWith('/api')) return next();
    await statics(ctx, next);
    if (ctx.status === 404 && (ctx.method === 'GET' || ctx.method === 'HEAD') && !path.extname(ctx.path)) {
      const index = path.join(distDir, 'index.html');
      if (existsSync(index)) {
        ctx.type = 'html';
        ctx.body = await fs.readFile(index);
      } else {
        ctx.status = 503;
        ctx.type = 'text';
        ctx.body = '界面尚未构建：请运行 npm run build:designer (the designer has not been built)';
      }
    }
  };
}

export async function listen(app: Koa<TesseraState>, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}
