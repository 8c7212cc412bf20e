// Calls of the admin operations screens (系统备份, 巡检报告, 运行日志): server/routes/backups.ts
// and server/routes/ops.ts. The shapes are core's own (views.ts files: types only).
import type { BackupOverview } from '@core/ops/backup/views.ts';
import type { InspectionReport, InspectionSummary } from '@core/ops/inspect/views.ts';
import type { RequestLogFilter, RequestLogPage } from '@core/ops/logs/views.ts';
import type { TaskView } from '@core/tasks/task-view.ts';
import { requestJson } from './api';

export type { BackupOverview, VerifyReport } from '@core/ops/backup/views.ts';
export type { BackupProblem, BackupSummary } from '@core/ops/backup/types.ts';
export type * from '@core/ops/inspect/views.ts';
export { SEVERITIES } from '@core/ops/inspect/views.ts';
export type { RequestLogEntry, RequestLogFilter, RequestLogPage } from '@core/ops/logs/views.ts';
export type { TaskView };

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === '' || value === false) continue;
    q.set(key, value === true ? '1' : String(value));
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

export const opsApi = {
  backups: () => requestJson<BackupOverview>('GET', '/admin/backups'),
  startBackup: (kind: 'full' | 'incremental') =>
    requestJson<{ task: TaskView }>('POST', '/admin/backups', { kind }),
  verifyBackups: () => requestJson<{ task: TaskView }>('POST', '/admin/backups/verify', {}),

  inspections: () =>
    requestJson<{ inspections: InspectionSummary[]; tasks: TaskView[] }>('GET', '/admin/inspections'),
  startInspection: () => requestJson<{ task: TaskView }>('POST', '/admin/inspections', {}),
  inspection: (id: string) =>
    requestJson<{ report: InspectionReport }>('GET', `/admin/inspections/${encodeURIComponent(id)}`),
  /** Opened in a new tab / downloaded by the browser itself (the session cookie goes along). */
  reportUrl: (id: string, kind: 'html' | 'pdf') =>
    `/api/admin/inspections/${encodeURIComponent(id)}/report.${kind}`,

  logs: (filter: RequestLogFilter, page: { offset: number; limit: number }) =>
    requestJson<RequestLogPage>(
      'GET',
      `/admin/logs${query({
        from: filter.from,
        to: filter.to,
        status: filter.status,
        method: filter.method,
        path: filter.path,
        user: filter.user,
        minMs: filter.minMs,
        text: filter.text,
        slow: filter.slowOnly,
        offset: page.offset,
        limit: page.limit,
      })}`,
    ),
};
