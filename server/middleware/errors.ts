import type { Next } from 'koa';
import { TesseraError } from '../../core/errors.ts';
import type { ApiContext } from '../route-table.ts';

/** Every error leaves as `{"error":{"code","message","details"?}}`; internal details stay in the log. */
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
