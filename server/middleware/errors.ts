import type { Next } from 'koa';
import { isDatabaseUnavailable } from '../../core/db/connection.ts';
import { TesseraError } from '../../core/errors.ts';
import type { ApiContext } from '../route-table.ts';

/** The disk (data folder or upload temp folder) is full, or the user's quota on it. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Seconds a client is told to wait before trying again while the database is away. */
const RETRY_AFTER_S = 5;

/**
 * Every error leaves as `{"error":{"code","message","details"?}}`; internal details stay in the log.
 * Two failures of the machine rather than the request get answers of their own, not a 500: the
 * database away (503, try again in a moment — the pool recovers by itself) and a full disk (507).
 */
export function errorBodies(logError: (error: unknown, ctx: ApiContext) => void) {
  return async (ctx: ApiContext, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined && ctx.path.startsWith('/api')) {
        throw new TesseraError('not_found', `接口不存在：${ctx.method} ${ctx.path}`, 404);
      }
    } catch (error) {
      if (error instanceof TesseraError) {
        ctx.status = error.status;
        ctx.body = {
          error: {
            code: error.code,
            message: error.message,
            ...(error.details ? { details: error.details } : {}),
          },
        };
        return;
      }
      const status = (error as { status?: number; expose?: boolean }).status;
      if (status && status >= 400 && status < 500) {
        const code =
          status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request';
        const message =
          status === 413
            ? '上传内容超过大小限制'
            : status === 415
              ? '不支持的内容类型'
              : `请求无效：${(error as Error).message}`;
        ctx.status = status;
        ctx.body = { error: { code, message } };
        return;
      }
      if (isDatabaseUnavailable(error)) {
        logError(`数据库暂时不可用：${(error as Error).message}`, ctx);
        ctx.status = 503;
        ctx.set('Retry-After', String(RETRY_AFTER_S));
        ctx.body = {
          error: {
            code: 'database_unavailable',
            message: `数据库暂时无法连接，请稍后重试（约 ${RETRY_AFTER_S} 秒后）；如持续出现请联系管理员`,
          },
        };
        return;
      }
      if (isDiskFull(error)) {
        logError(error, ctx);
        ctx.status = 507;
        ctx.body = {
          error: {
            code: 'disk_full',
            message: '服务器磁盘空间不足，本次上传/保存未完成，已有数据不受影响；请联系管理员清理空间后重试',
          },
        };
        return;
      }
      logError(error, ctx);
      ctx.status = 500;
      ctx.body = {
        error: {
          code: 'internal_error',
          message: `服务器内部错误，请联系管理员（请求编号 ${ctx.state.requestId}）`,
        },
      };
    }
  };
}
