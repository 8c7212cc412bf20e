// Reading and changing the plugin files of an event draft, shared by the event setup tabs
// (designer/src/pages/setup). Pure functions over plain JSON; the tabs call `editJson` to replace
// a whole file in the draft, which then saves itself and reports the plugin host's problems.
import type { PluginIssue } from '@core/plugins/plugin-issue.ts';
import type {
  CardType,
  CardTypesFile,
  FormSchema,
  PluginManifest,
  RecordKindDef,
} from '@core/types/generated/index.ts';
import { ApiError } from './api';
import type { EventDraft } from './event-draft.svelte';

export const MANIFEST_FILE = 'plugin.json';

/** Card type codes: upper-case letter first, then A–Z, 0–9, _; up to 16 characters. */
export const CARD_TYPE_CODE = /^[A-Z][A-Z0-9_]{0,15}$/;

/** A deep copy of JSON content (also of Svelte state proxies, which structuredClone refuses). */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Replaces file `path` of the draft with a changed copy; `change` edits the copy in place. */
export function editJson<T>(draft: EventDraft, path: string, change: (copy: T) => void): void {
  const current = draft.file<T>(path);
  if (current === undefined) return;
  const copy = cloneJson(current);
  change(copy);
  draft.update(path, copy);
}

export function manifestOf(draft: EventDraft): PluginManifest | undefined {
  return draft.file<PluginManifest>(MANIFEST_FILE);
}

/** Path of the card types file named by plugin.json (normally card-types.json). */
export function cardTypesPath(draft: EventDraft): string {
  const m = manifestOf(draft);
  return typeof m?.cardTypes === 'string' ? m.cardTypes : 'card-types.json';
}

export function cardTypesOf(draft: EventDraft): CardType[] {
  const list = draft.file<CardTypesFile>(cardTypesPath(draft))?.cardTypes;
  return Array.isArray(list) ? list : [];
}

export function recordKindsOf(draft: EventDraft): RecordKindDef[] {
  const kinds = manifestOf(draft)?.recordKinds;
  return Array.isArray(kinds) ? kinds : [];
}

export interface LayoutChoice {
  file: string;
  code: string;
  name: string;
  recordKind: string;
}

/** The layouts listed in plugin.json `layouts`, read from their files. */
export function layoutsOf(draft: EventDraft): LayoutChoice[] {
  const files = manifestOf(draft)?.layouts ?? [];
  const out: LayoutChoice[] = [];
  for (const file of files) {
    const layout = draft.file<{ code?: unknown; name?: unknown; recordKind?: unknown }>(file);
    if (!layout || typeof layout.code !== 'string') continue;
    out.push({
      file,
      code: layout.code,
      name: typeof layout.name === 'string' ? layout.name : layout.code,
      recordKind: typeof layout.recordKind === 'string' ? layout.recordKind : '',
    });
  }
  return out;
}

/** Indices of `types` in display order: important card types first, otherwise as declared. */
export function importantFirst(types: readonly CardType[]): number[] {
  return types
    .map((t, i) => ({ important: t.important === true, i }))
    .sort((a, b) => Number(b.important) - Number(a.important) || a.i - b.i)
    .map((x) => x.i);
}

/** `base`, or `base2`, `base3` … whichever is not in `taken`, kept within `maxLength`. */
export function uniqueCode(base: string, taken: Iterable<string>, maxLength = 16): string {
  const used = new Set(taken);
  const stem = base.slice(0, maxLength);
  if (!used.has(stem)) return stem;
  for (let n = 2; ; n++) {
    const suffix = String(n);
    const code = `${stem.slice(0, maxLength - suffix.length)}${suffix}`;
    if (!used.has(code)) return code;
  }
}

/** Why `code` cannot be the code of a card type (null when it can). */
export function cardTypeCodeProblem(code: string, otherCodes: readonly string[]): string | null {
  if (!code) return '请填写证件类型代码';
  if (!CARD_TYPE_CODE.test(code))
    return '代码须以大写字母开头，只含大写字母、数字和 _，最多 16 位，如 VIP、STAFF、PRESS';
  if (otherCodes.includes(code)) return `代码 ${code} 已被另一证件类型使用`;
  return null;
}

/** A card number that `pattern` produces: the first one of unit UNIT01. */
export function numberingExample(
  pattern: string,
  ctx: { event: string; type: string; year: string; start?: number },
): string {
  const seq = String(ctx.start ?? 1);
  return pattern.replace(
    /\{(event|type|year|unit|seq)(?::([1-9]))?\}/g,
    (_, name: string, digits?: string) => {
      switch (name) {
        case 'event':
          return ctx.event;
        case 'type':
          return ctx.type;
        case 'year':
          return ctx.year;
        case 'unit':
          return 'UNIT01';
        default:
          return digits ? seq.padStart(Number(digits), '0') : seq;
      }
    },
  );
}

/** A quota for display: the number, or 不限 for null/undefined. */
export function quotaLabel(value: number | null | undefined): string {
  return typeof value === 'number' ? String(value) : '不限';
}

/** A count typed by a person: '' → null (不限 / not set), digits → number, else undefined (invalid). */
export function parseCount(text: string): number | null | undefined {
  const t = text.trim().replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
  if (t === '') return null;
  if (!/^\d{1,9}$/.test(t)) return undefined;
  return Number(t);
}

/** The setup tab (router.svelte.ts SETUP_TABS id) that edits `file`, or null. */
export function tabOfFile(file: string, manifest: PluginManifest | undefined): string | null {
  if (file === MANIFEST_FILE) return 'basics';
  if (file === (manifest?.cardTypes ?? 'card-types.json')) return 'card-types';
  const kind = manifest?.recordKinds?.find((k) => k.form === file)?.kind;
  if (kind === 'person' || file === 'forms/person.json') return 'form-person';
  if (kind === 'vehicle' || file === 'forms/vehicle.json') return 'form-vehicle';
  return null;
}

/** Errors before warnings, then plugin.json (often the cause of the rest) before other files. */
export function compareIssues(a: PluginIssue, b: PluginIssue): number {
  const rank = (i: PluginIssue) => (i.severity === 'error' ? 0 : 2) + (i.file === MANIFEST_FILE ? 0 : 1);
  return rank(a) - rank(b) || a.file.localeCompare(b.file) || a.pointer.localeCompare(b.pointer);
}

/** Issues that no input shows: their pointer is under none of `shown` (prefixes). */
export function issuesNotUnder(issues: readonly PluginIssue[], shown: readonly string[]): PluginIssue[] {
  return issues.filter(
    (i) => !shown.some((p) => i.pointer === p || (p !== '' && i.pointer.startsWith(`${p}/`))),
  );
}

/** The record kinds' form files of the draft (kind → parsed form). */
function formsOf(draft: EventDraft): { path: string; form: FormSchema }[] {
  return recordKindsOf(draft).flatMap((k) => {
    const form = draft.file<FormSchema>(k.form);
    return form?.properties ? [{ path: k.form, form }] : [];
  });
}

/**
 * Renames a zone everywhere it is named (card types, zone fields of forms), so a new code does not
 * silently take the zone away from card types when the server brings the draft back in line.
 */
export function renameZoneReferences(draft: EventDraft, from: string, to: string): void {
  if (from === to) return;
  const path = cardTypesPath(draft);
  if (cardTypesOf(draft).some((t) => t.zones?.includes(from))) {
    editJson<CardTypesFile>(draft, path, (file) => {
      for (const t of file.cardTypes) {
        if (Array.isArray(t.zones)) t.zones = t.zones.map((z) => (z === from ? to : z));
      }
    });
  }
  for (const { path: formPath, form } of formsOf(draft)) {
    const uses = Object.values(form.properties).some(
      (f) =>
        f?.['x-widget'] === 'zones' &&
        (f.items?.enum?.includes(from) || f.items?.oneOf?.some((o) => o.const === from)),
    );
    if (!uses) continue;
    editJson<FormSchema>(draft, formPath, (copy) => {
      for (const f of Object.values(copy.properties)) {
        if (f?.['x-widget'] !== 'zones' || !f.items) continue;
        if (f.items.enum) f.items.enum = f.items.enum.map((z) => (z === from ? to : z));
        for (const o of f.items.oneOf ?? []) if (o.const === from) o.const = to;
      }
    });
  }
}

/** Renames a card type in the defaults of the forms' card type fields, which would else be dropped. */
export function renameCardTypeReferences(draft: EventDraft, from: string, to: string): void {
  if (from === to) return;
  for (const { path, form } of formsOf(draft)) {
    const uses = Object.values(form.properties).some(
      (f) => f?.['x-widget'] === 'cardType' && f.default === from,
    );
    if (!uses) continue;
    editJson<FormSchema>(draft, path, (copy) => {
      for (const f of Object.values(copy.properties)) {
        if (f?.['x-widget'] === 'cardType' && f.default === from) f.default = to;
      }
    });
  }
}

/** Escapes one token of a JSON pointer (RFC 6901). */
export function pointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Distinct colours offered to new zones and card types. */
const PALETTE = [
  '#c0392b',
  '#1f618d',
  '#d35400',
  '#1e8449',
  '#8e44ad',
  '#b7950b',
  '#16a085',
  '#34495e',
  '#2980b9',
  '#e74c3c',
];

/** The first palette colour not in `used` (case-insensitive). */
export function nextColor(used: Iterable<string | null | undefined>): string {
  const taken = new Set([...used].map((c) => (c ?? '').toLowerCase()));
  return PALETTE.find((c) => !taken.has(c)) ?? PALETTE[taken.size % PALETTE.length]!;
}

/** The per-field messages of a refused request (`error.details.fields`), or {}. */
export function fieldErrorsOf(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  const details = error.details;
  if (!details || typeof details !== 'object' || !('fields' in details)) return {};
  const fields = (details as { fields: unknown }).fields;
  if (!fields || typeof fields !== 'object') return {};
  return Object.fromEntries(
    Object.entries(fields as Record<string, unknown>).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    ),
  );
}

/** The plugin problems of a refused import or publish (`error.details.issues`), or []. */
export function issuesOf(error: unknown): PluginIssue[] {
  if (!(error instanceof ApiError)) return [];
  const details = error.details;
  if (!details || typeof details !== 'object') return [];
  const { issues, warnings } = details as { issues?: unknown; warnings?: unknown };
  const list = [...(Array.isArray(issues) ? issues : []), ...(Array.isArray(warnings) ? warnings : [])];
  return list.filter(
    (i): i is PluginIssue => !!i && typeof i === 'object' && 'file' in i && 'message' in i && 'pointer' in i,
  );
}
