import { TesseraError } from '../../core/errors.ts';
import { clearSessionCookie, setSessionCookie } from '../middleware/session.ts';
import { defineRoutes } from '../route-table.ts';

export const authRoutes = defineRoutes([
  {
    method: 'POST',
    path: '/api/auth/login',
    summary: '登录 (sign in); sets the session cookie and returns the CSRF token',
    tag: 'auth',
    access: 'public',
    handler: async (ctx, engine) => {
      const body = (ctx.request.body ?? {}) as { username?: unknown; password?: unknown };
      if (typeof body.username !== 'string' || typeof body.password !== 'string' || !body.username) {
        throw new TesseraError('invalid_request', '请输入用户名和密码');
      }
      const actor = { username: body.username, ip: ctx.ip };
      try {
        const session = await engine.accounts.login(body.username, body.password, {
          ip: ctx.ip,
          userAgent: ctx.get('user-agent'),
        });
        setSessionCookie(ctx, engine, session.token, session.expiresAt);
        await engine.audit.record('login', { ...actor, userId: session.user.id });
        ctx.body = { user: session.user, csrfToken: session.csrfToken };
      } catch (error) {
        await engine.audit.record('login_failed', actor, {}, { reason: (error as TesseraError).code });
        throw error;
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
    summary: '退出 (sign out)',
    tag: 'auth',
    access: 'any',
    handler: async (ctx, engine) => {
      if (ctx.state.sessionToken) await engine.accounts.logout(ctx.state.sessionToken);
      await engine.audit.record('logout', {
        userId: ctx.state.user?.id,
        username: ctx.state.user?.username,
        ip: ctx.ip,
      });
      clearSessionCookie(ctx, engine);
      ctx.status = 204;
    },
  },
]);
