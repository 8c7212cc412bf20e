import path from 'node:path';
import type pg from 'pg';
import { QueryTypes } from 'sequelize';
import type { AuditLog } from '../../audit.ts';
import { backupDir, type TesseraConfig } from '../../config.ts';
import type { Database } from '../../db/connection.ts';
import { TesseraError } from '../../errors.ts';
import type { Tasks, TaskView } from '../../tasks/tasks.ts';
import { createBackup, type BackupProgress, type BackupTarget } from './create.ts';
import { loadBackups, summarise } from './manifest.ts';
import { connect, SERVER_LOCK } from './pg.ts';
import { BackupScheduler } from './scheduler.ts';
import type { BackupKind, BackupSummary } from './types.ts';
import type { BackupOverview } from './views.ts';
import { buildChains, verifyDirectory, type VerifyReport } from './verify.ts';

export interface BackupActor {
  id: number;
  username: string;
  ip?: string | undefined;
}

export type { BackupOverview } from './views.ts';

/** How often the server tries to take its marker again while the database is away. */
const RELOCK_RETRY_MS = 1000;

export const BACKUP_TASK = 'backup';
export const VERIFY_TASK = 'backup-verify';

/** Backups as the engine offers them: run now (CLI), run as a task (API, schedule), list, verify. */
export class Backups {
  private scheduler: BackupScheduler | null = null;
  private serverLock: pg.Client | null = null;
  private relockTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly config: TesseraConfig,
    private readonly db: Database,
    private readonly tasks: Tasks,
    private readonly audit: AuditLog,
  ) {}

  get dir(): string {
    return backupDir(this.config);
  }

  target(dir?: string): BackupTarget {
    const url = this.db.embedded?.url ?? this.config.databaseUrl;
    if (!url) throw new Error('no database URL');
    return {
      url,
      mode: this.db.embedded ? 'embedded' : 'external',
      dataDir: this.config.dataDir,
      dir: dir ? path.resolve(dir) : this.dir,
      includeKeys: this.config.backup.includeKeys,
      keepFull: this.config.backup.keepFull,
    };
  }

  /** Runs a backup in this process and waits for it (the CLI). */
  create(
    kind: BackupKind,
    options: { dir?: string; progress?: BackupProgress } = {},
  ): Promise<BackupSummary> {
    return createBackup(this.target(options.dir), kind, options.progress);
  }

  /**
   * Starts a backup as a task the UI can follow; returns the queued task at once. `fallbackToFull`
   * (the schedule): an incremental that cannot continue a chain becomes a full instead of failing.
   */
  async start(
    kind: BackupKind,
    actor: BackupActor | null,
    options: { fallbackToFull?: boolean; reason?: string } = {},
  ): Promise<{ task: TaskView; done: Promise<void> }> {
    await this.refuseIfRunning(BACKUP_TASK, '已有备份任务正在进行，请等它完成');
    if (actor) {
      await this.audit.record(
        'backup_start',
        { userId: actor.id, username: actor.username, ip: actor.ip ?? null },
        { type: 'backup' },
        { kind },
      );
    }
    const target = this.target();
    let finished: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const task = await this.tasks.start({ type: BACKUP_TASK, createdBy: actor?.id ?? null }, async (task) => {
      try {
        const progress: BackupProgress = (phase, n, total, message) =>
          task.progress(n, total, phase, message);
        if (options.reason) progress('准备', 0, null, options.reason);
        try {
          return await createBackup(target, kind, progress);
        } catch (error) {
          if (!(
            options.fallbackToFull &&
            error instanceof TesseraError &&
            error.code === 'backup_needs_full'
          )) {
            throw error;
          }
          progress('准备', 0, null, `${error.message}——改做全量备份`);
          return {
            ...(await createBackup(target, 'full', progress)),
            note: `${error.message}，已改做全量备份`,
          };
        }
      } finally {
        finished();
      }
    });
    return { task, done };
  }

  /** Checks every backup's files and every chain, as a task (reading every blob takes a while). */
  async startVerify(actor: BackupActor): Promise<TaskView> {
    await this.refuseIfRunning(VERIFY_TASK, '已有校验任务正在进行，请等它完成');
    const dir = this.dir;
    return this.tasks.start(
      { type: VERIFY_TASK, createdBy: actor.id },
      async (task): Promise<VerifyReport> => {
        return verifyDirectory(dir, {
          progress: (n, total, id) => task.progress(n, total, '校验备份', `备份 ${id}`),
        });
      },
    );
  }

  private async refuseIfRunning(type: string, message: string): Promise<void> {
    const rows = await this.db.sequelize.query(
      // A fresh heartbeat only: a task left "running" by a crashed process must not block for ever.
      `SELECT 1 FROM tasks WHERE type = :type AND status IN ('queued', 'running')
          AND heartbeat_at > now() - interval '60 seconds' LIMIT 1`,
      { type: QueryTypes.SELECT, replacements: { type } },
    );
    if (rows.length) throw new TesseraError('backup_busy', message, 409);
  }

  async overview(): Promise<BackupOverview> {
    const dir = this.dir;
    const { backups, problems } = await loadBackups(dir);
    const { chains, problems: chainProblems } = buildChains(backups);
    const usable = new Set(chains.flatMap((c) => c.members.slice(0, c.usable).map((m) => m.id)));
    const ids = await this.db.sequelize.query<{ id: string }>(
      `SELECT id FROM tasks WHERE type IN (:types) ORDER BY created_at DESC LIMIT 10`,
      { type: QueryTypes.SELECT, replacements: { types: [BACKUP_TASK, VERIFY_TASK] } },
    );
    const tasks = await Promise.all(ids.map((row) => this.tasks.get(row.id)));
    const next = this.scheduler?.next() ?? { full: null, incremental: null };
    const { fullCron, incrementalCron, keepFull, includeKeys } = this.config.backup;
    return {
      dir,
      schedule: {
        enabled: this.scheduler?.enabled ?? false,
        fullCron,
        incrementalCron,
        nextFull: next.full,
        nextIncremental: next.incremental,
        keepFull,
        includeKeys,
      },
      backups: backups
        .map((b) => ({ ...summarise(b), usable: usable.has(b.id) }))
        .sort((a, b) => (a.id < b.id ? 1 : -1)),
      problems: [...problems, ...chainProblems],
      tasks: tasks.sort((a, b) => Number(b.status === 'running') - Number(a.status === 'running')),
    };
  }

  /**
   * What a running server does for backups: holds a shared advisory lock on the database for its
   * lifetime (a restore tries the exclusive one and so knows a server is up, even an idle one whose
   * pool has closed every connection), and runs the schedule.
   */
  async serverStarted(log: (message: string) => void): Promise<void> {
    this.closed = false;
    await this.holdServerLock(this.target().url);

    const scheduler = new BackupScheduler(
      this.config.backup,
      async (kind, reason) => {
        log(`开始${reason}（备份目录 ${this.dir}）`);
        const { done } = await this.start(kind, null, { fallbackToFull: true, reason });
        await done;
      },
      log,
    );
    if (!scheduler.enabled) return;
    const { backups } = await loadBackups(this.dir);
    const time = (kind?: BackupKind) => {
      const found = backups.filter((b) => !kind || b.manifest.kind === kind).at(-1);
      return found ? new Date(found.manifest.createdAt) : null;
    };
    scheduler.start({ full: time('full'), any: time() });
    this.scheduler = scheduler;
  }

  /** Stops the schedule (a backup under way finishes: the engine drains its tasks next) and the marker. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.relockTimer);
    this.scheduler?.stop();
    this.scheduler = null;
    const lock = this.serverLock;
    this.serverLock = null;
    await lock?.end().catch(() => undefined);
  }

  /**
   * The marker on a connection of its own. PostgreSQL restarted under the server ends that
   * connection and with it the marker: it is taken again as soon as the database answers, or a
   * restore would take a live server for a stopped one.
   */
  private async holdServerLock(url: string): Promise<void> {
    const lock = await connect(url, 'server');
    lock.on('error', () => undefined); // a dropped connection only loses the marker, never the server
    lock.on('end', () => {
      if (this.serverLock !== lock || this.closed) return;
      this.serverLock = null;
      const again = () => {
        if (this.closed) return;
        this.holdServerLock(url).catch(() => {
          this.relockTimer = setTimeout(again, RELOCK_RETRY_MS);
          this.relockTimer.unref();
        });
      };
      again();
    });
    try {
      await lock.query('SELECT pg_advisory_lock_shared($1)', [SERVER_LOCK]);
    } catch (error) {
      await lock.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await lock.end().catch(() => undefined);
      return;
    }
    this.serverLock = lock;
  }
}
