/**
 * The print queue: pg-boss 10 in its own schema (`tessera_queue`) of the same database, so any
 * server started on that database with the worker on (TESSERA_PRINT_WORKER) — on this machine or
 * another — takes print jobs off it. Backups copy only `public`: the queue's bookkeeping is not
 * data; after a restore the print jobs themselves (in `public`) are put back on the queue by the
 * sweep (print-jobs.ts).
 *
 * A job is sent inside the transaction that creates the print job, so the two exist together or
 * not at all.
 */
import { randomUUID } from 'node:crypto';
import PgBoss from 'pg-boss';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';

export const PRINT_QUEUE = 'tessera-print';
export const QUEUE_SCHEMA = 'tessera_queue';

export interface PrintQueueMessage {
  printJobId: number;
}

export type PrintHandler = (message: PrintQueueMessage, queueJobId: string) => Promise<void>;

export class PrintQueue {
  private boss: PgBoss | undefined;
  private starting: Promise<PgBoss> | undefined;
  private workerId: string | undefined;

  constructor(
    private readonly url: string,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  /** Starts pg-boss (installing or upgrading its schema) and makes the queue; once per process. */
  start(): Promise<PgBoss> {
    this.starting ??= (async () => {
      const boss = new PgBoss({
        connectionString: this.url,
        schema: QUEUE_SCHEMA,
        application_name: 'tessera-print-queue',
        max: 3,
        // No cron schedules here: the clock and cron monitors would only poll.
        schedule: false,
      });
      boss.on('error', (error) => this.log(`打印队列出错：${error.message}`));
      await boss.start();
      if (!(await boss.getQueue(PRINT_QUEUE))) {
        await boss.createQueue(PRINT_QUEUE, {
          name: PRINT_QUEUE,
          policy: 'standard',
          // A worker that vanished mid-job without a trace (power cut): its job comes back after this.
          expireInSeconds: 2 * 3600,
          retryLimit: 3,
          retryDelay: 5,
        });
      }
      this.boss = boss;
      return boss;
    })();
    this.starting.catch(() => (this.starting = undefined));
    return this.starting;
  }

  /**
   * Puts a print job on the queue inside `transaction` (the queue's row commits or rolls back with
   * the print job). Returns the queue job's id.
   */
  async send(sequelize: Sequelize, transaction: Transaction, message: PrintQueueMessage): Promise<string> {
    const boss = await this.start();
    const id = randomUUID();
    const db: PgBoss.Db = {
      executeSql: async (text, values) => ({
        rows: await sequelize.query(text, {
          type: QueryTypes.SELECT,
          transaction,
          bind: values.map((v: unknown) => (v === undefined ? null : v)),
        }),
      }),
    };
    const sent = await boss.send(PRINT_QUEUE, message, { id, db });
    if (!sent) throw new Error('print queue refused the job');
    return id;
  }

  /** Wakes this process's worker at once (instead of at its next poll), after a commit. */
  nudge(): void {
    if (this.boss && this.workerId) this.boss.notifyWorker(this.workerId);
  }

  /** Takes jobs one at a time (a job already uses every Chromium tab of the process). */
  async work(handler: PrintHandler): Promise<void> {
    const boss = await this.start();
    this.workerId = await boss.work<PrintQueueMessage>(
      PRINT_QUEUE,
      { batchSize: 1, pollingIntervalSeconds: 1 },
      async (jobs) => {
        for (const job of jobs) await handler(job.data, job.id);
      },
    );
  }

  /** The queue's state of a job, or null when the queue no longer knows it. */
  async state(queueJobId: string): Promise<string | null> {
    const boss = await this.start();
    const job = await boss.getJobById(PRINT_QUEUE, queueJobId, { includeArchive: true });
    return job?.state ?? null;
  }

  async cancel(queueJobId: string): Promise<void> {
    const boss = await this.start();
    await boss.cancel(PRINT_QUEUE, queueJobId).catch(() => undefined);
  }

  /** Stops taking jobs, waits for the running one (the caller has told it to stop), closes the pool. */
  async stop(): Promise<void> {
    // The running handler may still send (it puts its job back on the queue) until stop returns.
    const boss = await this.starting?.catch(() => undefined);
    await boss?.stop({ graceful: true, wait: true, close: true, timeout: 30_000 });
    this.starting = undefined;
    this.boss = undefined;
    this.workerId = undefined;
  }
}
