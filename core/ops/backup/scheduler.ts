import { Cron } from 'croner';
import { TesseraError } from '../../errors.ts';
import type { BackupKind } from './types.ts';

/** After a start, a missed backup is made up for this much later (the server settles first). */
const CATCH_UP_DELAY_MS = 60_000;

export interface ScheduleConfig {
  fullCron: string | null;
  incrementalCron: string | null;
}

/** When the backups folder says the last ones were made. */
export interface LastBackups {
  full: Date | null;
  any: Date | null;
}

/**
 * Weekly full / daily incremental (by default) inside the server process, with croner computing
 * the times from cron expressions. One backup at a time: a run that comes due while another is
 * going is skipped (the next one picks up everything anyway). A run missed while the server was
 * down is made once, a minute after start.
 */
export class BackupScheduler {
  private readonly jobs: { kind: BackupKind; cron: Cron }[] = [];
  private catchUp: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly config: ScheduleConfig,
    private readonly run: (kind: BackupKind, reason: string) => Promise<void>,
    private readonly log: (message: string) => void,
  ) {
    for (const [kind, pattern, name] of [
      ['full', config.fullCron, 'TESSERA_BACKUP_FULL_CRON'],
      ['incremental', config.incrementalCron, 'TESSERA_BACKUP_INCREMENTAL_CRON'],
    ] as const) {
      if (!pattern) continue;
      try {
        this.jobs.push({ kind, cron: new Cron(pattern, { paused: true, unref: true }) });
      } catch (error) {
        throw new TesseraError(
          'invalid_config',
          `${name}="${pattern}" 不是有效的 cron 表达式（如 "30 2 * * 0" 表示每周日 02:30）：${(error as Error).message}`,
        );
      }
    }
  }

  get enabled(): boolean {
    return this.jobs.length > 0;
  }

  start(last: LastBackups): void {
    for (const job of this.jobs) {
      const pattern = job.kind === 'full' ? this.config.fullCron! : this.config.incrementalCron!;
      job.cron.stop();
      job.cron = new Cron(pattern, { unref: true }, () => {
        void this.fire(job.kind, job.kind === 'full' ? '计划的全量备份' : '计划的增量备份');
      });
    }
    const missed = this.missed(last, new Date());
    if (missed) {
      this.catchUp = setTimeout(() => void this.fire(missed.kind, missed.reason), CATCH_UP_DELAY_MS);
      this.catchUp.unref();
    }
  }

  /** What should have run by `now` and did not, judged from the last backups' times. */
  missed(last: LastBackups, now: Date): { kind: BackupKind; reason: string } | null {
    if (!this.enabled) return null;
    if (!last.full) return { kind: 'full', reason: '还没有全量备份，补做一次' };
    const previous = (kind: BackupKind) =>
      this.jobs.find((j) => j.kind === kind)?.cron.previousRuns(1, now)[0] ?? null;
    const full = previous('full');
    if (full && last.full < full) return { kind: 'full', reason: '补做服务停机期间错过的全量备份' };
    const incremental = previous('incremental');
    if (incremental && (last.any ?? last.full) < incremental) {
      return { kind: 'incremental', reason: '补做服务停机期间错过的增量备份' };
    }
    return null;
  }

  next(): { full: string | null; incremental: string | null } {
    const at = (kind: BackupKind) =>
      this.jobs
        .find((j) => j.kind === kind)
        ?.cron.nextRun()
        ?.toISOString() ?? null;
    return { full: at('full'), incremental: at('incremental') };
  }

  private async fire(kind: BackupKind, reason: string): Promise<void> {
    // A full and an incremental due the same minute: the full (started first) wins.
    if (kind === 'incremental') await new Promise((resolve) => setTimeout(resolve, 1000).unref());
    if (this.busy) {
      this.log(`定时备份（${reason}）跳过：上一个备份还在进行`);
      return;
    }
    this.busy = true;
    try {
      await this.run(kind, reason);
    } catch (error) {
      this.log(`定时备份（${reason}）失败：${(error as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    for (const job of this.jobs) job.cron.stop();
    if (this.catchUp) clearTimeout(this.catchUp);
    this.catchUp = null;
  }
}
