import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { QueryTypes } from 'sequelize';
import type { Database } from '../../db/connection.ts';

/** Seconds; around the targets (p99 ≤ 200 ms, lookups ≤ 20 ms) and the contract's 1 s. */
const BUCKETS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30];

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The pool sequelize keeps (sequelize-pool); its counters are getters. */
interface PoolCounters {
  size: number;
  available: number;
  using: number;
  waiting: number;
}

/**
 * Prometheus metrics of one engine, on a registry of its own (several engines in one process — the
 * tests — never share or double-register). Labels are bounded: the route *pattern*, never the raw
 * URL (ids and codes would make a series per record), the status class, a known method.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly duration: Histogram<'method' | 'route' | 'status_class'>;
  private readonly requests: Counter<'method' | 'route' | 'status_class'>;

  constructor(private readonly db: Database) {
    collectDefaultMetrics({ register: this.registry });
    this.duration = new Histogram({
      name: 'tessera_http_request_duration_seconds',
      help: 'HTTP request duration by route pattern, method and status class',
      labelNames: ['method', 'route', 'status_class'],
      buckets: BUCKETS,
      registers: [this.registry],
    });
    this.requests = new Counter({
      name: 'tessera_http_requests_total',
      help: 'HTTP requests by route pattern, method and status class',
      labelNames: ['method', 'route', 'status_class'],
      registers: [this.registry],
    });
    const pool = () =>
      (
        this.db.sequelize.connectionManager as unknown as {
          pool?: { write?: PoolCounters } & Partial<PoolCounters>;
        }
      ).pool;
    const poolGauge = (key: keyof PoolCounters, help: string) =>
      new Gauge({
        name: `tessera_db_pool_${key}`,
        help,
        registers: [this.registry],
        collect() {
          const p = pool();
          // sequelize wraps the pool for read replication; without replicas `write` is the pool.
          const counters = (p?.write ?? p) as Partial<PoolCounters> | undefined;
          this.set(counters?.[key] ?? 0);
        },
      });
    poolGauge('size', 'Database connections open in the pool');
    poolGauge('available', 'Idle database connections in the pool');
    poolGauge('using', 'Database connections in use');
    poolGauge('waiting', 'Requests waiting for a database connection');
    const query = this.db.sequelize;
    new Gauge({
      name: 'tessera_tasks',
      help: 'Long tasks by type and status (queued and running now; finished ones of the last 24 hours)',
      labelNames: ['type', 'status'],
      registers: [this.registry],
      async collect() {
        const rows = await query.query<{ type: string; status: string; n: string }>(
          `SELECT type, status, count(*) AS n FROM tasks
            WHERE status IN ('queued', 'running') OR created_at > now() - interval '24 hours'
            GROUP BY type, status`,
          { type: QueryTypes.SELECT },
        );
        this.reset();
        for (const r of rows) this.set({ type: r.type, status: r.status }, Number(r.n));
      },
    });
  }

  /** Records one finished request; `route` null = no API route matched (static files, 404s). */
  observeRequest(method: string, route: string | null, status: number, seconds: number): void {
    const labels = {
      method: METHODS.has(method) ? method : 'OTHER',
      route: route ?? 'unmatched',
      status_class: `${Math.floor(status / 100)}xx`,
    };
    this.duration.observe(labels, seconds);
    this.requests.inc(labels);
  }

  /** The text exposition format. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
