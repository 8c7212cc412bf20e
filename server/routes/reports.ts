import { REPORT_ROLES, type StatisticsFilter } from '../../core/reports/reports.ts';
import { actorOf, intQueryParam, nonEmptyText } from '../route-params.ts';
import { defineRoutes, type ApiContext } from '../route-table.ts';

const filterOf = (ctx: ApiContext): StatisticsFilter => ({
  unit: nonEmptyText(ctx.query.unit),
  cardType: nonEmptyText(ctx.query.cardType),
  important: ctx.query.important === '1' || ctx.query.important === 'true' ? true : undefined,
});

export const reportRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/api/events/:event/reports/statistics',
    summary:
      '统计报表 (?unit=&cardType=&important=1: per unit × card type × record and card status, per zone, cards issued per day, important types apart; ?topUnits=N: unit lines of the N units with the most records only, unitCount says how many there are)',
    tag: 'reports',
    access: REPORT_ROLES,
    handler: async (ctx, engine) => {
      ctx.body = await engine.reports.statistics(ctx.params.event as string, actorOf(ctx), filterOf(ctx), {
        topUnits: intQueryParam(ctx, 'topUnits', 0, 1_000_000),
      });
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event/reports/statistics.xlsx',
    summary:
      '导出统计报表 (.xlsx, same filters): one sheet per report, formatted, totals; a direct download, audited — the workbook holds aggregates only (units × card types rows), built in well under a second',
    tag: 'reports',
    access: REPORT_ROLES,
    handler: async (ctx, engine) => {
      const { report, bytes } = await engine.reports.statisticsWorkbook(
        ctx.params.event as string,
        actorOf(ctx),
        filterOf(ctx),
      );
      const name = `统计报表-${report.event.code}-${report.generatedAt.slice(0, 10).replace(/-/g, '')}.xlsx`;
      ctx.set('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      ctx.set(
        'Content-Disposition',
        `attachment; filename="statistics.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`,
      );
      ctx.set('Cache-Control', 'no-store');
      ctx.body = bytes;
    },
  },
]);
