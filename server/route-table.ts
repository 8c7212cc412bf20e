import type { Context } from 'koa';
import type { Engine } from '../core/engine.ts';
import type { Role } from '../core/db/models.ts';
import type { SessionUser } from '../core/auth/accounts.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface TesseraState {
  user?: SessionUser;
  sessionToken?: string;
  csrfToken?: string;
  requestId: string;
}

export type ApiContext = Context & { state: TesseraState };

/**
 * One entry per API route: the router, the role check and the OpenAPI document are all built
 * from this table, so a route cannot exist without its access rule.
 */
export interface RouteDef {
  method: HttpMethod;
  /** Koa-router path, e.g. `/api/events/:event`. */
  path: string;
  summary: string;
  tag: string;
  /** `public`: no session needed; otherwise the roles allowed (`any` = every signed-in role). */
  access: 'public' | 'any' | readonly Role[];
  handler: (ctx: ApiContext, engine: Engine) => Promise<void>;
}

export const defineRoutes = (routes: RouteDef[]): RouteDef[] => routes;
