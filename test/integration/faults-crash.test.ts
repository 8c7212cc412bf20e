// Fault drills with real processes: a `tessera serve` child SIGKILLed (with its Chromium) in the
// middle of an import commit, a print job and a backup, then started again on the same data folder
// and database. Nothing half-written may count as done, nothing may stay "running" for ever, work
// is resumed or fails with a reason, and the counts reconcile.
//
// A test holds a PostgreSQL lock for the few hundred milliseconds around each kill: that is how
// the drill knows the server is inside its transaction (or render) when it dies, on a machine of
// any speed, instead of guessing with a timer. The lock is let go as soon as the server is dead.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBackups } from '../../core/ops/backup/manifest.ts';
import { killChildServers, startChildServer, type ChildServer } from '../support/child-server.ts';
import { runCli } from '../support/cli.ts';
import { ADMIN_PASSWORD, ApiClient, createTestDatabase, followTask, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';
import { simpleWorkbook } from '../support/import-files.ts';

const EVENT = 'EXPO2026';
const ROWS = 1200;

let dataDir: string;
let databaseUrl: string;
let server: ChildServer | undefined;
let admin: ApiClient;
let db: pg.Client;

async function start(): Promise<void> {
  server = await startChildServer({ TESSERA_DATA_DIR: dataDir, DATABASE_URL: databaseUrl });
  admin = new ApiClient(server.url);
  const res = await admin.login('admin', ADMIN_PASSWORD);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

async function sql<T extends pg.QueryResultRow = Body>(text: string, values: unknown[] = []): Promise<T[]> {
  return (await db.query<T>(text, values)).rows;
}

const cliEnv = () => ({ TESSERA_DATA_DIR: dataDir, DATABASE_URL: databaseUrl });

/** Polls `check` every 50 ms until it returns something truthy; fails after `ms`. */
async function until<T>(what: string, check: () => Promise<T | undefined | null | false>, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A second connection that holds `lockSql` in an open transaction until released. */
async function hold(lockSql: string, values: unknown[] = []): Promise<{ release(): Promise<void> }> {
  const gate = new pg.Client({ connectionString: databaseUrl, application_name: 'fault-drill-gate' });
  await gate.connect();
  await gate.query('BEGIN');
  await gate.query(lockSql, values);
  return {
    async release() {
      await gate.query('ROLLBACK').catch(() => undefined);
      await gate.end().catch(() => undefined);
    },
  };
}

/** A session of the server waiting for a lock, with its query (the server is inside that statement). */
async function serverWaitingOn(pattern: RegExp): Promise<string | null> {
  const rows = await sql<{ query: string }>(
    `SELECT query FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name <> 'fault-drill-gate'`,
  );
  return rows.find((r) => pattern.test(r.query))?.query ?? null;
}

/** The person sheet of one unit: `count` valid people with distinct ID numbers. */
function personSheet(count: number, offset = 0): Promise<Buffer> {
  const rows: (string | number)[][] = [['姓名', '性别', '身份证号码', '单位', '手机', '申请证件类型']];
  for (let i = offset; i < offset + count; i++) {
    const id = residentId(
      '110101',
      `${1960 + Math.floor(i / 400)}0${1 + (i % 9)}1${i % 9}`,
      String(101 + 2 * (i % 400)).padStart(3, '0'),
    );
    rows.push([`演练${i}`, '男', id, '甲单位', `139${String(10_000_000 + i)}`, '服务证']);
  }
  return simpleWorkbook(rows, '人员信息');
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-drill-'));
  databaseUrl = await createTestDatabase();
  db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  await start();
  expect((await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' })).status).toBe(201);
});

afterAll(async () => {
  await killChildServers();
  await db?.end();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('SIGKILL during an import commit', () => {
  let batchId: number;
  let killedTask: string;

  it('stages a sheet of 1,200 people', async () => {
    const res = await admin.upload(`/api/events/${EVENT}/imports`, {
      kind: 'person',
      unitCode: 'UA',
      file: { fileName: '甲单位人员.xlsx', data: await personSheet(ROWS), type: 'application/octet-stream' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    batchId = res.body.batch.id;
    const task = await followTask(admin, res.body.task.id, 2400);
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    const batch = (await admin.request('GET', `/api/imports/${batchId}`)).body.batch;
    expect(batch.counts).toMatchObject({ rows: ROWS, valid: ROWS, invalid: 0 });
  });

  it('the server dies inside the commit transaction: no record of the batch exists', async () => {
    // Audit rows are written after each chunk of records: holding their table stops the commit
    // inside its transaction with the first 500 records written.
    const gate = await hold('LOCK TABLE audit_log IN SHARE MODE');
    try {
      const res = await admin.request('POST', `/api/imports/${batchId}/commit`);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      killedTask = res.body.task.id;
      await until('the commit to be inside its transaction', () => serverWaitingOn(/audit_log/i));
      await server!.kill();
    } finally {
      await gate.release();
    }
    // The batch names the commit that holds it (the page follows that task after a reload).
    const [batch] = await sql(`SELECT status, task_id FROM import_batches WHERE id = $1`, [batchId]);
    expect(batch).toEqual({ status: 'committing', task_id: killedTask });
    const [records] = await sql<{ n: string }>(`SELECT count(*) AS n FROM records`);
    expect(Number(records!.n)).toBe(0);
    const [rows] = await sql<{ n: string }>(
      `SELECT count(*) AS n FROM import_rows WHERE batch_id = $1 AND status = 'committed'`,
      [batchId],
    );
    expect(Number(rows!.n)).toBe(0);
  });

  it('after a restart the task is interrupted with a reason and the batch can be committed again', async () => {
    await start();
    const task = (await admin.request('GET', `/api/tasks/${killedTask}`)).body.task;
    expect(task.status).toBe('interrupted');
    expect(task.error.message).toMatch(/中断/);
    const batch = (await admin.request('GET', `/api/imports/${batchId}`)).body.batch;
    expect(batch.status).toBe('staged');
    expect(batch.notes.map((n: Body) => n.message).join('\n')).toMatch(/提交.*中断.*未写入/);
  });

  it('a second commit writes every row once and the report reconciles', async () => {
    const res = await admin.request('POST', `/api/imports/${batchId}/commit`);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const task = await followTask(admin, res.body.task.id, 2400);
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    const report = (await admin.request('GET', `/api/imports/${batchId}/report`)).body.report;
    expect(report.totals).toMatchObject({
      sourceRows: ROWS,
      committed: ROWS,
      deleted: 0,
      rejected: 0,
      pending: 0,
      reconciled: true,
    });
    const [records] = await sql<{ n: string; people: string }>(
      `SELECT count(*) AS n, count(DISTINCT id_number_hash) AS people FROM records`,
    );
    expect(Number(records!.n)).toBe(ROWS);
    expect(Number(records!.people)).toBe(ROWS);
  });
});

describe('SIGKILL during a print job', () => {
  const CARDS = 40;
  let jobId: number;
  let killedTask: string;

  const job = async (): Promise<Body> => {
    const res = await admin.request('GET', `/api/events/${EVENT}/print-jobs/${jobId}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.job;
  };

  it('approves 40 of the imported people and starts a print job of their cards', async () => {
    const ids = (await sql<{ id: string }>(`SELECT id FROM records ORDER BY id LIMIT ${CARDS}`)).map((r) =>
      Number(r.id),
    );
    const submitted = await admin.request('POST', `/api/events/${EVENT}/review-batches`, {
      unitCode: 'UA',
      recordIds: ids,
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    const reviewBatch = submitted.body.batch.id;
    const decided = await admin.request('POST', `/api/review-batches/${reviewBatch}/decisions`, {
      decision: 'approve',
      all: true,
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    const created = await admin.request('POST', `/api/events/${EVENT}/print-jobs`, {
      cardType: 'SERVICE',
      reviewBatchIds: [reviewBatch],
      options: { sheet: null, duplex: false, bleedMm: 0, marks: false, backs: true },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    jobId = created.body.job.id;
    expect(created.body.job.cardCount).toBe(CARDS);
  });

  it('the server dies while rendering: no PDF, the cards stay queued in the job, numbers untouched', async () => {
    const running = await until('the job to be taken by the worker', async () => {
      const j = await job();
      return j.status === 'running' && j;
    });
    killedTask = running.taskId;
    // Holding the job's row stops the worker at its last step (marking the job done), should the
    // render finish before the kill: the job is cut off mid-way either way.
    const gate = await hold('SELECT 1 FROM print_jobs WHERE id = $1 FOR SHARE', [jobId]);
    try {
      await until('the render to be under way', async () => {
        const j = await job();
        return (j.phase === '排版制作' && j.done > 0) || (await serverWaitingOn(/UPDATE print_jobs/));
      });
      const pdf = await admin.download(`/api/events/${EVENT}/print-jobs/${jobId}/pdf`);
      expect(pdf.status).not.toBe(200);
      await server!.kill();
    } finally {
      await gate.release();
    }
    // The server's Chromium goes with it: a crash must not leave a browser behind each time.
    await until(
      'Chromium to exit with the server',
      async () => (await server!.survivors()).length === 0,
      15_000,
    );
    const [row] = await sql(`SELECT status, pdf_blob, attempts FROM print_jobs WHERE id = $1`, [jobId]);
    expect(row).toMatchObject({ status: 'running', pdf_blob: null, attempts: 1 });
    const cards = await sql(`SELECT status, print_job_id FROM cards`);
    expect(cards).toHaveLength(CARDS);
    expect(cards.every((c) => c.status === 'queued' && Number(c.print_job_id) === jobId)).toBe(true);
  });

  it('after a restart the job is resumed and finishes: every card printed once, numbers 1..40 without gaps', async () => {
    await start();
    const done = await until(
      'the resumed job to finish',
      async () => {
        const j = await job();
        return ['succeeded', 'failed', 'cancelled'].includes(j.status) && j;
      },
      120_000,
    );
    expect(done.status, done.error).toBe('succeeded');
    expect(done.attempts).toBe(2);
    const killed = (await admin.request('GET', `/api/tasks/${killedTask}`)).body.task;
    expect(killed.status).toBe('interrupted');
    expect(killed.error.message).toMatch(/中断/);

    const cards = await sql<{ card_number: string; seq: number; status: string; card_version: number }>(
      `SELECT card_number, seq, status, card_version FROM cards ORDER BY seq`,
    );
    expect(cards.map((c) => c.seq)).toEqual(Array.from({ length: CARDS }, (_, i) => i + 1));
    expect(new Set(cards.map((c) => c.card_number)).size).toBe(CARDS);
    expect(cards.every((c) => c.status === 'printed' && c.card_version === 1)).toBe(true);
    const [counter] = await sql(`SELECT last_seq FROM card_number_counters WHERE card_type = 'SERVICE'`);
    expect(counter.last_seq).toBe(CARDS);

    const pdf = await admin.download(`/api/events/${EVENT}/print-jobs/${jobId}/pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.data.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.data.subarray(-8).toString()).toMatch(/%%EOF\s*$/);
    expect(pdf.data.byteLength).toBe(done.pdfBytes);
  });
});

describe('SIGKILL during a backup', () => {
  let backupsDir: string;
  let first: string;
  let killedTask: string;

  const backupNow = async (): Promise<Body> => {
    const res = await admin.request('POST', '/api/admin/backups', { kind: 'full' });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.task;
  };

  it('a first full backup (it also installs the change capture)', async () => {
    backupsDir = path.join(dataDir, 'backups');
    const task = await followTask(admin, (await backupNow()).id, 2400);
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    first = task.result.id;
  });

  it('the server dies half way through the second: the half-written folder is not a backup', async () => {
    // The records table is copied after a dozen others: holding it stops the backup with its
    // work folder half written.
    const gate = await hold('LOCK TABLE records IN ACCESS EXCLUSIVE MODE');
    try {
      killedTask = (await backupNow()).id;
      await until('the backup to be copying the records table', () => serverWaitingOn(/COPY .*records/i));
      await server!.kill();
    } finally {
      await gate.release();
    }
    const partial = (await readdir(backupsDir)).filter((n) => n.startsWith('.partial-'));
    expect(partial).toHaveLength(1);
    expect((await readdir(path.join(backupsDir, partial[0]!, 'db'))).length).toBeGreaterThan(0);

    const listed = await loadBackups(backupsDir);
    expect(listed.backups.map((b) => b.id)).toEqual([first]);
    expect(listed.problems).toEqual([]);
    const verify = await runCli(['backup', 'verify', '--json'], cliEnv());
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('after a restart the backup task is interrupted and a new backup succeeds, clearing the leftovers', async () => {
    await start();
    const killed = (await admin.request('GET', `/api/tasks/${killedTask}`)).body.task;
    expect(killed.status).toBe('interrupted');
    expect(killed.error.message).toMatch(/中断/);
    const task = await followTask(admin, (await backupNow()).id, 2400);
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    const names = await readdir(backupsDir);
    expect(names.filter((n) => n.startsWith('.partial-'))).toEqual([]);
    const overview = (await admin.request('GET', '/api/admin/backups')).body;
    expect(overview.backups.map((b: Body) => b.id).sort()).toEqual([first, task.result.id].sort());
    expect(overview.problems).toEqual([]);
  });

  it('the new backup restores: the server stopped, a unit added since is gone, the rest is back', async () => {
    await admin.request('POST', '/api/units', { code: 'UZ', name: '备份后新增单位' });
    await server!.stop();
    await db.end();
    // Restored right after the stop, as an operator would (the restore allows for sessions ending).
    const restored = await runCli(['restore'], cliEnv());
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const [records] = await sql<{ n: string }>(`SELECT count(*) AS n FROM records`);
    expect(Number(records!.n)).toBe(ROWS);
    const units = await sql<{ code: string }>(`SELECT code FROM units ORDER BY code`);
    expect(units.map((u) => u.code)).toEqual(['UA']);
    const printed = await sql(`SELECT count(*)::int AS n FROM cards WHERE status = 'printed'`);
    expect(printed[0].n).toBe(40);
    const [job] = await sql<{ pdf_blob: string }>(
      `SELECT pdf_blob FROM print_jobs WHERE status = 'succeeded'`,
    );
    const blob = job!.pdf_blob;
    expect((await stat(path.join(dataDir, 'blobs', blob.slice(0, 2), blob.slice(2, 4), blob))).isFile()).toBe(
      true,
    );
  });
});
