// Fault drill: PostgreSQL stopped and started again under load, the server left running. While the
// database is away every request answers at once with a clear 503 (no hang, no crash); once it is
// back the server recovers by itself — requests, health, the print worker, the restore guard —
// without being restarted.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedHandle } from '../../core/db/embedded.ts';
import { SERVER_LOCK } from '../../core/ops/backup/pg.ts';
import { killChildServers, startChildServer, type ChildServer } from '../support/child-server.ts';
import { ADMIN_PASSWORD, ApiClient, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';

const EVENT = 'EXPO2026';
const CLIENTS = 4;

let pgDir: string;
let dataDir: string;
let postgres: EmbeddedHandle | undefined;
let server: ChildServer;
let admin: ApiClient;
const recordIds: number[] = [];

const startPostgres = () => startEmbeddedPostgres({ dataDir: pgDir, role: 'test', database: 'drill' });

/** Polls `check` every 100 ms until it returns something truthy; fails after `ms`. */
async function until<T>(what: string, check: () => Promise<T | undefined | null | false>, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Outcome {
  kind: string;
  status: number;
  body: Body;
}

/**
 * One user's round: a search, a record view and a form save. A request that gets no answer in
 * 15 s counts as a hang (status 0): a request must never wait for the database to come back.
 */
async function round(client: ApiClient, n: number): Promise<Outcome[]> {
  const id = recordIds[n % recordIds.length]!;
  const timed = async (kind: string, send: () => Promise<{ status: number; body: Body }>) => {
    const answer = await Promise.race([
      send(),
      new Promise<{ status: number; body: Body }>((resolve) =>
        setTimeout(() => resolve({ status: 0, body: 'no answer in 15 s' }), 15_000).unref(),
      ),
    ]).catch((error: Error) => ({ status: -1, body: error.message }));
    return { kind, ...answer };
  };
  const out: Outcome[] = [];
  out.push(await timed('search', () => client.request('GET', `/api/events/${EVENT}/search?q=断库`)));
  const view = await timed('view', () => client.request('GET', `/api/events/${EVENT}/records/${id}`));
  out.push(view);
  if (view.status === 200) {
    const record = view.body.record;
    out.push(
      await timed('save', () =>
        client.request('PUT', `/api/events/${EVENT}/records/${id}`, {
          version: record.version,
          values: { ...record.values, position: `第${n}次保存` },
        }),
      ),
    );
  }
  return out;
}

/** The users doing rounds until `stop` (shown every outcome so far) says so; returns every outcome. */
async function load(clients: ApiClient[], stop: (seen: Outcome[]) => boolean): Promise<Outcome[]> {
  const seen: Outcome[] = [];
  await Promise.all(
    clients.map(async (client, c) => {
      for (let n = c; !stop(seen); n += clients.length) seen.push(...(await round(client, n)));
    }),
  );
  return seen;
}

async function signIn(): Promise<ApiClient> {
  const client = new ApiClient(server.url);
  const res = await client.login('admin', ADMIN_PASSWORD);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return client;
}

beforeAll(async () => {
  pgDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-drill-pg-'));
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-drill-data-'));
  postgres = await startPostgres();
  server = await startChildServer({ TESSERA_DATA_DIR: dataDir, DATABASE_URL: postgres.url });
  admin = await signIn();
  expect((await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' })).status).toBe(201);
  // Two records per user: user c's rounds n = c, c + CLIENTS, … take records n % (2 × CLIENTS), which
  // are its own, so two users never save the same record (a version conflict is not an outage).
  for (let i = 0; i < CLIENTS * 2; i++) {
    const res = await admin.request('POST', `/api/events/${EVENT}/records`, {
      kind: 'person',
      unitCode: 'UA',
      values: {
        name: `断库${i}`,
        gender: 'M',
        idType: '1',
        idNumber: residentId('110101', `1975010${i + 1}`, String(111 + 2 * i)),
        organization: '甲单位',
        mobile: `1390000000${i}`,
        cardType: 'SERVICE',
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    recordIds.push(res.body.record.id);
  }
});

afterAll(async () => {
  await killChildServers();
  await postgres?.stop();
  for (const dir of [pgDir, dataDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('PostgreSQL restarted under load', () => {
  let clients: ApiClient[];

  it('a few users work normally', async () => {
    clients = await Promise.all(Array.from({ length: CLIENTS }, signIn));
    const outcomes = await load(clients, (seen) => seen.length >= CLIENTS * 6);
    expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
  });

  it('with PostgreSQL stopped every request fails at once with a clear 503, and the server stays up', async () => {
    const port = postgres!.port;
    let stopped = false;
    // Users keep working while PostgreSQL goes away, until each has met the outage a few times.
    const running = load(
      clients,
      (seen) => stopped && seen.filter((o) => o.status !== 200).length >= CLIENTS * 3,
    );
    await postgres!.stop();
    postgres = undefined;
    stopped = true;
    const outcomes = await running;
    process.env.TESSERA_PG_PORT = String(port);
    const failed = outcomes.filter((o) => o.status !== 200);
    expect(failed.length).toBeGreaterThanOrEqual(CLIENTS);
    for (const o of failed) {
      expect(o.status, `${o.kind}: ${JSON.stringify(o.body)}`).toBe(503);
      expect(o.body.error.code).toBe('database_unavailable');
      expect(o.body.error.message).toMatch(/数据库.*暂时/);
    }
    const health = await fetch(`${server.url}/api/health`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as Body).database.status).toBe('down');
  });

  it('PostgreSQL back on its port: the same server process recovers on its own', async () => {
    postgres = await startPostgres();
    delete process.env.TESSERA_PG_PORT;
    await until(
      'health to be up again',
      async () => (await fetch(`${server.url}/api/health`)).status === 200,
    );
    // The first round may still meet a connection PostgreSQL cut; from then on every request works.
    await until('a whole round to succeed', async () =>
      (await round(clients[0]!, 0)).every((o) => o.status === 200),
    );
    const outcomes = await load(clients, (seen) => seen.length >= CLIENTS * 6);
    expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
  });

  it('the restore guard is held again and the print worker takes a job submitted afterwards', async () => {
    const client = new pg.Client({ connectionString: postgres!.url });
    await client.connect();
    try {
      await until('the server to hold its restore guard again', async () => {
        const held = await client.query(
          `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND objid = $1`,
          [SERVER_LOCK],
        );
        return held.rowCount === 1;
      });
    } finally {
      await client.end();
    }
    const submitted = await admin.request('POST', `/api/events/${EVENT}/review-batches`, {
      unitCode: 'UA',
      recordIds,
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    const decided = await admin.request('POST', `/api/review-batches/${submitted.body.batch.id}/decisions`, {
      decision: 'approve',
      all: true,
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    const created = await admin.request('POST', `/api/events/${EVENT}/print-jobs`, {
      cardType: 'SERVICE',
      recordIds,
      options: { sheet: null, duplex: false, bleedMm: 0, marks: false, backs: false },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const job = await until(
      'the print job to finish',
      async () => {
        const res = await admin.request('GET', `/api/events/${EVENT}/print-jobs/${created.body.job.id}`);
        return ['succeeded', 'failed'].includes(res.body.job.status) && res.body.job;
      },
      90_000,
    );
    expect(job.status, job.error).toBe('succeeded');
    expect(server.output()).not.toMatch(/Unhandled|uncaught/i);
  });
});
