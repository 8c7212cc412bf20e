import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { loadConfig, type TesseraConfig } from '../../core/config.ts';
import { startServer, type RunningServer } from '../../server/serve.ts';

/** A fresh database of its own on the run's PostgreSQL, so test files never see each other's rows. */
export async function createTestDatabase(): Promise<string> {
  const adminUrl = inject('databaseUrl');
  const name = `tessera_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export const ADMIN_PASSWORD = 'Admin-Test-Passw0rd';

export async function testConfig(overrides: Partial<TesseraConfig> = {}): Promise<TesseraConfig> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-test-data-'));
  return {
    // No scheduled backups in tests: a run crossing 02:30 would otherwise back up every test server.
    ...loadConfig({ TESSERA_BACKUP_SCHEDULE: 'off' }),
    dataDir,
    databaseUrl: await createTestDatabase(),
    port: 0,
    host: '127.0.0.1',
    adminPassword: ADMIN_PASSWORD,
    ...overrides,
  };
}

export async function startTestServer(overrides: Partial<TesseraConfig> = {}): Promise<RunningServer> {
  return startServer(await testConfig(overrides), () => undefined);
}

// Response bodies are asserted field by field in the tests; typing every API response here would copy the server.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Body = any;

/** A signed-in HTTP client: keeps the session cookie and sends the CSRF token like the designer does. */
export class ApiClient {
  /** The session cookie as sent (`tessera_sid=…`); tests of session handling read and plant it. */
  cookie = '';
  csrfToken = '';
  /** Headers of the last answer (Retry-After, Set-Cookie…). */
  lastHeaders: Headers | null = null;

  /** `headers` go with every request, e.g. X-Forwarded-For to act from another address. */
  constructor(
    private readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  async request(method: string, url: string, body?: unknown): Promise<{ status: number; body: Body }> {
    const headers: Record<string, string> = { ...this.headers };
    if (this.cookie) headers.cookie = this.cookie;
    if (method !== 'GET' && this.csrfToken) headers['x-csrf-token'] = this.csrfToken;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.baseUrl + url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    this.lastHeaders = response.headers;
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0] ?? '';
    const text = await response.text();
    let parsed: Body = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed };
  }

  /** A multipart upload like the designer's file inputs send. */
  async upload(
    url: string,
    fields: Record<string, string | { fileName: string; data: Uint8Array; type: string }>,
  ): Promise<{ status: number; body: Body }> {
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) {
      if (typeof value === 'string') form.append(key, value);
      else form.append(key, new Blob([new Uint8Array(value.data)], { type: value.type }), value.fileName);
    }
    const headers: Record<string, string> = { ...this.headers, 'x-csrf-token': this.csrfToken };
    if (this.cookie) headers.cookie = this.cookie;
    const response = await fetch(this.baseUrl + url, { method: 'POST', headers, body: form });
    const text = await response.text();
    let parsed: Body = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed };
  }

  /** A file download (templates, exports): the raw bytes. */
  async download(url: string): Promise<{ status: number; data: Buffer; headers: Headers }> {
    const headers: Record<string, string> = { ...this.headers };
    if (this.cookie) headers.cookie = this.cookie;
    const response = await fetch(this.baseUrl + url, { headers });
    return {
      status: response.status,
      data: Buffer.from(await response.arrayBuffer()),
      headers: response.headers,
    };
  }

  /** A JSON request whose answer is bytes (a PNG, a PDF): the raw body and the headers. */
  async requestBytes(
    method: string,
    url: string,
    body: unknown,
  ): Promise<{ status: number; data: Buffer; headers: Headers }> {
    const headers: Record<string, string> = { ...this.headers, 'content-type': 'application/json' };
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrfToken) headers['x-csrf-token'] = this.csrfToken;
    const response = await fetch(this.baseUrl + url, { method, headers, body: JSON.stringify(body) });
    return {
      status: response.status,
      data: Buffer.from(await response.arrayBuffer()),
      headers: response.headers,
    };
  }

  async login(username: string, password: string): Promise<{ status: number; body: Body }> {
    const result = await this.request('POST', '/api/auth/login', { username, password });
    if (result.status === 200) this.csrfToken = result.body.csrfToken;
    return result;
  }
}

/** Polls `GET /api/tasks/:id` every 50 ms until the task ends; returns it (fails after `attempts`). */
export async function followTask(client: ApiClient, id: string, attempts = 400): Promise<Body> {
  for (let i = 0; i < attempts; i++) {
    const res = await client.request('GET', `/api/tasks/${id}`);
    if (res.status !== 200)
      throw new Error(`GET /api/tasks/${id}: ${res.status} ${JSON.stringify(res.body)}`);
    if (!['queued', 'running'].includes(res.body.task.status)) return res.body.task;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('task did not finish');
}
