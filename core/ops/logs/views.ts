// The request log as the API and the log viewer see it: plain types, imported by the designer
// too (no runtime code here).

/** One line of `logs/requests.jsonl` (and of `logs/slow-requests.jsonl` for a slow one). */
export interface RequestLogEntry {
  /** ISO time the response was finished. */
  at: string;
  /** Also the response's X-Request-Id, and the id in the server's error output. */
  id: string;
  method: string;
  path: string;
  /** The route pattern (`/api/events/:event`), null when no API route matched. */
  route: string | null;
  status: number;
  ms: number;
  user: string | null;
  ip: string;
  /** Present (true) on requests slower than TESSERA_SLOW_MS. */
  slow?: boolean;
}

/** Status filter: a class (`2xx`, `4xx`, `5xx`), `error` (4xx and 5xx) or one exact code (`404`). */
export type StatusFilter = string;

export interface RequestLogFilter {
  /** ISO times, inclusive. */
  from?: string | undefined;
  to?: string | undefined;
  status?: StatusFilter | undefined;
  method?: string | undefined;
  /** Part of the path (or of the route pattern). */
  path?: string | undefined;
  user?: string | undefined;
  minMs?: number | undefined;
  /** Searched in the whole line (request id, IP, path, user …). */
  text?: string | undefined;
  /** Only the slow-request log. */
  slowOnly?: boolean | undefined;
}

/** A page of matching entries, newest first. */
export interface RequestLogPage {
  entries: RequestLogEntry[];
  /** Entries matching the filter in the files read. */
  total: number;
  offset: number;
  limit: number;
  /** Log files read (the current one and rotated ones overlapping the time range). */
  files: number;
  slowMs: number;
}

/** Response times and errors over a period, from the request log. */
export interface RequestStats {
  from: string;
  to: string;
  count: number;
  /** Responses with status ≥ 500. */
  serverErrors: number;
  /** serverErrors / count (0 when there were no requests). */
  errorRate: number;
  clientErrors: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  slow: number;
  /** The slowest route patterns by p95 (at least 5 requests each). */
  slowRoutes: { route: string; count: number; p95: number; errors: number }[];
}
