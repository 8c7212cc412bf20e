import type { Next } from 'koa';
import { TesseraError } from '../../core/errors.ts';
import type { ApiContext } from '../route-table.ts';

/** Where in a query or body the first text holding a NUL character is (`q`, `values.name`), or null. */
function nulAt(value: unknown, at: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? at || '(请求)' : null;
  if (depth > 20 || value === null || typeof value !== 'object') return null;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes('\u0000')) return at || '(请求)';
    const found = nulAt(inner, at ? `${at}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * PostgreSQL text cannot hold a NUL character: a query parameter or a JSON/form field with one
 * would end as a 500 deep in a query. Refused here, once for every route, naming the field.
 */
export async function refuseNulText(ctx: ApiContext, next: Next): Promise<void> {
  const field = nulAt(ctx.query, '') ?? nulAt(ctx.request.body, '');
  if (field) {
    throw new TesseraError(
      'invalid_text',
      `请求中的"${field}"含有空字符（\\0），无法处理：请删除这个不可见字符后重试`,
      400,
      { field },
    );
  }
  await next();
}
