import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { QueryTypes, type Transaction } from 'sequelize';
import type { Database } from '../db/connection.ts';
import { runInBackground } from '../concurrency.ts';
import { TesseraError } from '../errors.ts';

import type { TaskStatus, TaskView } from './task-view.ts';

export type * from './task-view.ts';

export interface TaskProgress {
  /** The task's id (work that marks rows as its own, so a crash can be traced back to it). */
  readonly id: string;
  /** Reports progress; written to the database at most every PROGRESS_INTERVAL_MS. */
  progress(done: number, total?: number | null, phase?: string, message?: string): void;
  /** Lets other requests run between chunks of CPU work. */
  yieldNow(): Promise<void>;
}

export interface TaskDefinition {
  type: string;
  eventId?: number | null;
  unitId?: number | null;
  createdBy?: number | null;
}

const PROGRESS_INTERVAL_MS = 300;
/** A queued task whose heartbeat is older than this belongs to a process that died. */
const STALE_AFTER_MS = 60_000;
/** The phase of a task that waits on a queue for a worker (`create`): no process holds it yet. */
const QUEUE_WAIT = '排队等待';
/** Advisory-lock namespace of tasks running in a process (second key: hashtext of the task id). */
const RUN_LOCK = 7_241_011;

/** Whether some live process holds the task's lock (`t` is the tasks row). */
const HELD_SQL = `EXISTS (SELECT 1 FROM pg_locks l
   WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND l.classid = ${RUN_LOCK}::oid AND l.objid = hashtext(t.id::text)::oid)`;

/**
 * Tells every process which tasks run here: one advisory lock per task on a connection of this
 * process. PostgreSQL lets go of them the moment the process dies (SIGKILL, power cut) because
 * its connection ends, so a task still `running` with nobody holding its lock was cut off — known
 * at once, not after a heartbeat goes stale. A lost connection (PostgreSQL restarted) is made
 * again and the locks of the tasks still running here are taken again.
 */
class TaskLocks {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client | undefined> | undefined;
  /** Tasks running in this process, and those of them locked on the current connection. */
  private readonly running = new Set<string>();
  private locked = new Set<string>();

  constructor(private readonly url: string) {}

  private connection(): Promise<pg.Client | undefined> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.url, application_name: 'tessera-task-locks' });
      client.on('error', () => undefined);
      client.on('end', () => {
        if (this.client === client) this.client = undefined;
      });
      try {
        await client.connect();
        this.locked = new Set();
        this.client = client;
        for (const id of this.running) await this.lockOn(client, id);
        return client;
      } catch {
        // Without the lock a task still runs; only a crash of it would be noticed later (stale heartbeat).
        if (this.client === client) this.client = undefined;
        await client.end().catch(() => undefined);
        return undefined;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  private async lockOn(client: pg.Client, id: string): Promise<void> {
    if (this.locked.has(id)) return;
    // try: two ids whose hashes collide must not make one task wait for the other.
    const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
      RUN_LOCK,
      id,
    ]);
    if (got.rows[0]?.ok) this.locked.add(id);
  }

  async take(id: string): Promise<void> {
    this.running.add(id);
    const client = await this.connection();
    if (client) await this.lockOn(client, id).catch(() => undefined);
  }

  /** Makes the connection again if it was lost (called with each heartbeat). */
  async keep(): Promise<void> {
    if (this.running.size) await this.connection();
  }

  async release(id: string): Promise<void> {
    this.running.delete(id);
    if (!this.locked.delete(id)) return;
    await this.client
      ?.query('SELECT pg_advisory_unlock($1, hashtext($2))', [RUN_LOCK, id])
      .catch(() => undefined);
  }

  async close(): Promise<void> {
    const client = this.client ?? (await this.connecting);
    this.client = undefined;
    this.locked = new Set();
    await client?.end().catch(() => undefined);
  }
}

interface TaskRow {
  id: string;
  type: string;
  status: TaskStatus;
  phase: string | null;
  done: number;
  total: number | null;
  message: string | null;
  result: unknown;
  error: TaskView['error'];
  event_id: string | null;
  unit_id: string | null;
  created_by: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

function view(row: TaskRow): TaskView {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    phase: row.phase,
    done: row.done,
    total: row.total,
    message: row.message,
    result: row.result,
    error: row.error,
    eventId: row.event_id === null ? null : Number(row.event_id),
    unitId: row.unit_id === null ? null : Number(row.unit_id),
    createdBy: row.created_by === null ? null : Number(row.created_by),
    createdAt: row.created_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}

/**
 * Long tasks with progress, run inside this process, recorded in PostgreSQL so any server
 * process can answer "how far is it" and a task cut off by a crash shows as interrupted instead
 * of running for ever. At most `concurrency` tasks run at once; the rest wait queued.
 *
 * Why not a queue library: progress per row and a sub-second start are the point here; the
 * PostgreSQL-backed queues that run on Node 20 (pg-boss 10) poll and keep no progress.
 */
export class Tasks {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly locks: TaskLocks;

  constructor(
    private readonly db: Database,
    private readonly concurrency = 2,
  ) {
    this.locks = new TaskLocks(db.url);
  }

  private async query<T extends object>(sql: string, replacements: Record<string, unknown>): Promise<T[]> {
    return this.db.sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements });
  }

  /**
   * Marks tasks left by a process that is gone as interrupted (call at start): those whose lock
   * nobody holds — except a task waiting on a queue (`create`), which no process holds until a
   * worker takes it: that one only when its heartbeat is stale.
   */
  async recoverInterrupted(): Promise<number> {
    const rows = await this.query<{ id: string }>(
      `UPDATE tasks t SET status = 'interrupted', finished_at = now(),
              error = jsonb_build_object('code', 'interrupted', 'message',
                '任务因服务重启或异常中断，未完成' || CASE WHEN t.done > 0 THEN '（中断时进度 ' || t.done ||
                COALESCE('/' || t.total, '') || '）' ELSE '' END || '，请重新发起')
        WHERE t.status IN ('queued', 'running') AND NOT ${HELD_SQL}
          AND (t.status = 'running' OR t.phase IS DISTINCT FROM '${QUEUE_WAIT}'
               OR t.heartbeat_at < now() - make_interval(secs => :stale))
        RETURNING t.id`,
      { stale: STALE_AFTER_MS / 1000 },
    );
    return rows.length;
  }

  /**
   * Creates a task and runs `work` in the background; returns at once with the queued task.
   * `work`'s result is stored as the task's result; a thrown TesseraError becomes its error.
   */
  async start<T>(def: TaskDefinition, work: (task: TaskProgress) => Promise<T>): Promise<TaskView> {
    const row = await this.insertLocked(def);
    const run = this.run(row.id, work);
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
    return view(row);
  }

  /** A queued task of this process, its lock taken before the row exists (never taken for dead). */
  private async insertLocked(def: TaskDefinition): Promise<TaskRow> {
    const id = randomUUID();
    await this.locks.take(id);
    try {
      const [row] = await this.query<TaskRow>(
        `INSERT INTO tasks (id, type, event_id, unit_id, created_by, status)
         VALUES (:id, :type, :eventId, :unitId, :createdBy, 'queued') RETURNING *`,
        {
          id,
          type: def.type,
          eventId: def.eventId ?? null,
          unitId: def.unitId ?? null,
          createdBy: def.createdBy ?? null,
        },
      );
      return row!;
    } catch (error) {
      await this.locks.release(id);
      throw error;
    }
  }

  /**
   * Creates a queued task without running it here: work that a queue hands to some worker process
   * later (print jobs), which then runs it with `attach`.
   */
  async create(def: TaskDefinition, transaction?: Transaction): Promise<TaskView> {
    const [row] = await this.db.sequelize.query<TaskRow>(
      `INSERT INTO tasks (id, type, event_id, unit_id, created_by, status, phase)
       VALUES (:id, :type, :eventId, :unitId, :createdBy, 'queued', '${QUEUE_WAIT}') RETURNING *`,
      {
        type: QueryTypes.SELECT,
        transaction,
        replacements: {
          id: randomUUID(),
          type: def.type,
          eventId: def.eventId ?? null,
          unitId: def.unitId ?? null,
          createdBy: def.createdBy ?? null,
        },
      },
    );
    return view(row!);
  }

  /**
   * Runs `work` as the task `id` (made by `create`, maybe in another process) and waits for it.
   * Outside the in-process slots: the queue that hands out the work already limits how much runs.
   */
  async attach<T>(id: string, work: (task: TaskProgress) => Promise<T>): Promise<TaskView> {
    const run = this.run(id, work, false);
    this.inFlight.add(run);
    try {
      await run;
    } finally {
      this.inFlight.delete(run);
    }
    return this.get(id);
  }

  /**
   * Runs `work` here, now, as a new task, and gives back its result — or throws its error (the
   * CLI's commit): other processes see the work running, and see it cut off if this process dies.
   */
  async runHere<T>(def: TaskDefinition, work: (task: TaskProgress) => Promise<T>): Promise<T> {
    const { id } = await this.insertLocked(def);
    const run = this.run(id, work, false);
    this.inFlight.add(run);
    try {
      const outcome = await run;
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    } finally {
      this.inFlight.delete(run);
    }
  }

  /** Runs `work` as a task and waits for it (the CLI does; so do tests). */
  async runNow<T>(def: TaskDefinition, work: (task: TaskProgress) => Promise<T>): Promise<TaskView> {
    const task = await this.start(def, work);
    return this.waitFor(task.id);
  }

  async waitFor(id: string): Promise<TaskView> {
    for (;;) {
      const task = await this.get(id);
      if (task.status !== 'queued' && task.status !== 'running') return task;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Waits for every task of this process (shutdown), then lets go of the lock connection. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    await this.locks.close();
  }

  private async slot(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }

  private async run<T>(
    id: string,
    work: (task: TaskProgress) => Promise<T>,
    slot = true,
  ): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    await this.locks.take(id);
    if (slot) await this.slot();
    let last = 0;
    let pending: Promise<unknown> = Promise.resolve();
    let state = {
      done: 0,
      total: null as number | null,
      phase: null as string | null,
      message: null as string | null,
    };
    const flush = () => {
      const snapshot = state;
      pending = pending
        .then(() =>
          this.db.sequelize.query(
            `UPDATE tasks SET done = :done, total = :total, phase = :phase, message = :message, heartbeat_at = now()
              WHERE id = :id`,
            { replacements: { id, ...snapshot } },
          ),
        )
        .catch(() => undefined);
    };
    const progress: TaskProgress = {
      id,
      progress(done, total, phase, message) {
        state = {
          done,
          total: total === undefined ? state.total : total,
          phase: phase ?? state.phase,
          message: message ?? state.message,
        };
        const now = Date.now();
        if (now - last >= PROGRESS_INTERVAL_MS) {
          last = now;
          flush();
        }
      },
      yieldNow: () => new Promise((resolve) => setImmediate(resolve)),
    };
    // Keeps the heartbeat fresh through long silent steps (a big sheet being parsed), and the lock.
    const heartbeat = setInterval(() => {
      flush();
      void this.locks.keep();
    }, STALE_AFTER_MS / 4);
    try {
      await this.db.sequelize.query(
        `UPDATE tasks SET status = 'running', started_at = now(), heartbeat_at = now() WHERE id = :id`,
        { replacements: { id } },
      );
      const result = await runInBackground(() => work(progress));
      clearInterval(heartbeat);
      await pending;
      await this.db.sequelize.query(
        `UPDATE tasks SET status = 'succeeded', finished_at = now(), heartbeat_at = now(),
                done = :done, total = :total, phase = :phase, message = :message, result = :result::jsonb
          WHERE id = :id`,
        { replacements: { id, ...state, result: JSON.stringify(result ?? null) } },
      );
      return { ok: true, value: result };
    } catch (error) {
      clearInterval(heartbeat);
      await pending;
      const body =
        error instanceof TesseraError
          ? { code: error.code, message: error.message, details: error.details }
          : { code: 'internal_error', message: `任务出错：${(error as Error).message}` };
      await this.db.sequelize
        .query(
          `UPDATE tasks SET status = 'failed', finished_at = now(), heartbeat_at = now(), error = :error::jsonb
            WHERE id = :id`,
          { replacements: { id, error: JSON.stringify(body) } },
        )
        .catch(() => undefined);
      return { ok: false, error };
    } finally {
      await this.locks.release(id);
      if (slot) this.release();
    }
  }

  async get(id: string): Promise<TaskView> {
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new TesseraError('task_not_found', '任务不存在', 404);
    const [row] = await this.query<TaskRow>('SELECT * FROM tasks WHERE id = :id', { id });
    if (!row) throw new TesseraError('task_not_found', '任务不存在', 404);
    return view(row);
  }

  async list(filter: { eventId?: number; createdBy?: number; limit?: number }): Promise<TaskView[]> {
    const rows = await this.query<TaskRow>(
      `SELECT * FROM tasks
        WHERE (:eventId::bigint IS NULL OR event_id = :eventId::bigint)
          AND (:createdBy::bigint IS NULL OR created_by = :createdBy::bigint)
        ORDER BY created_at DESC LIMIT :limit`,
      { eventId: filter.eventId ?? null, createdBy: filter.createdBy ?? null, limit: filter.limit ?? 50 },
    );
    return rows.map(view);
  }
}
