import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Next } from 'koa';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import type { OpsConfig } from '../../core/config.ts';
import { logsDir, REQUEST_LOG, rotatedName, SLOW_LOG } from '../../core/ops/logs/files.ts';
import type { RequestLogEntry } from '../../core/ops/logs/views.ts';
import type { Metrics } from '../../core/ops/monitor/metrics.ts';
import type { ApiContext } from '../route-table.ts';

/**
 * One JSON line per request in <data>/logs/requests.jsonl (rotated by size and daily, the newest
 * TESSERA_LOG_KEEP rotated files kept), slow ones also in slow-requests.jsonl, and every request in
 * the /metrics histogram. Read by the log viewer and the inspection report (core/ops/logs).
 */
export class RequestLog {
  private readonly stream: RotatingFileStream;
  private readonly slowStream: RotatingFileStream;

  constructor(
    dataDir: string,
    private readonly config: OpsConfig,
    private readonly metrics?: Metrics,
  ) {
    const dir = logsDir(dataDir);
    mkdirSync(dir, { recursive: true });
    const open = (base: string) => {
      const stream = createStream(rotatedName(base), {
        path: dir,
        size: config.logMaxSize,
        interval: '1d',
        maxFiles: config.logKeep || undefined,
        history: `.${base}.history`,
      });
      // A full disk or a removed folder must never take a request down with it.
      stream.on('error', () => undefined);
      return stream;
    };
    this.stream = open(REQUEST_LOG);
    this.slowStream = open(SLOW_LOG);
  }

  middleware() {
    return async (ctx: ApiContext, next: Next) => {
      const started = process.hrtime.bigint();
      ctx.state.requestId = randomUUID();
      ctx.set('X-Request-Id', ctx.state.requestId);
      try {
        await next();
      } finally {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? null;
        const entry: RequestLogEntry = {
          at: new Date().toISOString(),
          id: ctx.state.requestId,
          method: ctx.method,
          path: ctx.path,
          route,
          status: ctx.status,
          ms: Math.round(ms * 10) / 10,
          user: ctx.state.user?.username ?? null,
          ip: ctx.ip,
        };
        if (ms >= this.config.slowMs) entry.slow = true;
        this.write(entry);
        this.metrics?.observeRequest(ctx.method, route, ctx.status, ms / 1000);
      }
    };
  }

  write(entry: RequestLogEntry): void {
    const line = `${JSON.stringify(entry)}\n`;
    this.stream.write(line);
    if (entry.slow) this.slowStream.write(line);
  }

  close(): Promise<void> {
    const end = (s: RotatingFileStream) => new Promise<void>((resolve) => s.end(() => resolve()));
    return Promise.all([end(this.stream), end(this.slowStream)]).then(() => undefined);
  }
}
