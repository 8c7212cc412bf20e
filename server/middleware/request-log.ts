import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { Next } from 'koa';
import type { ApiContext } from '../route-table.ts';

/** One JSON line per request in <data>/logs/requests.jsonl, for the inspection report and the log viewer. */
export class RequestLog {
  private readonly stream: WriteStream;

  constructor(dataDir: string) {
    const dir = path.join(dataDir, 'logs');
    mkdirSync(dir, { recursive: true });
    this.stream = createWriteStream(path.join(dir, 'requests.jsonl'), { flags: 'a' });
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
        this.write({
          at: new Date().toISOString(),
          id: ctx.state.requestId,
          method: ctx.method,
          path: ctx.path,
          route: (ctx as { _matchedRoute?: string })._matchedRoute ?? null,
          status: ctx.status,
          ms: Math.round(ms * 10) / 10,
          user: ctx.state.user?.username ?? null,
          ip: ctx.ip,
        });
      }
    };
  }

  write(entry: object): void {
    this.stream.write(`${JSON.stringify(entry)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
