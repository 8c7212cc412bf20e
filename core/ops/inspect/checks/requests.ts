import { requestStats } from '../../logs/query.ts';
import { percentText, type Check } from '../check.ts';

const ms = (v: number | null) => (v === null ? '—' : `${v.toFixed(v < 10 ? 1 : 0)} ms`);

/** 响应时间与错误率: percentiles and the error rate of the last 24 hours, from the request log. */
export const requestsCheck: Check = {
  id: 'requests',
  title: '响应时间与错误率（近 24 小时）',
  async run(ctx, out) {
    const to = ctx.now;
    const from = new Date(to.getTime() - 86_400_000);
    const s = await requestStats(ctx.config.dataDir, from, to);
    out.fact('请求数', s.count);
    out.fact('P50 / P95 / P99', `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.p99)}`);
    out.fact('最慢', ms(s.max));
    out.fact('服务器错误 (5xx)', `${s.serverErrors} 次，错误率 ${percentText(s.errorRate, 2)}`);
    out.fact('客户端错误 (4xx)', `${s.clientErrors} 次`);
    out.fact(`慢请求 (≥ ${ctx.config.ops.slowMs} ms)`, `${s.slow} 次`);
    out.table(
      '最慢的接口（按 P95，至少 5 次请求）',
      ['接口', '请求数', 'P95', '5xx'],
      s.slowRoutes.map((r) => [r.route, r.count, ms(r.p95), r.errors]),
    );
    if (s.count === 0) {
      out.find(
        '提示',
        '近 24 小时没有请求记录',
        '请求日志中没有这段时间的记录（服务未运行，或由命令行单独巡检）。',
        '确认服务在运行；请求日志位于 <数据目录>/logs/requests.jsonl。',
      );
      return;
    }
    if (s.p99 !== null && s.p99 > 1000) {
      out.find(
        '严重',
        `P99 响应时间 ${ms(s.p99)}，超过 1 秒`,
        `近 24 小时 ${s.count} 次请求中，1% 慢于 ${ms(s.p99)}。`,
        '在运行日志中筛选“只看慢请求”找出接口；结合下方数据库检查（顺序扫描、缺失索引、长查询）处理。',
      );
    } else if (s.p99 !== null && s.p99 > 200) {
      out.find(
        '警告',
        `P99 响应时间 ${ms(s.p99)}，超过 200 ms 的目标`,
        `近 24 小时 ${s.count} 次请求。最慢的接口见本节表格。`,
        '在运行日志中按接口和耗时筛选慢请求，检查对应查询的索引。',
      );
    }
    if (s.errorRate > 0.05) {
      out.find(
        '严重',
        `服务器错误率 ${percentText(s.errorRate, 2)}`,
        `近 24 小时 ${s.serverErrors} 次 5xx 响应。`,
        '在运行日志中筛选状态 5xx，按请求编号在服务器输出中查找错误堆栈。',
      );
    } else if (s.errorRate > 0.01) {
      out.find(
        '警告',
        `服务器错误率 ${percentText(s.errorRate, 2)}`,
        `近 24 小时 ${s.serverErrors} 次 5xx 响应。`,
        '在运行日志中筛选状态 5xx，按请求编号在服务器输出中查找错误堆栈。',
      );
    } else if (s.serverErrors > 0) {
      out.find(
        '提示',
        `近 24 小时有 ${s.serverErrors} 次服务器错误`,
        `错误率 ${percentText(s.errorRate, 2)}。`,
        '在运行日志中筛选状态 5xx 查看。',
      );
    }
  },
};
