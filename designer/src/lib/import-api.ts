// Calls of the import screens (信息采集): server/routes/imports.ts, and the task progress route.
// The response shapes are core's own (core/import/views.ts, core/tasks/task-view.ts: types only,
// nothing of the server reaches the bundle). A mapping profile is the generated type of
// schemas/mapping.schema.json.
import type { BatchView, CommitReport, RowPage, RowView } from '@core/import/views.ts';
import type { TaskView } from '@core/tasks/task-view.ts';
import type { MappingProfile } from '@core/types/generated/index.ts';
import { ApiError, getCsrfToken, requestJson } from './api';

export { ApiError };

export type {
  BatchColumn,
  BatchCounts,
  BatchStatus,
  BatchView,
  CommitReport,
  FieldIssue,
  ImportIssue,
  PhotoReview,
  PhotoSource,
  RowPage,
  RowStatus,
  RowView,
} from '@core/import/views.ts';
export type { TaskStatus, TaskView } from '@core/tasks/task-view.ts';

export interface StagingStarted {
  batch: BatchView;
  task: TaskView;
}

export interface UploadInput {
  event: string;
  file: File;
  kind: string;
  /** Staff choose the unit; a unit user's own unit is used whatever is sent. */
  unitCode?: string;
  /** A mapping profile to use instead of the suggested one (sent as a JSON string). */
  profile?: MappingProfile;
  /** A saved or plugin profile to use, by code. */
  profileCode?: string;
  /** The sheet to read, by name. */
  sheet?: string;
}

/** What a restage changes: the sheet, and/or the mapping (a profile, or a named one by code). */
export interface RestageChange {
  sheet?: string;
  profile?: MappingProfile;
  profileCode?: string;
}

/** An upload in flight: its result, and a way to stop it. */
export interface UploadHandle<T> {
  done: Promise<T>;
  abort: () => void;
}

const ev = (code: string) => `/events/${encodeURIComponent(code)}`;
const imp = (id: number) => `/imports/${id}`;
const ROWS_PAGE = 1000;

export const importApi = {
  list: (event: string) => requestJson<{ batches: BatchView[] }>('GET', `${ev(event)}/imports`),
  batch: (id: number) => requestJson<{ batch: BatchView }>('GET', imp(id)),
  rows: (id: number, query: { status?: string; page?: number; pageSize?: number } = {}) => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') search.set(key, String(value));
    }
    return requestJson<RowPage>('GET', `${imp(id)}/rows?${search.toString()}`);
  },
  /** Every row of a batch, page by page; `onProgress` hears how many have come. */
  allRows: async (id: number, onProgress?: (loaded: number, total: number) => void): Promise<RowView[]> => {
    const rows: RowView[] = [];
    for (let page = 1; ; page++) {
      const result = await importApi.rows(id, { page, pageSize: ROWS_PAGE });
      rows.push(...result.rows);
      onProgress?.(rows.length, result.total);
      if (result.rows.length < ROWS_PAGE || rows.length >= result.total) return rows;
    }
  },
  editRow: (id: number, row: number, body: { values: Record<string, unknown>; version: number }) =>
    requestJson<{ row: RowView }>('PATCH', `${imp(id)}/rows/${row}`, body),
  deleteRow: (id: number, row: number, reason: string) =>
    requestJson<{ row: RowView }>(
      'DELETE',
      `${imp(id)}/rows/${row}?reason=${encodeURIComponent(reason.trim())}`,
    ),
  replacePhoto: (id: number, row: number, file: File, onProgress?: (fraction: number) => void) =>
    sendForm<{ row: RowView }>(`/api${imp(id)}/rows/${row}/photo`, formOf({ file }), onProgress),
  restage: (id: number, change: RestageChange) =>
    requestJson<StagingStarted>('POST', `${imp(id)}/restage`, {
      ...(change.sheet ? { sheet: change.sheet } : {}),
      ...(change.profile !== undefined ? { profile: JSON.stringify(change.profile) } : {}),
      ...(change.profileCode ? { profileCode: change.profileCode } : {}),
    }),
  commit: (id: number) => requestJson<{ task: TaskView }>('POST', `${imp(id)}/commit`, {}),
  report: (id: number) => requestJson<{ report: CommitReport }>('GET', `${imp(id)}/report`),
  task: (id: string) => requestJson<{ task: TaskView }>('GET', `/tasks/${encodeURIComponent(id)}`),
  /** The Excel collection template of a record kind (a plain link: the browser saves the file). */
  templateUrl: (event: string, kind: string) => `/api${ev(event)}/templates/${encodeURIComponent(kind)}`,
  /** The batch's problem rows as a file for the unit to fix (the sent cells, row number, problems). */
  exportUrl: (id: number, query: { status?: string; format?: 'xlsx' | 'csv' } = {}) => {
    const search = new URLSearchParams();
    if (query.status) search.set('status', query.status);
    if (query.format) search.set('format', query.format);
    const qs = search.toString();
    return `/api${imp(id)}/rows/export${qs ? `?${qs}` : ''}`;
  },
  /** The URL of a stored photo. */
  photoUrl: (photoId: string) => `/api/photos/${encodeURIComponent(photoId)}`,
  /** Uploads a sheet or zip; staging then runs as a task (follow it with followTask). */
  upload: (input: UploadInput, onProgress?: (fraction: number) => void): UploadHandle<StagingStarted> => {
    const fields: Record<string, string | File> = { file: input.file, kind: input.kind };
    if (input.unitCode) fields.unitCode = input.unitCode;
    if (input.profile !== undefined) fields.profile = JSON.stringify(input.profile);
    if (input.profileCode) fields.profileCode = input.profileCode;
    if (input.sheet) fields.sheet = input.sheet;
    const xhr = new XMLHttpRequest();
    const done = sendForm<StagingStarted>(`/api${ev(input.event)}/imports`, formOf(fields), onProgress, xhr);
    return { done, abort: () => xhr.abort() };
  },
};

function formOf(fields: Record<string, string | File>): FormData {
  const form = new FormData();
  // The file goes last: the server reads the other fields before the (possibly large) file.
  for (const [key, value] of Object.entries(fields)) if (typeof value === 'string') form.append(key, value);
  for (const [key, value] of Object.entries(fields))
    if (typeof value !== 'string') form.append(key, value, value.name);
  return form;
}

function uploadFailure(status: number): ApiError {
  if (status === 413)
    return new ApiError(413, 'upload_too_large', '文件超过服务器允许的上传大小，请拆分后分批上传');
  if (status === 401) return new ApiError(401, 'unauthorized', '登录已失效，请重新登录。');
  if (status === 403) return new ApiError(403, 'forbidden', '没有权限执行此操作。');
  if (status >= 500)
    return new ApiError(status, `http_${status}`, `服务器内部错误（HTTP ${status}），请稍后再试`);
  return new ApiError(status, `http_${status}`, `上传失败（HTTP ${status}）`);
}

/** A multipart POST through XMLHttpRequest: only it reports upload progress (fetch does not). */
function sendForm<T>(
  url: string,
  form: FormData,
  onProgress?: (fraction: number) => void,
  xhr: XMLHttpRequest = new XMLHttpRequest(),
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    xhr.open('POST', url);
    xhr.setRequestHeader('Accept', 'application/json');
    const token = getCsrfToken();
    if (token) xhr.setRequestHeader('X-CSRF-Token', token);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress?.(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && body !== null) {
        onProgress?.(1);
        resolve(body as T);
        return;
      }
      const failure = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)
        ?.error;
      if (failure && typeof failure.message === 'string') {
        reject(
          new ApiError(
            xhr.status,
            typeof failure.code === 'string' ? failure.code : `http_${xhr.status}`,
            failure.message,
            failure.details,
          ),
        );
      } else {
        reject(uploadFailure(xhr.status));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network_error', '无法连接服务器，请检查网络后重试。'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', '已取消上传'));
    xhr.send(form);
  });
}

/** Thrown by followTask when its signal aborts (the page was left): callers ignore it. */
export class Stopped extends Error {
  constructor() {
    super('stopped');
    this.name = 'Stopped';
  }
}

export function isFinished(task: TaskView): boolean {
  return task.status !== 'queued' && task.status !== 'running';
}

/**
 * Polls a task until it ends (succeeded, failed, interrupted), reporting every state it sees;
 * resolves with the last one. A failed task resolves too: the caller reads `task.error`.
 */
export async function followTask(
  id: string,
  onUpdate: (task: TaskView) => void,
  options: { intervalMs?: number; signal?: AbortSignal } = {},
): Promise<TaskView> {
  const interval = options.intervalMs ?? 400;
  for (;;) {
    if (options.signal?.aborted) throw new Stopped();
    const { task } = await importApi.task(id);
    if (options.signal?.aborted) throw new Stopped();
    onUpdate(task);
    if (isFinished(task)) return task;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** A failed or interrupted task's error, as the ApiError the error banner shows. */
export function taskError(task: TaskView): ApiError {
  const error = task.error ?? { code: task.status, message: '任务未完成' };
  const status =
    error.code === 'duplicate_on_commit' || error.code === 'batch_not_editable'
      ? 409
      : error.code === 'internal_error'
        ? 500
        : 422;
  return new ApiError(status, error.code, error.message, error.details);
}
