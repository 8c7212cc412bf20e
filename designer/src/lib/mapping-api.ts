// Calls of the mapping page (映射方案): server/routes/imports.ts. The response shapes are core's
// own (core/import/views.ts, types only). The profile itself is the generated type of
// schemas/mapping.schema.json.
import type { MappingPreview, ProfileInvalidDetails, ProfileIssue, ProfileView } from '@core/import/views.ts';
import type { MappingProfile } from '@core/types/generated/index.ts';
import { ApiError, getCsrfToken, requestJson } from './api';

export type { MappingProfile };

export type {
  BatchColumn as PreviewColumn,
  ImportIssue as PreviewIssue,
  MappingPreview,
  ProfileInvalidDetails,
  ProfileIssue,
  ProfileView,
} from '@core/import/views.ts';

export interface PreviewInput {
  event: string;
  file: File;
  kind: string;
  unitCode?: string;
  /** The profile being edited; without it the server suggests one. */
  profile?: MappingProfile;
  sheet?: string;
  signal?: AbortSignal;
}

const ev = (code: string) => `/events/${encodeURIComponent(code)}`;

function isProfileIssue(value: unknown): value is ProfileIssue {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.pointer === 'string' && typeof v.message === 'string';
}

/** The issues and warnings of a 422 `profile_invalid` (empty lists for any other error). */
export function profileIssuesOf(error: unknown): ProfileInvalidDetails {
  if (!(error instanceof ApiError) || error.code !== 'profile_invalid') return { issues: [], warnings: [] };
  const d = (typeof error.details === 'object' && error.details !== null ? error.details : {}) as Record<
    string,
    unknown
  >;
  const list = (v: unknown) => (Array.isArray(v) ? v.filter(isProfileIssue) : []);
  return { issues: list(d.issues), warnings: list(d.warnings) };
}

export const mappingApi = {
  list: (event: string, kind: string) =>
    requestJson<{ profiles: ProfileView[] }>(
      'GET',
      `${ev(event)}/mapping-profiles?kind=${encodeURIComponent(kind)}`,
    ),
  save: (event: string, profile: MappingProfile) =>
    requestJson<{ profile: ProfileView; warnings: ProfileIssue[] }>(
      'PUT',
      `${ev(event)}/mapping-profiles/${encodeURIComponent(profile.code)}`,
      profile,
    ),
  remove: (event: string, code: string) =>
    requestJson<void>('DELETE', `${ev(event)}/mapping-profiles/${encodeURIComponent(code)}`),
  /** Reads a sample sheet with the profile (multipart; the file goes last). */
  preview: async (input: PreviewInput): Promise<MappingPreview> => {
    const form = new FormData();
    form.append('kind', input.kind);
    if (input.unitCode) form.append('unitCode', input.unitCode);
    if (input.profile) form.append('profile', JSON.stringify(input.profile));
    if (input.sheet) form.append('sheet', input.sheet);
    form.append('file', input.file, input.file.name);
    const headers: Record<string, string> = { Accept: 'application/json' };
    const token = getCsrfToken();
    if (token) headers['X-CSRF-Token'] = token;
    let response: Response;
    try {
      response = await fetch(`/api${ev(input.event)}/mapping-preview`, {
        method: 'POST',
        headers,
        credentials: 'same-origin',
        body: form,
        signal: input.signal,
      });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'network_error', '无法连接服务器，请检查网络后重试。');
    }
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) {
      const failure = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)
        ?.error;
      if (failure && typeof failure.message === 'string')
        throw new ApiError(
          response.status,
          typeof failure.code === 'string' ? failure.code : `http_${response.status}`,
          failure.message,
          failure.details,
        );
      if (response.status === 413)
        throw new ApiError(413, 'upload_too_large', '样表超过服务器允许的上传大小');
      throw new ApiError(response.status, `http_${response.status}`, `试映射失败（HTTP ${response.status}）`);
    }
    if (body === null) throw new ApiError(response.status, 'bad_response', '服务器返回了无法识别的数据。');
    return body as MappingPreview;
  },
};
