// Calls of the card designer (证件版式): server/routes/layouts.ts. Shapes from core/layout/views.ts.
import type {
  CardFontView,
  LayoutAsset,
  LayoutDetail,
  LayoutIssue,
  LayoutList,
  PaletteField,
  PreviewProblem,
  PreviewRecord,
} from '@core/layout/views.ts';
import type { VersionView } from '@core/events/setup-types.ts';
import type { CardLayout } from '@core/types/generated/index.ts';
import { ApiError, getCsrfToken, requestJson } from './api';

export { ApiError };
export type * from '@core/layout/views.ts';

const ev = (code: string) => `/events/${encodeURIComponent(code)}`;

async function errorOf(response: Response): Promise<ApiError> {
  const data = (await response.json().catch(() => null)) as {
    error?: { code: string; message: string; details?: unknown };
  } | null;
  return new ApiError(
    response.status,
    data?.error?.code ?? `http_${response.status}`,
    data?.error?.message ?? `请求失败（HTTP ${response.status}）`,
    data?.error?.details,
  );
}

/** A JSON POST whose answer is bytes (PNG, PDF). */
async function postForBlob(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`/api${path}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': getCsrfToken() ?? '' },
      body: JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'network_error', '无法连接服务器，请检查网络后重试。');
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

const headerJson = <T>(response: Response, name: string, fallback: T): T => {
  const raw = response.headers.get(name);
  if (!raw) return fallback;
  try {
    return JSON.parse(decodeURIComponent(raw)) as T;
  } catch {
    return fallback;
  }
};

export const layoutsApi = {
  list: (event: string) => requestJson<LayoutList>('GET', `${ev(event)}/layouts`),
  get: (event: string, code: string) =>
    requestJson<LayoutDetail>('GET', `${ev(event)}/layouts/${encodeURIComponent(code)}`),
  save: (event: string, layout: CardLayout, revision: number, cardTypes?: string[]) =>
    requestJson<LayoutDetail>('PUT', `${ev(event)}/layouts/${encodeURIComponent(layout.code)}`, {
      revision,
      layout,
      cardTypes,
    }),
  publish: (event: string, revision: number) =>
    requestJson<{ version: VersionView }>('POST', `${ev(event)}/layouts/publish`, { revision }),
  fields: (event: string, kind: string) =>
    requestJson<{ fields: PaletteField[] }>(
      'GET',
      `${ev(event)}/layout-fields?kind=${encodeURIComponent(kind)}`,
    ),
  fonts: () => requestJson<{ fonts: CardFontView[] }>('GET', '/card-fonts'),
  records: (event: string, kind: string, cardType: string, q = '') =>
    requestJson<{ records: PreviewRecord[] }>(
      'GET',
      `${ev(event)}/layout-records?${new URLSearchParams({ kind, cardType, q }).toString()}`,
    ),
  sampleValues: async (event: string, recordId: number, cardType: string) =>
    (
      await requestJson<{ values: Record<string, string> }>(
        'GET',
        `${ev(event)}/layout-records/${recordId}/values?${new URLSearchParams({ cardType }).toString()}`,
      )
    ).values,
  /** URL of an asset for <img> on the canvas (`assets/x.png`). */
  assetUrl: (event: string, path: string) =>
    `/api${ev(event)}/layout-assets/${encodeURIComponent(path.replace(/^assets\//, ''))}`,
  uploadAsset: async (event: string, file: File, revision: number) => {
    const form = new FormData();
    form.append('revision', String(revision));
    form.append('file', file);
    const response = await fetch(`/api${ev(event)}/layout-assets`, {
      method: 'POST',
      body: form,
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': getCsrfToken() ?? '', Accept: 'application/json' },
    });
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as { asset: LayoutAsset; revision: number };
  },
  preview: async (
    event: string,
    body: { layout: CardLayout; face: 'front' | 'back'; cardType: string; recordId?: number; dpi?: number },
    signal?: AbortSignal,
  ) => {
    const response = await postForBlob(`${ev(event)}/layouts/preview`, body, signal);
    return {
      blob: await response.blob(),
      problems: headerJson<PreviewProblem[]>(response, 'X-Render-Problems', []),
    };
  },
  proof: async (
    event: string,
    body: { layout: CardLayout; cardType: string; recordIds?: number[]; count?: number },
  ) => {
    const response = await postForBlob(`${ev(event)}/layouts/proof`, body);
    return response.blob();
  },
};

/** `details.issues` of a `layout_invalid` error. */
export function layoutIssuesOf(error: unknown): LayoutIssue[] {
  if (!(error instanceof ApiError)) return [];
  const issues = (error.details as { issues?: unknown } | null | undefined)?.issues;
  return Array.isArray(issues) ? (issues as LayoutIssue[]) : [];
}
