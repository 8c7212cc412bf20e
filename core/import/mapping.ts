import type { FormFieldLike, FormSchemaLike } from '../forms/form-like.ts';
import type {
  MappingColumn,
  MappingProfile,
  MappingTransform,
  TransformMap,
} from '../types/generated/index.ts';
import { parseOfficeDate } from '../validation/dates.ts';
import { fieldRule } from '../validation/fields.ts';
import { isoDate, stripBlanks, toHalfWidth, trimBlanks } from '../validation/format-result.ts';
import { HEADER_SYNONYMS, OPTION_SPELLINGS, normalizeHeader } from './synonyms.ts';
import type { SheetRow, SheetTable } from './types.ts';

/**
 * Column mapping of the import (browser-safe: the mapping page runs it too): which sheet column
 * feeds which form field, and how a row's cells become field values.
 *
 *   headerScore   — how much a cell looks like a header of this form (for the header detector)
 *   suggestProfile — a mapping profile for a sheet's headers, from a matching plugin or saved
 *                    profile, the form's labels and `x-excelHeaders`, and the built-in dictionary
 *   matchColumns  — where a profile's columns are in a sheet
 *   applyProfile  — one row through the profile: transforms, fixed values, and what Excel's cell
 *                    types tell (a date cell, an ID number that lost digits as a number)
 * The values it yields are raw: the shared record rules (core/forms) normalise and check them.
 */

export { normalizeHeader } from './synonyms.ts';

// ---------------------------------------------------------------------------------------------
// Shapes

/** A form field as mapping reads it (the generated FormSchema and the designer's mirror both fit). */
export interface MappingFieldLike extends FormFieldLike {
  'x-excelHeaders'?: readonly string[];
  readOnly?: boolean;
  examples?: readonly unknown[];
}

export interface MappingFormLike extends FormSchemaLike {
  properties: Readonly<Record<string, MappingFieldLike | undefined>>;
}

/** What the event says about card types and zones (names for codes), for value maps. */
export interface EventChoices {
  cardTypes?: readonly { code: string; name: string; shortName?: string; recordKind?: string }[];
  zones?: readonly { code: string; name: string }[];
}

/** How a column was recognised, strongest first. */
export type MatchSource = 'template' | 'profile' | 'label' | 'excelHeaders' | 'synonym' | 'contains';

export interface ColumnSuggestion {
  /** 0-based column index. */
  col: number;
  header: string;
  field: string | null;
  /** 1 for an exact (normalised) header match, less for containment, 0 for none. */
  confidence: number;
  source?: MatchSource;
}

export interface ProfileSuggestion {
  /** Code `auto`, name `自动识别`. */
  profile: MappingProfile;
  /** One entry per sheet column, in sheet order. */
  columns: ColumnSuggestion[];
  /** Required fields (photos aside: they come with the zip) that neither a column nor a fixed value feeds. */
  unmatchedRequired: string[];
  /** The plugin/saved/template profile the suggestion started from, or null. */
  basedOn: string | null;
}

export interface SuggestOptions extends EventChoices {
  /** Plugin and saved profiles of this record kind (others are ignored). */
  profiles?: readonly MappingProfile[];
  /** The `_tessera` sheet of a generated template, when the upload has one (see readTemplateMeta). */
  template?: TemplateMeta | null;
}

export interface MatchedColumns {
  /** `index`: the column's position in `profile.columns`. */
  columns: { field: string; col: number; index: number }[];
  missing: { field: string; headers: string[]; required: boolean }[];
}

export type MappedValue = string | string[] | number | boolean;

export interface MappingIssue {
  field: string;
  code: string;
  message: string;
}

export interface AppliedRow {
  values: Record<string, MappedValue>;
  issues: MappingIssue[];
}

// ---------------------------------------------------------------------------------------------
// Choices and value maps

/** One option of a choice field: the stored value, its display text, other accepted spellings. */
export interface Choice {
  value: string;
  title: string;
  also: string[];
}

type Option = { value: string; title?: string };

function optionList(field: FormFieldLike | undefined): Option[] | null {
  if (!field) return null;
  if (field.oneOf?.length)
    return field.oneOf.map((o) => ({ value: String(o.const), ...(o.title ? { title: o.title } : {}) }));
  if (field.enum?.length) return field.enum.map((v) => ({ value: String(v) }));
  return null;
}

/**
 * The options of a choice field with their display texts: `oneOf` titles, card type names for
 * `x-widget: cardType`, zone names for zones, 是/否 for booleans; null for a free field. An
 * `enum` without titles is its own display text.
 */
export function fieldChoices(field: FormFieldLike, kind: string, event: EventChoices = {}): Choice[] | null {
  const widget = field['x-widget'];
  if (widget === 'cardType') {
    const types = (event.cardTypes ?? []).filter((t) => !t.recordKind || t.recordKind === kind);
    const own: Option[] = optionList(field) ?? types.map((t) => ({ value: t.code }));
    if (own.length === 0) return null;
    return own.map((o) => {
      const t = types.find((x) => x.code === o.value);
      const title = t?.name ?? o.title ?? o.value;
      return { value: o.value, title, also: [t?.shortName, o.value].filter((s): s is string => !!s) };
    });
  }
  if (widget === 'zones' || field.type === 'array') {
    const own: Option[] =
      optionList(field.items) ??
      (widget === 'zones' ? (event.zones ?? []).map((z) => ({ value: z.code })) : []);
    if (own.length === 0) return null;
    return own.map((o) => {
      const z = event.zones?.find((x) => x.code === o.value);
      return { value: o.value, title: z?.name ?? o.title ?? o.value, also: [o.value] };
    });
  }
  if (field.type === 'boolean') {
    return [
      { value: 'true', title: '是', also: [] },
      { value: 'false', title: '否', also: [] },
    ];
  }
  const own = optionList(field);
  if (!own) return null;
  return own.map((o) => ({ value: o.value, title: o.title ?? o.value, also: o.title ? [o.value] : [] }));
}

/** Loose key for value-map lookups: width, blanks and case do not make another spelling. */
function looseKey(text: string): string {
  return stripBlanks(toHalfWidth(text)).toLowerCase();
}

/**
 * A `map` transform from display texts (and the usual other spellings) to stored values.
 * Display texts come first, so the first spelling of each value is what error messages offer.
 * A spelling that would mean two values is left out.
 */
export function choiceMap(choices: readonly Choice[]): TransformMap {
  const values: Record<string, string> = {};
  const owner = new Map<string, string>();
  const add = (spelling: string, value: string) => {
    const k = looseKey(spelling);
    if (k === '' || owner.has(k)) return;
    owner.set(k, value);
    values[spelling] = value;
  };
  for (const c of choices) add(c.title, c.value);
  for (const c of choices) for (const s of c.also) add(s, c.value);
  for (const c of choices) for (const s of OPTION_SPELLINGS[c.title] ?? []) add(s, c.value);
  return { op: 'map', values, otherwise: 'reject' };
}

/** The first spelling of each stored value: what a rejected value's message offers. */
function mapOffers(t: TransformMap): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  // JavaScript lists integer-like keys ("1" → M) first whatever the JSON said; words go first.
  const entries = Object.entries(t.values);
  const integerLike = (k: string) => /^(0|[1-9]\d*)$/.test(k);
  for (const [k, v] of [
    ...entries.filter(([k]) => !integerLike(k)),
    ...entries.filter(([k]) => integerLike(k)),
  ]) {
    if (v === undefined || seen.has(v)) continue;
    seen.add(v);
    out.push(k);
  }
  return out;
}

const lookups = new WeakMap<TransformMap, Map<string, string>>();

function mapLookup(t: TransformMap, text: string): string | undefined {
  const exact = t.values[text];
  if (exact !== undefined && Object.hasOwn(t.values, text)) return exact;
  let loose = lookups.get(t);
  if (!loose) {
    loose = new Map();
    for (const [k, v] of Object.entries(t.values)) {
      if (v !== undefined && !loose.has(looseKey(k))) loose.set(looseKey(k), v);
    }
    lookups.set(t, loose);
  }
  return loose.get(looseKey(text));
}

// ---------------------------------------------------------------------------------------------
// Header candidates and scores

const SOURCE_RANK: Record<MatchSource, number> = {
  template: 0,
  profile: 1,
  label: 2,
  excelHeaders: 3,
  synonym: 4,
  contains: 5,
};

interface Candidate {
  field: string;
  norm: string;
  source: 'label' | 'excelHeaders' | 'profile' | 'synonym';
}

/** Every header a field is known by, strongest source first. */
function candidatesOf(form: MappingFormLike, profiles: readonly MappingProfile[]): Candidate[] {
  const out: Candidate[] = [];
  const push = (field: string, header: string, source: Candidate['source']) => {
    const norm = normalizeHeader(header);
    if (norm !== '') out.push({ field, norm, source });
  };
  for (const [key, field] of Object.entries(form.properties)) {
    if (!field) continue;
    if (field['x-label']) push(key, field['x-label'], 'label');
    field['x-excelHeaders']?.forEach((h) => push(key, h, 'excelHeaders'));
    for (const p of profiles)
      for (const c of p.columns) if (c.field === key) c.headers.forEach((h) => push(key, h, 'profile'));
    HEADER_SYNONYMS[key]?.forEach((h) => push(key, h, 'synonym'));
  }
  return out;
}

/** Shortest known header that counts for containment, and the least share of the cell it must be. */
const MIN_CONTAINED = 2;
const MIN_SHARE = 0.3;

/**
 * Score of a header that merely contains a known one (“身份证号码（18位）”): between 0.55 and
 * 0.9, higher the more of the cell the known header is; 0 when it is too small a part of it
 * (a sentence of notes mentioning 身份证号码 is not a header).
 */
function containScore(header: string, known: string): number {
  if (known.length < MIN_CONTAINED || known.length >= header.length || !header.includes(known)) return 0;
  const share = known.length / header.length;
  return share < MIN_SHARE ? 0 : 0.4 + 0.5 * share;
}

/**
 * The header detector's scoring function for this form: 1 for a cell that is (once normalised)
 * a field label, an `x-excelHeaders` spelling, a header of one of the profiles or a built-in
 * synonym; less for a cell that contains one; 0 otherwise.
 */
export function headerScore(
  form: MappingFormLike,
  profiles: readonly MappingProfile[] = [],
): (text: string) => number {
  const candidates = candidatesOf(form, profiles);
  const exact = new Set(candidates.map((c) => c.norm));
  const known = [...exact];
  // The detector may score every cell of a large sheet: text too long to be a header that
  // contains a known one is answered without looking.
  const longest = known.reduce((n, k) => Math.max(n, k.length), 0) / MIN_SHARE;
  return (text: string) => {
    const norm = normalizeHeader(text);
    if (norm === '') return 0;
    if (exact.has(norm)) return 1;
    if (norm.length > longest) return 0;
    let best = 0;
    for (const k of known) best = Math.max(best, containScore(norm, k));
    return best;
  };
}

// ---------------------------------------------------------------------------------------------
// Assignment

/**
 * Maximum-weight assignment of rows (fields) to columns (Hungarian method, O(n²m)); weight 0 is
 * "no edge". Greedy picking goes wrong on real sheets: “证件类型” grabbed by the card type leaves
 * nothing for the ID type while “申请证件类型” stands next to it.
 */
function assignMax(weights: number[][], cols: number): number[] {
  const n = weights.length;
  const m = cols + n; // one dummy column per row: a row may stay unassigned
  const cost = (i: number, j: number) => (j <= cols ? -(weights[i - 1]![j - 1] ?? 0) : 0);
  const u = new Array<number>(n + 1).fill(0);
  const v = new Array<number>(m + 1).fill(0);
  const p = new Array<number>(m + 1).fill(0);
  const way = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array<number>(m + 1).fill(Infinity);
    const used = new Array<boolean>(m + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = cost(i0, j) - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!]! += delta;
          v[j]! -= delta;
        } else minv[j]! -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const rowToCol = new Array<number>(n).fill(-1);
  for (let j = 1; j <= cols; j++) {
    const i = p[j]!;
    if (i > 0 && (weights[i - 1]![j - 1] ?? 0) > 0) rowToCol[i - 1] = j - 1;
  }
  return rowToCol;
}

interface Pick {
  col: number;
  field: string;
  confidence: number;
  source: MatchSource;
}

/**
 * Assigns free columns to free fields, each at most once: `best(col, field)` says how well they
 * fit (null: not at all). Ties go to the stronger source, then to the leftmost column.
 */
function assignBest(
  cols: number[],
  fields: string[],
  best: (col: number, field: string) => { score: number; source: MatchSource } | null,
): Pick[] {
  if (cols.length === 0 || fields.length === 0) return [];
  const found = fields.map((f) => cols.map((c) => best(c, f)));
  // Score dominates; source rank and column position only break ties.
  const weights = found.map((row) =>
    row.map((b, j) => (b ? b.score * 1000 - SOURCE_RANK[b.source] - j * 0.001 : 0)),
  );
  const rowToCol = assignMax(weights, cols.length);
  const picks: Pick[] = [];
  rowToCol.forEach((j, i) => {
    const b = j >= 0 ? found[i]![j] : null;
    if (b) picks.push({ col: cols[j]!, field: fields[i]!, confidence: b.score, source: b.source });
  });
  return picks;
}

// ---------------------------------------------------------------------------------------------
// Default transforms

const ID_FIELD_KEYS = new Set(['idNumber', 'driverIdNumber']);

function isIdField(key: string, field: FormFieldLike | undefined): boolean {
  return ID_FIELD_KEYS.has(key) || (!!field && fieldRule(field) === 'id-number');
}

/**
 * Transforms a column gets when no profile says otherwise: trim always; a value map for choices
 * (option titles and the usual spellings → stored values); date parsing for dates; half-width and
 * upper case for ID numbers and plates, half-width for mobiles and numbers. The shared rules
 * normalise again: these make the staged grid show what will be stored.
 */
export function defaultTransforms(
  key: string,
  field: FormFieldLike,
  kind: string,
  event: EventChoices = {},
): MappingTransform[] {
  const rule = isIdField(key, field) ? 'id-number' : fieldRule(field);
  if (rule === 'id-number' || rule === 'plate') return [{ op: 'halfWidth' }, { op: 'trim' }, { op: 'upper' }];
  if (rule === 'mobile') return [{ op: 'halfWidth' }, { op: 'trim' }];
  if (rule === 'date') return [{ op: 'trim' }, { op: 'date' }];
  if (field.type === 'number' || field.type === 'integer') {
    if (!field.enum && !field.oneOf) return [{ op: 'halfWidth' }, { op: 'trim' }];
  }
  const choices = fieldChoices(field, kind, event);
  // An enum without titles is written as stored: membership is the shared rules' check.
  const titled = choices?.some((c) => c.title !== c.value || c.also.length > 0);
  if (choices && titled) return [{ op: 'trim' }, choiceMap(choices)];
  return [{ op: 'trim' }];
}

/** The one value a required choice field can take (e.g. the only vehicle card type), or undefined. */
export function onlyChoice(field: FormFieldLike, kind: string, event: EventChoices = {}): string | undefined {
  if (field.type === 'array' || field['x-widget'] === 'zones') return undefined;
  const choices = fieldChoices(field, kind, event);
  return choices?.length === 1 ? choices[0]!.value : undefined;
}

// ---------------------------------------------------------------------------------------------
// Suggestion

function profileFit(profile: MappingProfile, headers: readonly string[]): { fit: number; present: number } {
  const m = matchColumns(profile, headers);
  const present = m.columns.length;
  const required = profile.columns.filter((c) => c.required);
  const requiredPresent = required.filter((c) => m.columns.some((x) => x.field === c.field)).length;
  const fit = required.length > 0 ? requiredPresent / required.length : present / profile.columns.length;
  return { fit, present };
}

/** Plugin/saved profiles fit when more than half of their required columns are in the sheet. */
const PROFILE_FIT = 0.5;

function chooseBase(
  kind: string,
  headers: readonly string[],
  opts: SuggestOptions,
): { profile: MappingProfile; source: 'template' | 'profile' } | null {
  const candidates: { profile: MappingProfile; source: 'template' | 'profile' }[] = [];
  if (opts.template && opts.template.kind === kind && opts.template.profile.recordKind === kind)
    candidates.push({ profile: opts.template.profile, source: 'template' });
  for (const p of opts.profiles ?? [])
    if (p.recordKind === kind) candidates.push({ profile: p, source: 'profile' });
  let best: { profile: MappingProfile; source: 'template' | 'profile' } | null = null;
  let bestFit = { fit: 0, present: 0 };
  for (const c of candidates) {
    const f = profileFit(c.profile, headers);
    if (f.present < 2 || f.fit <= PROFILE_FIT) continue;
    if (!best || f.fit > bestFit.fit || (f.fit === bestFit.fit && f.present > bestFit.present)) {
      best = c;
      bestFit = f;
    }
  }
  return best;
}

/**
 * A mapping profile for a sheet's headers. Starts from the best-fitting template, plugin or saved
 * profile (its columns, transforms and fixed values kept), then gives the remaining columns to
 * the remaining fields: exact matches first (label, `x-excelHeaders`, other profiles' headers,
 * the built-in dictionary), then headers that contain a known one. Each field gets at most one
 * column and each column at most one field. A profile's fixed value stands against a column,
 * except a column headed with the field's own label (the sheet was made from the form).
 * Required fields that no column feeds get a fixed value when there is only one possible (the
 * only card type of a kind) or the form has a default (ID type 居民身份证); the mapping page
 * shows these like any other fixed value.
 */
export function suggestProfile(
  form: MappingFormLike,
  kind: string,
  headers: readonly string[],
  opts: SuggestOptions = {},
): ProfileSuggestion {
  const profiles = (opts.profiles ?? []).filter((p) => p.recordKind === kind);
  const norms = headers.map((h) => normalizeHeader(h ?? ''));
  const fieldKeys = Object.keys(form.properties).filter((k) => {
    const f = form.properties[k];
    return !!f && !f.readOnly;
  });
  const base = chooseBase(kind, headers, opts);
  const picks = new Map<number, Pick>();
  const taken = new Set<string>();
  const fixed: NonNullable<MappingProfile['fixed']> = { ...(base?.profile.fixed ?? {}) };

  if (base) {
    for (const m of matchColumns(base.profile, headers).columns) {
      picks.set(m.col, { col: m.col, field: m.field, confidence: 1, source: base.source });
      taken.add(m.field);
    }
  }

  // Exact matches. A fixed field is open to its own label only.
  const candidates = candidatesOf(form, profiles);
  const exactOf = (col: number, field: string): { score: number; source: MatchSource } | null => {
    let best: Candidate | null = null;
    for (const c of candidates) {
      if (c.field !== field || c.norm !== norms[col]) continue;
      if (Object.hasOwn(fixed, field) && c.source !== 'label') continue;
      if (!best || SOURCE_RANK[c.source] < SOURCE_RANK[best.source]) best = c;
    }
    return best ? { score: 1, source: best.source } : null;
  };
  const freeCols = () => norms.flatMap((n, col) => (n !== '' && !picks.has(col) ? [col] : []));
  const freeFields = () => fieldKeys.filter((k) => !taken.has(k));
  for (const p of assignBest(freeCols(), freeFields(), exactOf)) {
    picks.set(p.col, p);
    taken.add(p.field);
    delete fixed[p.field];
  }

  // Containment, for fields without a fixed value.
  const containOf = (col: number, field: string): { score: number; source: MatchSource } | null => {
    if (Object.hasOwn(fixed, field)) return null;
    let score = 0;
    for (const c of candidates)
      if (c.field === field) score = Math.max(score, containScore(norms[col]!, c.norm));
    return score > 0 ? { score: Math.round(score * 100) / 100, source: 'contains' } : null;
  };
  for (const p of assignBest(freeCols(), freeFields(), containOf)) {
    picks.set(p.col, p);
    taken.add(p.field);
  }

  // The profile's columns: the base's as they are (unmatched ones too, so a missing required
  // column is reported), new ones with another profile's transforms for the field, else defaults.
  const columns: MappingColumn[] = [];
  const baseColumns = base?.profile.columns ?? [];
  const byField = new Map(baseColumns.map((c) => [c.field, c]));
  const required = new Set(form.required ?? []);
  for (const p of [...picks.values()].sort((a, b) => a.col - b.col)) {
    const header = headers[p.col] ?? '';
    const from = byField.get(p.field);
    if (from) {
      const known = from.headers.some((h) => normalizeHeader(h) === norms[p.col]);
      columns.push({ ...from, headers: known ? [...from.headers] : [header, ...from.headers] });
      continue;
    }
    const field = form.properties[p.field]!;
    const other = profiles.flatMap((pr) => pr.columns).find((c) => c.field === p.field);
    const column: MappingColumn = {
      headers: [header],
      field: p.field,
      transforms: other?.transforms
        ? structuredClone(other.transforms)
        : defaultTransforms(p.field, field, kind, opts),
    };
    if (required.has(p.field) && field['x-widget'] !== 'photo') column.required = true;
    columns.push(column);
  }
  const fed = new Set(columns.map((c) => c.field));
  for (const c of baseColumns) if (!fed.has(c.field) && !Object.hasOwn(fixed, c.field)) columns.push(c);

  // Required fields nothing feeds: the only possible value, or the form's default.
  const unmatchedRequired: string[] = [];
  for (const key of fieldKeys) {
    const field = form.properties[key]!;
    if (!required.has(key) || field['x-widget'] === 'photo') continue;
    if ([...picks.values()].some((p) => p.field === key) || Object.hasOwn(fixed, key)) continue;
    const only = onlyChoice(field, kind, opts);
    const fallback = only ?? defaultValue(field);
    if (fallback !== undefined) fixed[key] = fallback;
    else unmatchedRequired.push(key);
  }

  const profile: MappingProfile = {
    code: 'auto',
    name: '自动识别',
    recordKind: kind,
    ...(base?.profile.sheet ? { sheet: { ...base.profile.sheet } } : {}),
    columns,
    ...(Object.keys(fixed).length > 0 ? { fixed } : {}),
  };
  return {
    profile,
    columns: headers.map((header, col) => {
      const p = picks.get(col);
      return p
        ? { col, header, field: p.field, confidence: p.confidence, source: p.source }
        : { col, header, field: null, confidence: 0 };
    }),
    unmatchedRequired,
    basedOn: base ? base.profile.code : null,
  };
}

function defaultValue(field: FormFieldLike): string | number | boolean | string[] | undefined {
  const d = field.default;
  if (typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean') return d;
  if (Array.isArray(d) && d.every((x) => typeof x === 'string')) return d as string[];
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Matching and applying

/**
 * Where a profile's columns are: for each column, the first of its headers found in the sheet
 * (normalised comparison), leftmost column when a header repeats; a sheet column serves one
 * profile column only.
 */
export function matchColumns(profile: MappingProfile, headers: readonly string[]): MatchedColumns {
  const norms = headers.map((h) => normalizeHeader(h ?? ''));
  const used = new Set<number>();
  const columns: MatchedColumns['columns'] = [];
  const missing: MatchedColumns['missing'] = [];
  profile.columns.forEach((c, index) => {
    let found = -1;
    for (const h of c.headers) {
      const n = normalizeHeader(h);
      if (n === '') continue;
      found = norms.findIndex((x, i) => x === n && !used.has(i));
      if (found >= 0) break;
    }
    if (found >= 0) {
      used.add(found);
      columns.push({ field: c.field, col: found, index });
    } else missing.push({ field: c.field, headers: [...c.headers], required: c.required === true });
  });
  return { columns, missing };
}

/** Separators of several values in one cell (zones “A、B”). */
const LIST_SEPARATORS = /[,，、;；/\s]+/;

type Step = { ok: true; value: string | string[] } | { ok: false; issue: string };

function applyMap(t: TransformMap, value: string): Step {
  const whole = mapLookup(t, value);
  if (whole !== undefined) return { ok: true, value: whole };
  const keep = t.otherwise === 'keep';
  // Several values in one cell (multi-choice fields): each is looked up on its own.
  const items = value.split(LIST_SEPARATORS).filter(Boolean);
  if (items.length > 1) {
    const mapped = items.map((i) => mapLookup(t, i));
    if (mapped.every((m) => m !== undefined)) return { ok: true, value: mapped as string[] };
    if (keep && mapped.some((m) => m !== undefined))
      return { ok: true, value: items.map((i, k) => mapped[k] ?? i) };
    if (!keep) {
      const bad = items.filter((_, k) => mapped[k] === undefined);
      return { ok: false, issue: rejectMessage(t, bad.join('、')) };
    }
  }
  return keep ? { ok: true, value } : { ok: false, issue: rejectMessage(t, value) };
}

function rejectMessage(t: TransformMap, value: string): string {
  const offers = mapOffers(t);
  const shown = offers.length > 20 ? `${offers.slice(0, 20).join('、')} 等` : offers.join('、');
  return `值“${value}”不在对照表中，可选：${shown}`;
}

/** Dates in a profile's own patterns (`YYYY.MM.DD`, `DD/MM/YYYY` …): YYYY, MM, M, DD, D; the rest literal. */
function dateByFormats(value: string, formats: readonly string[]): string | null {
  for (const f of formats) {
    const order: ('y' | 'm' | 'd')[] = [];
    const source = f.replace(/YYYY|MM|M|DD|D|[.*+?^${}()|[\]\\]/g, (tok) => {
      if (tok === 'YYYY') return (order.push('y'), '(\\d{4})');
      if (tok === 'MM' || tok === 'M') return (order.push('m'), '(\\d{1,2})');
      if (tok === 'DD' || tok === 'D') return (order.push('d'), '(\\d{1,2})');
      return `\\${tok}`;
    });
    const m = new RegExp(`^${source}$`).exec(value.trim());
    if (!m) continue;
    const part = (k: 'y' | 'm' | 'd') => Number(m[order.indexOf(k) + 1]);
    const iso = isoDate(part('y'), part('m'), part('d'));
    if (iso) return iso;
  }
  return null;
}

function transformOne(t: MappingTransform, value: string): Step {
  switch (t.op) {
    case 'trim':
      return { ok: true, value: trimBlanks(value) };
    case 'upper':
      return { ok: true, value: value.toUpperCase() };
    case 'lower':
      return { ok: true, value: value.toLowerCase() };
    case 'halfWidth':
      return { ok: true, value: toHalfWidth(value) };
    case 'split': {
      const parts = value.split(t.separator);
      const i = t.index < 0 ? parts.length + t.index : t.index;
      return { ok: true, value: parts[i] ?? '' };
    }
    case 'map':
      return applyMap(t, value);
    case 'date': {
      // A value that is no date stays as it is: the shared date rule says why.
      const iso = parseOfficeDate(value).iso ?? (t.formats ? dateByFormats(value, t.formats) : null);
      return { ok: true, value: iso ?? value };
    }
  }
}

function transform(t: MappingTransform, value: string | string[]): Step {
  if (typeof value === 'string') return transformOne(t, value);
  const out: string[] = [];
  for (const item of value) {
    const r = transformOne(t, item);
    if (!r.ok) return r;
    if (typeof r.value === 'string') out.push(r.value);
    else out.push(...r.value);
  }
  return { ok: true, value: out };
}

/** A number Excel showed with 16+ digits or in scientific notation: digits beyond the 15th are gone. */
function lostDigits(text: string): boolean {
  const t = text.trim();
  if (/^[+-]?\d+(\.\d+)?e[+-]?\d+$/i.test(t)) return true;
  return (t.split('.')[0] ?? '').replace(/\D/g, '').length >= 16;
}

const isEmpty = (v: string | string[]) => (typeof v === 'string' ? v === '' : v.length === 0);

/**
 * One sheet row through a profile: each matched column's cell through its transforms in order,
 * then the fixed values for fields no column filled. What Excel knew about the cell is used: a
 * date cell gives its ISO date to a date field (a column with a `date` transform, or a date field
 * of `form` when given); a number in an ID number column that Excel has shortened is an issue,
 * and the value stays as shown (so the grid shows it, and the row is invalid). A value a map
 * rejects is an issue too, with the raw text kept.
 */
export function applyProfile(
  profile: MappingProfile,
  matched: MatchedColumns,
  row: SheetRow,
  opts: { form?: MappingFormLike } = {},
): AppliedRow {
  const values: Record<string, MappedValue> = {};
  const issues: MappingIssue[] = [];
  for (const m of matched.columns) {
    const column = profile.columns[m.index] ?? profile.columns.find((c) => c.field === m.field);
    const cell = row.cells[m.col];
    if (!column || !cell || cell.text === '') continue;
    const field = opts.form?.properties[m.field];
    const transforms = column.transforms ?? [];
    if (cell.numeric && isIdField(m.field, field) && lostDigits(cell.text)) {
      issues.push({
        field: m.field,
        code: 'id-number-as-number',
        message: `证件号码在 Excel 中被存成了数字，后几位已丢失（显示为 ${cell.text}）。请把该列设为“文本”格式后重新填写`,
      });
      values[m.field] = cell.text;
      continue;
    }
    const isDate = transforms.some((t) => t.op === 'date') || (!!field && fieldRule(field) === 'date');
    let value: string | string[] = isDate && cell.date ? cell.date : cell.text;
    let rejected = false;
    for (const t of transforms) {
      const r = transform(t, value);
      if (!r.ok) {
        issues.push({ field: m.field, code: 'not-in-map', message: r.issue });
        rejected = true;
        break;
      }
      value = r.value;
    }
    // A multi-value field gets a list even from one value (“P”), as the record form sends it.
    if (
      !rejected &&
      typeof value === 'string' &&
      (field?.type === 'array' || field?.['x-widget'] === 'zones')
    )
      value = value.split(LIST_SEPARATORS).filter(Boolean);
    if (rejected) values[m.field] = cell.text;
    else if (!isEmpty(value)) values[m.field] = value;
  }
  for (const [key, v] of Object.entries(profile.fixed ?? {})) {
    if (v === undefined || values[key] !== undefined) continue;
    values[key] = Array.isArray(v) ? [...v] : v;
  }
  return { values, issues };
}

// ---------------------------------------------------------------------------------------------
// Generated templates: the `_tessera` sheet

/** Name of the very hidden sheet of a generated collection template. */
export const TEMPLATE_META_SHEET = '_tessera';
const TEMPLATE_FORMAT = 'tessera-collection-template';

/** What a generated template says about itself, so an upload of it maps without any guessing. */
export interface TemplateMeta {
  event: string;
  kind: string;
  plugin: string;
  pluginVersion: string;
  /** The sheet's own row number of the header row. */
  headerRow: number;
  /** The template's columns: 0-based index, field key, header text as written. */
  columns: { col: number; field: string; header: string }[];
  /** The mapping of the template (columns by their headers, value maps, fixed values). */
  profile: MappingProfile;
}

/** The `_tessera` sheet's rows: key in column A, value in column B. */
export function templateMetaRows(meta: TemplateMeta): [string, string][] {
  return [
    ['format', TEMPLATE_FORMAT],
    ['version', '1'],
    ['event', meta.event],
    ['kind', meta.kind],
    ['plugin', meta.plugin],
    ['pluginVersion', meta.pluginVersion],
    ['headerRow', String(meta.headerRow)],
    ['columns', JSON.stringify(meta.columns)],
    ['profile', JSON.stringify(meta.profile)],
  ];
}

/**
 * The template description of an uploaded workbook (its `_tessera` sheet as read), or null when
 * it has none or it is damaged. Pass it as `template` to suggestProfile.
 */
export function readTemplateMeta(sheets: SheetTable | readonly SheetTable[]): TemplateMeta | null {
  const list: readonly SheetTable[] = Array.isArray(sheets) ? sheets : [sheets as SheetTable];
  const sheet = list.find((s) => s.name === TEMPLATE_META_SHEET);
  if (!sheet) return null;
  const kv = new Map<string, string>();
  for (const r of sheet.rows) {
    const k = r.cells[0]?.text;
    if (k) kv.set(k, r.cells[1]?.text ?? '');
  }
  if (kv.get('format') !== TEMPLATE_FORMAT || kv.get('version') !== '1') return null;
  try {
    const columns = JSON.parse(kv.get('columns') ?? '') as TemplateMeta['columns'];
    const profile = JSON.parse(kv.get('profile') ?? '') as MappingProfile;
    const headerRow = Number(kv.get('headerRow'));
    if (!Array.isArray(columns) || !Array.isArray(profile?.columns) || !Number.isInteger(headerRow))
      return null;
    return {
      event: kv.get('event') ?? '',
      kind: kv.get('kind') ?? '',
      plugin: kv.get('plugin') ?? '',
      pluginVersion: kv.get('pluginVersion') ?? '',
      headerRow,
      columns,
      profile,
    };
  } catch {
    return null;
  }
}
