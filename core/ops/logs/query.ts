import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { TesseraError } from '../../errors.ts';
import { logFiles, REQUEST_LOG, SLOW_LOG } from './files.ts';
import type { RequestLogEntry, RequestLogFilter, RequestLogPage, RequestStats } from './views.ts';

/** The deepest page the viewer can reach (offset + limit): older entries are found by time range. */
export const MAX_WINDOW = 20_000;

function parseEntry(line: string): RequestLogEntry | null {
  if (!line.startsWith('{')) return null;
  try {
    const value = JSON.parse(line) as RequestLogEntry;
    return typeof value.at === 'string' && typeof value.status === 'number' ? value : null;
  } catch {
    // A line cut short by a crash: skipped, the rest of the file still reads.
    return null;
  }
}

function timeOf(value: string | undefined, field: string): number | null {
  if (!value) return null;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new TesseraError('invalid_request', `${field} 不是有效的时间：${value}`);
  return t;
}

/** Calls `each` for every entry of the log (or the slow log) in [from, to], oldest first. */
export async function readEntries(
  dataDir: string,
  range: { from?: number | null; to?: number | null; slowOnly?: boolean },
  each: (entry: RequestLogEntry, line: string) => void,
): Promise<number> {
  const files = await logFiles(dataDir, range.slowOnly ? SLOW_LOG : REQUEST_LOG);
  let read = 0;
  for (const f of files) {
    // Nothing in a file is newer than its last write: files that ended before the range are skipped.
    if (range.from != null && f.mtime.getTime() < range.from) continue;
    read++;
    const lines = createInterface({
      input: createReadStream(f.file, { encoding: 'utf8' }),
      crlfDelay: Infinity,
    });
    for await (const line of lines) {
      const entry = parseEntry(line);
      if (!entry) continue;
      const t = Date.parse(entry.at);
      if (range.from != null && t < range.from) continue;
      if (range.to != null && t > range.to) continue;
      each(entry, line);
    }
  }
  return read;
}

function statusMatcher(status: string | undefined): (code: number) => boolean {
  if (!status) return () => true;
  if (status === 'error') return (c) => c >= 400;
  const cls = /^([1-5])xx$/i.exec(status);
  if (cls) return (c) => Math.floor(c / 100) === Number(cls[1]);
  if (/^\d{3}$/.test(status)) return (c) => c === Number(status);
  throw new TesseraError(
    'invalid_request',
    `状态筛选 "${status}" 无效：可用 2xx、4xx、5xx、error 或具体状态码如 404`,
  );
}

/** One page of the request log, newest first, with the number of matching entries. */
export async function queryRequestLog(
  dataDir: string,
  filter: RequestLogFilter,
  page: { offset: number; limit: number; slowMs: number },
): Promise<RequestLogPage> {
  const { offset, limit } = page;
  if (offset + limit > MAX_WINDOW) {
    throw new TesseraError('invalid_request', `最多可向前翻 ${MAX_WINDOW} 条，请缩小时间范围再查`);
  }
  const from = timeOf(filter.from, '开始时间');
  const to = timeOf(filter.to, '结束时间');
  const status = statusMatcher(filter.status);
  const method = filter.method?.toUpperCase();
  const pathPart = filter.path?.toLowerCase();
  const user = filter.user?.toLowerCase();
  const text = filter.text?.toLowerCase();
  const minMs = filter.minMs ?? 0;
  // The newest `offset + limit` matches, in a ring: the page is its oldest `limit` entries.
  const window = offset + limit;
  const ring: RequestLogEntry[] = new Array<RequestLogEntry>(window);
  let total = 0;
  const files = await readEntries(dataDir, { from, to, slowOnly: filter.slowOnly }, (entry, line) => {
    if (!status(entry.status)) return;
    if (method && entry.method !== method) return;
    if (entry.ms < minMs) return;
    if (
      pathPart &&
      !entry.path.toLowerCase().includes(pathPart) &&
      !entry.route?.toLowerCase().includes(pathPart)
    )
      return;
    if (user && !(entry.user ?? '').toLowerCase().includes(user)) return;
    if (text && !line.toLowerCase().includes(text)) return;
    ring[total % window] = entry;
    total++;
  });
  const entries: RequestLogEntry[] = [];
  for (let i = total - 1 - offset; i >= Math.max(0, total - window); i--) entries.push(ring[i % window]!);
  return { entries, total, offset, limit, files, slowMs: page.slowMs };
}

const percentile = (sorted: Float64Array, p: number): number | null =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : null;

/** Response-time percentiles, error rate and the slowest routes over [from, to]. */
export async function requestStats(dataDir: string, from: Date, to: Date): Promise<RequestStats> {
  let times = new Float64Array(4096);
  let count = 0;
  let serverErrors = 0;
  let clientErrors = 0;
  let slow = 0;
  let max: number | null = null;
  const routes = new Map<string, { times: number[]; errors: number }>();
  await readEntries(dataDir, { from: from.getTime(), to: to.getTime() }, (e) => {
    if (count === times.length) {
      const bigger = new Float64Array(times.length * 2);
      bigger.set(times);
      times = bigger;
    }
    times[count++] = e.ms;
    if (e.status >= 500) serverErrors++;
    else if (e.status >= 400) clientErrors++;
    if (e.slow) slow++;
    if (max === null || e.ms > max) max = e.ms;
    const key = `${e.method} ${e.route ?? '(静态页面或未匹配)'}`;
    const r = routes.get(key) ?? { times: [], errors: 0 };
    r.times.push(e.ms);
    if (e.status >= 500) r.errors++;
    routes.set(key, r);
  });
  const sorted = times.subarray(0, count).sort();
  const slowRoutes = [...routes]
    .filter(([, r]) => r.times.length >= 5)
    .map(([route, r]) => ({
      route,
      count: r.times.length,
      p95: percentile(Float64Array.from(r.times).sort(), 95)!,
      errors: r.errors,
    }))
    .sort((a, b) => b.p95 - a.p95)
    .slice(0, 10);
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    count,
    serverErrors,
    errorRate: count ? serverErrors / count : 0,
    clientErrors,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max,
    slow,
    slowRoutes,
  };
}
