// Monitoring and logs against a real server: /metrics in Prometheus text format (request histogram by
// route pattern and status class, pool, tasks, process) for admins or the scraper's token only; the
// request log viewer's filters and paging across the live and rotated files; rotation by size with
// old files deleted; slow requests in their own log.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../server/app.ts';
import { RequestLog } from '../../server/middleware/request-log.ts';
import { logFiles, queryRequestLog, REQUEST_LOG, rotatedName, SLOW_LOG } from '../../core/ops/logs/index.ts';
import type { RequestLogEntry } from '../../core/ops/logs/index.ts';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, testConfig } from '../support/harness.ts';

const TOKEN = 'scrape-token-0123456789';
let running: RunningServer;
let admin: ApiClient;

beforeAll(async () => {
  const config = await testConfig();
  running = await startTestServer({ ...config, ops: { ...config.ops, metricsToken: TOKEN } });
  admin = new ApiClient(running.url);
  expect((await admin.login('admin', ADMIN_PASSWORD)).status).toBe(200);
  expect(
    (
      await admin.request('POST', '/api/users', {
        username: 'clerk1',
        password: 'Clerk-Passw0rd',
        role: 'clerk',
      })
    ).status,
  ).toBe(201);
});

afterAll(async () => {
  await running?.stop();
});

/** Samples of the text format: `name{a="b",…} value` → name, labels, value. */
function parseMetrics(text: string) {
  const types = new Map<string, string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

describe('/metrics', () => {
  it('is for admins and the scraper token only', async () => {
    expect((await fetch(`${running.url}/metrics`)).status).toBe(401);
    expect(
      (await fetch(`${running.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status,
    ).toBe(403);
    const clerk = new ApiClient(running.url);
    await clerk.login('clerk1', 'Clerk-Passw0rd');
    expect((await clerk.request('GET', '/metrics')).status).toBe(403);
    expect((await admin.request('GET', '/metrics')).status).toBe(200);
  });

  it('has the request histogram by route pattern, pool, task and process metrics', async () => {
    for (let i = 0; i < 3; i++) await admin.request('GET', '/api/events/EXPO2026');
    await admin.request('GET', '/api/events/NO-SUCH-EVENT');
    const res = await fetch(`${running.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const { types, samples } = parseMetrics(text);
    expect(types.get('tessera_http_request_duration_seconds')).toBe('histogram');
    const count = (status: string) =>
      samples.find(
        (s) =>
          s.name === 'tessera_http_request_duration_seconds_count' &&
          s.labels.route === '/api/events/:event' &&
          s.labels.method === 'GET' &&
          s.labels.status_class === status,
      )?.value;
    expect(count('2xx')).toBe(3);
    expect(count('4xx')).toBe(1);
    const buckets = samples.filter(
      (s) =>
        s.name === 'tessera_http_request_duration_seconds_bucket' &&
        s.labels.route === '/api/events/:event' &&
        s.labels.status_class === '2xx',
    );
    expect(buckets.map((b) => b.labels.le)).toContain('+Inf');
    expect(buckets.find((b) => b.labels.le === '+Inf')?.value).toBe(3);
    // Route patterns, never raw URLs: no series per event code or record id.
    expect(text).not.toContain('EXPO2026');
    expect(text).not.toContain('NO-SUCH-EVENT');
    expect(samples.find((s) => s.name === 'tessera_db_pool_size')?.value).toBeGreaterThan(0);
    expect(types.get('tessera_db_pool_waiting')).toBe('gauge');
    expect(types.get('tessera_tasks')).toBe('gauge');
    expect(samples.find((s) => s.name === 'process_cpu_user_seconds_total')).toBeDefined();
    expect(samples.find((s) => s.name === 'nodejs_eventloop_lag_p99_seconds')).toBeDefined();
  });
});

describe('log viewer API', () => {
  const entry = (at: string, over: Partial<RequestLogEntry>): RequestLogEntry => ({
    at,
    id: `req-${at}`,
    method: 'GET',
    path: '/api/events',
    route: '/api/events',
    status: 200,
    ms: 5,
    user: 'admin',
    ip: '10.0.0.1',
    ...over,
  });

  beforeAll(async () => {
    // A rotated file from yesterday beside the live one the server writes to.
    const dir = path.join(running.engine.config.dataDir, 'logs');
    const yesterday = Date.now() - 86_400_000;
    const old = [
      entry(new Date(yesterday - 60_000).toISOString(), {
        path: '/api/records/77',
        route: '/api/records/:id',
        status: 500,
        ms: 1200,
        slow: true,
        user: 'zhang',
      }),
      entry(new Date(yesterday).toISOString(), {
        method: 'POST',
        path: '/api/imports',
        route: '/api/imports',
        status: 201,
        ms: 800,
        slow: true,
        user: 'li',
      }),
    ];
    const file = path.join(dir, rotatedName(REQUEST_LOG)(new Date(yesterday), 1));
    await fs.writeFile(file, `${old.map((e) => JSON.stringify(e)).join('\n')}\n{"cut off by a cra`);
    await fs.utimes(file, new Date(yesterday), new Date(yesterday));
    await fs.writeFile(
      path.join(dir, rotatedName(SLOW_LOG)(new Date(yesterday), 1)),
      `${old.map((e) => JSON.stringify(e)).join('\n')}\n`,
    );
    for (let i = 0; i < 5; i++) await admin.request('GET', `/api/events?page=${i}`);
    await admin.request('GET', '/api/events/NOPE');
  });

  it('lists newest first across rotated files, with paging', async () => {
    // Up to now: the viewer's own requests are logged too, after this moment.
    const to = encodeURIComponent(new Date().toISOString());
    const all = await admin.request('GET', `/api/admin/logs?limit=500&to=${to}`);
    expect(all.status).toBe(200);
    const times = all.body.entries.map((e: RequestLogEntry) => e.at);
    expect(times).toEqual([...times].sort().reverse());
    expect(all.body.entries.at(-1).path).toBe('/api/records/77');
    expect(all.body.files).toBe(2);
    const page = await admin.request('GET', `/api/admin/logs?limit=2&offset=2&to=${to}`);
    expect(page.body.total).toBe(all.body.total);
    expect(page.body.entries.map((e: RequestLogEntry) => e.id)).toEqual(
      all.body.entries.slice(2, 4).map((e: RequestLogEntry) => e.id),
    );
  });

  it('filters by status, method, path, user, duration, text, time and slow only', async () => {
    const q = async (query: string) => (await admin.request('GET', `/api/admin/logs?${query}`)).body;
    expect((await q('status=5xx')).entries.map((e: RequestLogEntry) => e.path)).toEqual(['/api/records/77']);
    const missing = (await q('status=404')).entries;
    expect(missing.every((e: RequestLogEntry) => e.status === 404)).toBe(true);
    expect(missing.map((e: RequestLogEntry) => e.path)).toEqual([
      '/api/events/NOPE',
      '/api/events/NO-SUCH-EVENT',
    ]);
    expect((await q('method=post&user=li')).entries).toHaveLength(1);
    const byRoute = (await q('path=/api/events/:event')).entries;
    expect(byRoute).toHaveLength(5);
    expect(byRoute.every((e: RequestLogEntry) => e.route === '/api/events/:event')).toBe(true);
    expect((await q('minMs=1000')).entries.map((e: RequestLogEntry) => e.user)).toEqual(['zhang']);
    expect((await q('text=10.0.0.1')).total).toBe(2);
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const recent = await q(`from=${encodeURIComponent(since)}&path=/api/events`);
    expect(recent.files).toBe(1); // yesterday's file is not even opened
    expect(recent.entries.every((e: RequestLogEntry) => e.at >= since)).toBe(true);
    expect((await q('slow=1')).entries.map((e: RequestLogEntry) => e.user)).toEqual(['li', 'zhang']);
    const bad = await admin.request('GET', '/api/admin/logs?status=abc');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('状态筛选');
    const clerk = new ApiClient(running.url);
    await clerk.login('clerk1', 'Clerk-Passw0rd');
    expect((await clerk.request('GET', '/api/admin/logs')).status).toBe(403);
  });
});

describe('request log files', () => {
  it('rotates by size, keeps the newest files, logs slow requests apart', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tessera-logs-'));
    const log = new RequestLog(dataDir, {
      slowMs: 200,
      logMaxSize: '2K',
      logKeep: 3,
      metricsToken: undefined,
    });
    const app = new Koa();
    app.use(log.middleware() as unknown as Koa.Middleware);
    app.use(async (ctx) => {
      if (ctx.path === '/slow') await new Promise((r) => setTimeout(r, 250));
      ctx.body = 'ok';
    });
    const server = await listen(app as never, 0, '127.0.0.1');
    const address = server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      // ~230 bytes a line: 2 KB holds about nine.
      for (let i = 0; i < 60; i++) {
        await (await fetch(`${base}/fast/${i}`)).text();
        // Rotation runs asynchronously after a write: give it a moment now and then.
        if (i % 8 === 7) await new Promise((r) => setTimeout(r, 30));
      }
      await (await fetch(`${base}/slow`)).text();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await log.close();
    }
    const files = await logFiles(dataDir, REQUEST_LOG);
    const names = files.map((f) => path.basename(f.file));
    expect(names.at(-1)).toBe('requests.jsonl');
    expect(names.slice(0, -1).every((n) => /^requests-\d{8}-\d{6}-\d+\.jsonl$/.test(n))).toBe(true);
    expect(names.length).toBe(4); // three rotated ones kept, older deleted
    for (const f of files) expect(f.bytes).toBeLessThan(2048 + 400);
    const page = await queryRequestLog(dataDir, {}, { offset: 0, limit: 500, slowMs: 200 });
    // The newest lines survive in order; the oldest went with the deleted files.
    expect(page.entries[0]!.path).toBe('/slow');
    expect(page.entries[1]!.path).toBe('/fast/59');
    expect(page.total).toBeLessThan(61);
    const paths = page.entries.slice(1).map((e) => Number(e.path.split('/')[2]));
    expect(paths).toEqual([...paths].sort((a, b) => b - a));
    const slow = await queryRequestLog(dataDir, { slowOnly: true }, { offset: 0, limit: 10, slowMs: 200 });
    expect(slow.entries.map((e) => e.path)).toEqual(['/slow']);
    expect(slow.entries[0]!.ms).toBeGreaterThanOrEqual(200);
    expect(slow.entries[0]!.slow).toBe(true);
  });
});
