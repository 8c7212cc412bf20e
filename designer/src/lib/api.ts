import type {
  ApiErrorBody,
  AuthResponse,
  EventDetailResponse,
  EventListResponse,
  FormResponse,
  HistoryResponse,
  IdNumberResponse,
  RecordListQuery,
  RecordListResponse,
  RecordResponse,
  RecordValues,
} from './types';

/** An error reported by the server (`{"error":{…}}`) or by the network. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let csrfToken: string | null = null;
let unauthorizedHandler: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** For requests built outside `request` (file uploads). */
export function getCsrfToken(): string | null {
  return csrfToken;
}

/** Called when any request (other than the login itself) comes back 401. */
export function onUnauthorized(handler: () => void): void {
  unauthorizedHandler = handler;
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { message?: unknown }).message === 'string' &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}

function fallbackMessage(status: number): string {
  if (status === 401) return '登录已失效，请重新登录。';
  if (status === 403) return '没有权限执行此操作。';
  if (status === 404) return '请求的内容不存在。';
  if (status === 429) return '请求过于频繁，请稍后再试。';
  if (status >= 500) return `服务器内部错误（HTTP ${status}），请稍后再试或联系管理员。`;
  return `请求失败（HTTP ${status}）。`;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    headers['Content-Type'] = 'application/json';
    if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  }

  let response: Response;
  try {
    response = await fetch(`/api${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network_error', '无法连接服务器，请检查网络后重试。');
  }

  if (response.status === 204) return undefined as T;

  let data: unknown = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }

  if (!response.ok) {
    const error = isErrorBody(data)
      ? new ApiError(response.status, data.error.code, data.error.message, data.error.details)
      : new ApiError(response.status, `http_${response.status}`, fallbackMessage(response.status));
    if (response.status === 401 && path !== '/auth/login') unauthorizedHandler?.();
    throw error;
  }
  if (data === null) throw new ApiError(response.status, 'bad_response', '服务器返回了无法识别的数据。');
  return data as T;
}

/** The one JSON request function, for API modules of other screens (setup-api.ts …). */
export const requestJson = request;

export const api = {
  login: (username: string, password: string) =>
    request<AuthResponse>('POST', '/auth/login', { username, password }),
  me: () => request<AuthResponse>('GET', '/auth/me'),
  logout: () => request<void>('POST', '/auth/logout', {}),
  events: () => request<EventListResponse>('GET', '/events'),
  event: (code: string) => request<EventDetailResponse>('GET', `/events/${encodeURIComponent(code)}`),
  form: (event: string, kind: string) =>
    request<FormResponse>('GET', `${ev(event)}/forms/${encodeURIComponent(kind)}`),
  records: (event: string, query: RecordListQuery) =>
    request<RecordListResponse>('GET', `${ev(event)}/records?${queryString({ ...query })}`),
  record: (event: string, id: string | number) => request<RecordResponse>('GET', recordPath(event, id)),
  createRecord: (event: string, body: { kind: string; unitCode: string; values: RecordValues }) =>
    request<RecordResponse>('POST', `${ev(event)}/records`, body),
  updateRecord: (event: string, id: string | number, body: { values: RecordValues; version: number }) =>
    request<RecordResponse>('PUT', recordPath(event, id), body),
  recordIdNumber: (event: string, id: string | number) =>
    request<IdNumberResponse>('GET', `${recordPath(event, id)}/id-number`),
  recordHistory: (event: string, id: string | number) =>
    request<HistoryResponse>('GET', `${recordPath(event, id)}/history`),
};

function ev(event: string): string {
  return `/events/${encodeURIComponent(event)}`;
}

function recordPath(event: string, id: string | number): string {
  return `${ev(event)}/records/${encodeURIComponent(id)}`;
}

/** `{a: 1, b: '', c: undefined}` → `a=1` (empty values are left out). */
function queryString(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  return search.toString();
}

/** A human-readable message for anything caught from an API call. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return '发生未知错误。';
}
