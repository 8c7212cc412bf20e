import { TesseraError } from '../../core/errors.ts';
import { clearSessionCookie, SESSION_COOKIE, setSessionCookie } from '../middleware/session.ts';
import { actorOf, idParam, intQueryParam, nonEmptyText, requestBody } from '../route-params.ts';
import { defineRoutes, type ApiContext } from '../route-table.ts';

const meta = (ctx: ApiContext) => ({ ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined });

/** A 429 says when to come back, in the header clients and proxies read too. */
function withRetryAfter(ctx: ApiContext, error: unknown): unknown {
  const seconds = (error as TesseraError).details as { retryAfterSeconds?: number } | undefined;
  if (error instanceof TesseraError && error.status === 429 && seconds?.retryAfterSeconds) {
    ctx.set('Retry-After', String(seconds.retryAfterSeconds));
  }
  return error;
}

const text = (value: unknown, message: string): string => {
  if (typeof value !== 'string' || value === '') throw new TesseraError('invalid_request', message);
  return value;
};

export const authRoutes = defineRoutes([
  {
    method: 'POST',
    path: '/api/auth/login',
    summary:
      '登录 (sign in): a fresh session cookie (any session sent along ends) and the CSRF token; 429 login_throttled / account_locked with Retry-After',
    tag: 'auth',
    access: 'public',
    handler: async (ctx, engine) => {
      const body = requestBody(ctx);
      if (typeof body.username !== 'string' || typeof body.password !== 'string' || !body.username) {
        throw new TesseraError('invalid_request', '请输入用户名和密码');
      }
      try {
        const session = await engine.accounts.login(body.username, body.password, {
          ...meta(ctx),
          presentedToken: ctx.cookies.get(SESSION_COOKIE),
        });
        setSessionCookie(ctx, engine, session.token, session.expiresAt);
        ctx.body = { user: session.user, csrfToken: session.csrfToken };
      } catch (error) {
        throw withRetryAfter(ctx, error);
      }
    },
  },
  {
    method: 'GET',
    path: '/api/auth/me',
    summary: '当前用户 (the signed-in user and its CSRF token)',
    tag: 'auth',
    access: 'any',
    handler: async (ctx) => {
      ctx.body = { user: ctx.state.user, csrfToken: ctx.state.csrfToken };
    },
  },
  {
    method: 'POST',
    path: '/api/auth/logout',
    summary: '退出 (sign out; the session ends on the server)',
    tag: 'auth',
    access: 'any',
    handler: async (ctx, engine) => {
      if (ctx.state.sessionToken) {
        await engine.accounts.logout(ctx.state.sessionToken, meta(ctx), ctx.state.user);
      }
      clearSessionCookie(ctx, engine);
      ctx.status = 204;
    },
  },
  {
    method: 'POST',
    path: '/api/auth/password',
    summary:
      '修改密码 (oldPassword, newPassword): every session of the user ends, this browser gets a fresh one',
    tag: 'auth',
    access: 'any',
    handler: async (ctx, engine) => {
      const body = requestBody(ctx);
      try {
        const session = await engine.accounts.changePassword(
          ctx.state.user!.id,
          {
            oldPassword: text(body.oldPassword, '请输入原密码'),
            newPassword: text(body.newPassword, '请输入新密码'),
          },
          meta(ctx),
        );
        setSessionCookie(ctx, engine, session.token, session.expiresAt);
        ctx.body = { user: session.user, csrfToken: session.csrfToken };
      } catch (error) {
        throw withRetryAfter(ctx, error);
      }
    },
  },
  {
    method: 'POST',
    path: '/api/users/:id/unlock',
    summary: '解锁账号 (lift a lock after wrong passwords before it runs out)',
    tag: 'users',
    access: ['admin'],
    handler: async (ctx, engine) => {
      ctx.body = { user: await engine.accounts.unlock(idParam(ctx), actorOf(ctx)) };
    },
  },
  {
    method: 'POST',
    path: '/api/users/:id/password',
    summary: '重设密码 (newPassword; another user, who forgot theirs: their sessions end, a lock is lifted)',
    tag: 'users',
    access: ['admin'],
    handler: async (ctx, engine) => {
      const password = text(requestBody(ctx).newPassword, '请输入新密码');
      ctx.body = { user: await engine.accounts.resetPassword(idParam(ctx), password, actorOf(ctx)) };
    },
  },
  {
    method: 'PATCH',
    path: '/api/users/:id',
    summary: '停用或启用账号 (disabled: true ends every session of the user at once)',
    tag: 'users',
    access: ['admin'],
    handler: async (ctx, engine) => {
      const disabled = requestBody(ctx).disabled;
      if (typeof disabled !== 'boolean') {
        throw new TesseraError('invalid_request', 'disabled 应为 true（停用）或 false（启用）');
      }
      ctx.body = { user: await engine.accounts.setDisabled(idParam(ctx), disabled, actorOf(ctx)) };
    },
  },
  {
    method: 'GET',
    path: '/api/admin/audit',
    summary:
      '审计日志 (newest first; from, to, action or group:auth|export|review|print, user, ip, target type:id, offset, limit ≤ 500)',
    tag: 'ops',
    access: ['admin'],
    handler: async (ctx, engine) => {
      const q = (name: string) => nonEmptyText(ctx.query[name]);
      ctx.body = await engine.audit.query(
        {
          from: q('from'),
          to: q('to'),
          action: q('action'),
          user: q('user'),
          ip: q('ip'),
          target: q('target'),
        },
        {
          offset: intQueryParam(ctx, 'offset', 0, 10_000_000),
          limit: Math.max(1, intQueryParam(ctx, 'limit', 100, 500)),
        },
      );
    },
  },
]);
