import type { Context, Next } from 'koa';
import type { Engine } from '../../core/engine.ts';
import { TesseraError } from '../../core/errors.ts';
import type { ApiContext } from '../route-table.ts';

export const SESSION_COOKIE = 'tessera_sid';
export const CSRF_HEADER = 'x-csrf-token';

export function setSessionCookie(ctx: Context, engine: Engine, token: string, expires: Date): void {
  ctx.cookies.set(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: engine.config.secureCookies,
    expires,
    path: '/',
    overwrite: true,
  });
}

export function clearSessionCookie(ctx: Context, engine: Engine): void {
  ctx.cookies.set(SESSION_COOKIE, '', {
    httpOnly: true,
    sameSite: 'lax',
    secure: engine.config.secureCookies,
    maxAge: 0,
    path: '/',
  });
}

/** Loads the signed-in user from the session cookie (server-side sessions in PostgreSQL). */
export function loadSession(engine: Engine) {
  return async (ctx: ApiContext, next: Next) => {
    const token = ctx.cookies.get(SESSION_COOKIE);
    if (token) {
      const session = await engine.accounts.resolveSession(token);
      if (session) {
        ctx.state.user = session.user;
        ctx.state.sessionToken = token;
        ctx.state.csrfToken = session.csrfToken;
      }
    }
    await next();
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cookie sessions are open to cross-site requests, so every state-changing request with a
 * session must echo the session's CSRF token in a header no other site can set.
 */
export async function requireCsrfToken(ctx: ApiContext, next: Next): Promise<void> {
  if (!SAFE_METHODS.has(ctx.method) && ctx.state.sessionToken) {
    const sent = ctx.get(CSRF_HEADER);
    if (!sent || sent !== ctx.state.csrfToken) {
      throw new TesseraError('csrf_token_invalid', 'CSRF 校验失败：请刷新页面后重试', 403);
    }
  }
  await next();
}
