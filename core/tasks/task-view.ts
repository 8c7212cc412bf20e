// What the task API returns: plain types, imported by the designer too (no runtime code here).

export type TaskStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'interrupted';

/** A long task as the UI follows it: `GET /api/tasks/:id` every second or so. */
export interface TaskView {
  id: string;
  type: string;
  status: TaskStatus;
  /** What it is doing now, in Chinese (e.g. 读取表格, 校验, 匹配照片, 提交). */
  phase: string | null;
  done: number;
  total: number | null;
  message: string | null;
  result: unknown;
  error: { code: string; message: string; details?: unknown } | null;
  eventId: number | null;
  unitId: number | null;
  createdBy: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}
