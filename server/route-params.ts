import { TesseraError } from '../core/errors.ts';
import type { ApiContext } from './route-table.ts';

// What route handlers read from a request, in one place.

/** The signed-in user as core's services take it: the session user and the request's address. */
export const actorOf = (ctx: ApiContext) => ({ ...ctx.state.user!, ip: ctx.ip });

/** The signed-in user as the audit log and the event setup's draft and publish take it. */
export const auditActorOf = (ctx: ApiContext) => ({
  userId: ctx.state.user!.id,
  username: ctx.state.user!.username,
  ip: ctx.ip,
});

/** The `:event` path parameter (an event code). */
export const eventParam = (ctx: ApiContext) => ctx.params.event as string;

/** The JSON or multipart fields of the request ({} when there are none). */
export const requestBody = (ctx: ApiContext) => (ctx.request.body ?? {}) as Record<string, unknown>;

/** A positive integer path parameter; anything else is "not found". */
export function idParam(ctx: ApiContext, name = 'id'): number {
  const id = Number(ctx.params[name]);
  if (!Number.isSafeInteger(id) || id <= 0) throw new TesseraError('not_found', '不存在', 404);
  return id;
}

/** A field that is a non-empty string, else undefined (form fields and queries send '' for "none"). */
export const nonEmptyText = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : undefined;

/**
 * An integer query parameter in 0..max, `fallback` when absent; anything else is a 400 naming the
 * parameter (lists whose paging a user types: logs, the audit log).
 */
export function intQueryParam(ctx: ApiContext, name: string, fallback: number, max: number): number {
  const raw = nonEmptyText(ctx.query[name]);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0 || n > max) {
    throw new TesseraError('invalid_request', `参数 ${name}="${raw}" 应为 0–${max} 的整数`);
  }
  return n;
}
