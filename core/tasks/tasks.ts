import { randomUUID } from 'node:crypto';
import { QueryTypes, type Transaction } from 'sequelize';
import type { Database } from '../db/connection.ts';
import { TesseraError } from '../errors.ts';

import type { TaskStatus, TaskView } from './task-view.ts';

export type * from './task-view.ts';

export interface TaskProgress {
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
/** A running task whose heartbeat is older than this belongs to a process that died. */
const STALE_AFTER_MS = 60_000;

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

  constructor(
    private readonly db: Database,
    private readonly concurrency = 2,
  ) {}

  private async query<T extends object>(sql: string, replacements: Record<string, unknown>): Promise<T[]> {
    return this.db.sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements });
  }

  /** Marks tasks left running by a process that is gone as interrupted (call at start). */
  async recoverInterrupted(): Promise<number> {
    const rows = await this.query<{ id: string }>(
      `UPDATE tasks SET status = 'interrupted', finished_at = now(),
              error = jsonb_build_object('code', 'interrupted', 'message', '任务因服务重启或异常中断，请重新发起')
        WHERE status IN ('queued', 'running') AND heartbeat_at < now() - make_interval(secs => :stale)
        RETURNING id`,
      { stale: STALE_AFTER_MS / 1000 },
    );
    return rows.length;
  }

  /**
   * Creates a task and runs `work` in the background; returns at once with the queued task.
   * `work`'s result is stored as the task's result; a thrown TesseraError becomes its error.
   */
  async start<T>(def: TaskDefinition, work: (task: TaskProgress) => Promise<T>): Promise<TaskView> {
    const id = randomUUID();
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
    const run = this.run(id, work);
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
    return view(row!);
  }

  /**
   * Creates a queued task without running it here: work that a queue hands to some worker process
   * later (print jobs), which then runs it with `attach`.
   */
  async create(def: TaskDefinition, transaction?: Transaction): Promise<TaskView> {
    const [row] = await this.db.sequelize.query<TaskRow>(
      `INSERT INTO tasks (id, type, event_id, unit_id, created_by, status)
       VALUES (:id, :type, :eventId, :unitId, :createdBy, 'queued') RETURNING *`,
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

  /** Waits for every task of this process (shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
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

  private async run<T>(id: string, work: (task: TaskProgress) => Promise<T>, slot = true): Promise<void> {
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
    // Keeps the heartbeat fresh through long silent steps (a big sheet being parsed).
    const heartbeat = setInterval(flush, STALE_AFTER_MS / 4);
    try {
      await this.db.sequelize.query(
        `UPDATE tasks SET status = 'running', started_at = now(), heartbeat_at = now() WHERE id = :id`,
        { replacements: { id } },
      );
      const result = await work(progress);
      clearInterval(heartbeat);
      await pending;
      await this.db.sequelize.query(
        `UPDATE tasks SET status = 'succeeded', finished_at = now(), heartbeat_at = now(),
                done = :done, total = :total, phase = :phase, message = :message, result = :result::jsonb
          WHERE id = :id`,
        { replacements: { id, ...state, result: JSON.stringify(result ?? null) } },
      );
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
    } finally {
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
