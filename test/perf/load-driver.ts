// The load bench's client side: a signed-in user over keep-alive HTTP (node:http, lighter than
// fetch when 200 users share the generator's core with the server), per-request-type figures, and
// the closed loop that runs users for a bounded time. Figures are exact (every latency kept and
// sorted), not sampled: a 30 s level at 200 users is tens of thousands of numbers.
import http from 'node:http';

/** A request that takes longer than this is abandoned and counted as a timeout error. */
const TIMEOUT_MS = 30_000;
/** The contract: every response within a second. */
export const CONTRACT_MS = 1000;

export interface Reply {
  status: number;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  // The bench reads a few fields of many different API answers; typing each would copy the server.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  ms: number;
}

export class LoadClient {
  private cookie = '';
  csrfToken = '';
  private readonly url: URL;

  constructor(
    baseUrl: string,
    private readonly agent: http.Agent,
    private readonly stats?: Stats,
  ) {
    this.url = new URL(baseUrl);
  }

  get cookieHeader(): string {
    return this.cookie;
  }

  async login(username: string, password: string): Promise<void> {
    const reply = await this.send('POST', '/api/auth/login', { username, password });
    if (reply.status !== 200) throw new Error(`登录 ${username}: ${reply.status} ${reply.text}`);
    this.csrfToken = reply.body.csrfToken;
  }

  /** One request, recorded under `type` when the client has stats and a type is given. */
  async request(type: string | null, method: string, path: string, body?: unknown): Promise<Reply> {
    const started = performance.now();
    try {
      const reply = await this.send(method, path, body);
      if (type) this.stats?.record(type, reply.status, reply.ms);
      return reply;
    } catch (error) {
      if (type) this.stats?.failure(type, error as Error, performance.now() - started);
      throw error;
    }
  }

  private send(method: string, path: string, body?: unknown): Promise<Reply> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (this.cookie) headers.cookie = this.cookie;
    if (method !== 'GET' && this.csrfToken) headers['x-csrf-token'] = this.csrfToken;
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method,
          path,
          headers,
          agent: this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const setCookie = res.headers['set-cookie']?.[0];
            if (setCookie) this.cookie = setCookie.split(';')[0] ?? '';
            const text = Buffer.concat(chunks).toString();
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            resolve({ status: res.statusCode ?? 0, text, body: parsed, ms: performance.now() - started });
          });
        },
      );
      req.setTimeout(TIMEOUT_MS, () => req.destroy(new TimeoutError()));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

export class TimeoutError extends Error {
  constructor() {
    super(`no answer within ${TIMEOUT_MS} ms`);
  }
}

/** A 409 the workload expects now and then (someone saved first, a decided record): not an error. */
const EXPECTED_CONFLICT = 409;

export interface TypeFigures {
  type: string;
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Answers slower than the contract's second. */
  over1s: number;
  conflicts: number;
  errors: number;
  /** Error answers by status ("timeout", "socket" for the ones without a status). */
  errorKinds: Record<string, number>;
}

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)]! : 0;

/** Latencies and outcomes per request type; only what happens while `measuring` counts. */
export class Stats {
  measuring = false;
  private readonly times = new Map<string, number[]>();
  private readonly conflicts = new Map<string, number>();
  private readonly errors = new Map<string, Map<string, number>>();
  /** A few error answers to show, so a failing run says why. */
  readonly samples: string[] = [];
  /** Every measured request and background step in time order, when a trace was asked for. */
  readonly trace: Array<{ at: number; event: string; ms?: number; status?: number }> | undefined = process.env
    .TESSERA_LOAD_TRACE
    ? []
    : undefined;

  /** A background step (upload done, commit started …) on the trace. */
  mark(event: string): void {
    this.trace?.push({ at: performance.now(), event });
  }

  reset(): void {
    this.times.clear();
    this.conflicts.clear();
    this.errors.clear();
    this.samples.length = 0;
    if (this.trace) this.trace.length = 0;
  }

  private list(type: string): number[] {
    let list = this.times.get(type);
    if (!list) this.times.set(type, (list = []));
    return list;
  }

  private error(type: string, kind: string, detail: string): void {
    let kinds = this.errors.get(type);
    if (!kinds) this.errors.set(type, (kinds = new Map()));
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    if (this.samples.length < 12) this.samples.push(`${type}: ${kind} ${detail.slice(0, 200)}`);
  }

  record(type: string, status: number, ms: number, detail = ''): void {
    if (!this.measuring) return;
    this.list(type).push(ms);
    this.trace?.push({ at: performance.now() - ms, event: type, ms, status });
    if (status === EXPECTED_CONFLICT) this.conflicts.set(type, (this.conflicts.get(type) ?? 0) + 1);
    else if (status < 200 || status >= 300) this.error(type, String(status), detail);
  }

  /** A request without an answer (timeout, reset): its time counts, and it is an error. */
  failure(type: string, error: Error, ms: number): void {
    if (!this.measuring) return;
    this.list(type).push(ms);
    this.error(type, error instanceof TimeoutError ? 'timeout' : 'socket', error.message);
  }

  /** An answer whose status was fine but whose content was wrong (e.g. a search missing its record). */
  wrong(type: string, detail: string): void {
    if (this.measuring) this.error(type, 'wrong', detail);
  }

  figures(): { types: TypeFigures[]; total: TypeFigures } {
    const one = (type: string, times: number[], conflicts: number, kinds: Map<string, number>) => {
      const sorted = [...times].sort((a, b) => a - b);
      const errorKinds = Object.fromEntries(kinds);
      return {
        type,
        count: sorted.length,
        p50: pct(sorted, 0.5),
        p95: pct(sorted, 0.95),
        p99: pct(sorted, 0.99),
        max: sorted.at(-1) ?? 0,
        over1s: sorted.filter((t) => t > CONTRACT_MS).length,
        conflicts,
        errors: [...kinds.values()].reduce((a, b) => a + b, 0),
        errorKinds,
      };
    };
    const types = [...this.times.keys()]
      .sort()
      .map((t) => one(t, this.times.get(t)!, this.conflicts.get(t) ?? 0, this.errors.get(t) ?? new Map()));
    const allKinds = new Map<string, number>();
    for (const kinds of this.errors.values())
      for (const [k, n] of kinds) allKinds.set(k, (allKinds.get(k) ?? 0) + n);
    const total = one(
      'total',
      [...this.times.values()].flat(),
      [...this.conflicts.values()].reduce((a, b) => a + b, 0),
      allKinds,
    );
    return { types, total };
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs every user's loop (act, think, act …) until `durationMs` has passed after a ramp-up in which
 * users start one after another; only the window after the ramp is measured. Think time is uniform
 * in 0.5–1.5 × `thinkMs` so users do not fall into step.
 */
export async function runUsers(
  stats: Stats,
  users: readonly { act: () => Promise<void> }[],
  options: { durationMs: number; rampMs: number; thinkMs: number },
): Promise<{ measuredMs: number }> {
  const start = performance.now();
  const measureFrom = start + options.rampMs;
  const end = measureFrom + options.durationMs;
  const measureTimer = setTimeout(() => (stats.measuring = true), options.rampMs);
  const loops = users.map(async (user, i) => {
    await sleep((options.rampMs * i) / users.length);
    while (performance.now() < end) {
      try {
        await user.act();
      } catch {
        // Recorded by the client (timeouts, resets); the user carries on like a person would.
      }
      const think = options.thinkMs * (0.5 + Math.random());
      if (performance.now() + think >= end) break;
      await sleep(think);
    }
  });
  const stopTimer = setTimeout(() => (stats.measuring = false), options.rampMs + options.durationMs);
  await Promise.all(loops);
  clearTimeout(measureTimer);
  clearTimeout(stopTimer);
  stats.measuring = false;
  return { measuredMs: Math.min(performance.now(), end) - measureFrom };
}

/** Picks one of the weighted entries. */
export function weighted<T>(entries: readonly (readonly [T, number])[]): () => T {
  const total = entries.reduce((n, [, w]) => n + w, 0);
  return () => {
    let x = Math.random() * total;
    for (const [value, w] of entries) {
      if ((x -= w) < 0) return value;
    }
    return entries.at(-1)![0];
  };
}

export const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
