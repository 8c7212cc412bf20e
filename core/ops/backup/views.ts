// What the backup API returns, as the designer's 系统备份 page reads it: plain types only.
import type { TaskView } from '../../tasks/task-view.ts';
import type { BackupProblem, BackupSummary } from './types.ts';

/** What GET /api/admin/backups returns. */
export interface BackupOverview {
  dir: string;
  schedule: {
    enabled: boolean;
    fullCron: string | null;
    incrementalCron: string | null;
    nextFull: string | null;
    nextIncremental: string | null;
    keepFull: number;
    includeKeys: boolean;
  };
  /** Newest first. */
  backups: (BackupSummary & { usable: boolean })[];
  /** Manifest and chain problems (parts are checked by a verify run, not on every list). */
  problems: BackupProblem[];
  /** Recent backup and verify tasks, newest first: the running one, if any, first of all. */
  tasks: TaskView[];
}

/** The result of a verify run (`tessera backup verify`, the verify task). */
export interface VerifyReport {
  dir: string;
  ok: boolean;
  backups: (BackupSummary & { ok: boolean })[];
  chains: { full: string; members: string[]; usable: number }[];
  problems: BackupProblem[];
}
