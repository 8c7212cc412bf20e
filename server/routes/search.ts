import { SEARCH_ROLES } from '../../core/search/search.ts';
import { actorOf, nonEmptyText } from '../route-params.ts';
import { defineRoutes } from '../route-table.ts';

export const searchRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/api/events/:event/search',
    summary:
      '综合查询 (?q=&limit=: ID number, card number, plate, name — start or alike — or unit; records with their live card; ID numbers masked; units see their own records only)',
    tag: 'search',
    access: SEARCH_ROLES,
    handler: async (ctx, engine) => {
      const limit = Number(ctx.query.limit);
      ctx.body = await engine.search.search(ctx.params.event as string, actorOf(ctx), {
        q: nonEmptyText(ctx.query.q) ?? '',
        limit: Number.isFinite(limit) && limit > 0 ? limit : undefined,
      });
    },
  },
]);
