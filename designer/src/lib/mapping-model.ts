// The mapping page's model (映射方案): editing a mapping profile (schemas/mapping.schema.json) as
// plain data — columns, transforms, fixed values — and placing the server's issues (JSON pointers
// into the profile) next to what they point at. Matching headers and default transforms are
// core's browser-safe mapping code, so the page and the import agree.
import {
  choiceMap,
  defaultTransforms,
  fieldChoices,
  normalizeHeader,
  type Choice,
  type EventChoices,
} from '@core/import/mapping.ts';
import type { FormFieldLike } from '@core/forms/form-like.ts';
import type { MappingColumn, MappingProfile, MappingTransform } from '@core/types/generated/index.ts';

export { normalizeHeader };
export type { Choice, MappingColumn, MappingTransform };

export type TransformOp = MappingTransform['op'];
export type FixedValue = string | number | boolean | string[];

export const TRANSFORM_OPS: readonly { op: TransformOp; label: string; hint: string }[] = [
  { op: 'trim', label: '去首尾空白', hint: '去掉单元格首尾的空格、换行' },
  { op: 'halfWidth', label: '全角转半角', hint: '１２３ＡＢ → 123AB' },
  { op: 'upper', label: '转大写', hint: 'x → X' },
  { op: 'lower', label: '转小写', hint: 'X → x' },
  { op: 'split', label: '拆分取段', hint: '如“北京/朝阳区”按 / 拆分取第 1 段' },
  { op: 'map', label: '值对照', hint: '把表格中的写法换成存储值，如 男士 → M' },
  { op: 'date', label: '转为日期', hint: '识别 Excel 日期、2026/10/15、2026年10月15日 等写法' },
];

export function opLabel(op: string): string {
  return TRANSFORM_OPS.find((o) => o.op === op)?.label ?? op;
}

/** Mapping codes: schemas/defs.schema.json `mappingCode`. */
export const CODE_PATTERN = /^[a-z][a-z0-9-]{0,63}$/;

/** Why a code cannot be used, or null. `taken`: codes of the other profiles of the event. */
export function codeProblem(code: string, taken: readonly { code: string; source: string }[]): string | null {
  if (code === '') return '请填写方案代码';
  if (!CODE_PATTERN.test(code)) return '代码以小写字母开头，只用小写字母、数字和连字符（-），最长 64 位';
  const other = taken.find((t) => t.code === code);
  if (other)
    return other.source === 'plugin' ? '与插件自带方案的代码重复，请换一个' : '已有同代码的方案，请换一个';
  return null;
}

/** `base`, or `base-2`, `base-3` … the first not taken. */
export function uniqueCode(base: string, taken: readonly string[]): string {
  const stem = base.slice(0, 60).replace(/-+$/, '') || 'mapping';
  if (!taken.includes(stem)) return stem;
  for (let n = 2; ; n++) {
    const code = `${stem}-${n}`;
    if (!taken.includes(code)) return code;
  }
}

export function cloneProfile(p: MappingProfile): MappingProfile {
  return JSON.parse(JSON.stringify(p)) as MappingProfile;
}

/** A new, empty profile of a record kind. */
export function emptyProfile(kind: string, code: string, name: string): MappingProfile {
  return { code, name, recordKind: kind, columns: [] };
}

/**
 * The profile as it is saved and previewed: headers trimmed (blank ones dropped), no empty
 * transform lists, no `required: false`, no empty `fixed`, no blank optional properties.
 */
export function cleanProfile(p: MappingProfile): MappingProfile {
  const out: MappingProfile = {
    code: p.code.trim(),
    name: p.name.trim(),
    recordKind: p.recordKind,
    columns: p.columns.map((c) => {
      const column: MappingColumn = {
        headers: c.headers.map((h) => h.trim()).filter((h) => h !== ''),
        field: c.field,
      };
      if (c.transforms && c.transforms.length > 0) column.transforms = c.transforms.map(cleanTransform);
      if (c.required) column.required = true;
      return column;
    }),
  };
  if (p.description?.trim()) out.description = p.description.trim();
  if (p.sheet?.name?.trim()) out.sheet = { name: p.sheet.name.trim() };
  else if (p.sheet?.pattern?.trim()) out.sheet = { pattern: p.sheet.pattern.trim() };
  if (typeof p.headerRow === 'number' && Number.isFinite(p.headerRow)) out.headerRow = p.headerRow;
  const fixed = Object.entries(p.fixed ?? {}).filter((e): e is [string, FixedValue] => e[1] !== undefined);
  if (fixed.length > 0) out.fixed = Object.fromEntries(fixed);
  return out;
}

function cleanTransform(t: MappingTransform): MappingTransform {
  if (t.op === 'date') {
    const formats = (t.formats ?? []).map((f) => f.trim()).filter((f) => f !== '');
    return formats.length > 0 ? { op: 'date', formats } : { op: 'date' };
  }
  if (t.op === 'map') {
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.values)) if (v !== undefined && k !== '') values[k] = v;
    return t.otherwise ? { op: 'map', values, otherwise: t.otherwise } : { op: 'map', values };
  }
  return { ...t };
}

/** Comparable text of a profile (for “unsaved changes”). */
export function profileKey(p: MappingProfile): string {
  return JSON.stringify(cleanProfile(p));
}

// ---- fields and options

/** What the page knows of the event besides the form: card types and zones, for option lists. */
export type FieldChoiceContext = EventChoices;

export function choicesOf(
  field: FormFieldLike | undefined,
  kind: string,
  event: FieldChoiceContext,
): Choice[] | null {
  return field ? fieldChoices(field, kind, event) : null;
}

/** A new transform of an operation, with sensible parameters (a value map from the field's options). */
export function newTransform(op: TransformOp, choices: readonly Choice[] | null): MappingTransform {
  switch (op) {
    case 'split':
      return { op: 'split', separator: '/', index: 0 };
    case 'map':
      return choices && choices.length > 0
        ? choiceMap(choices)
        : { op: 'map', values: {}, otherwise: 'reject' };
    case 'date':
      return { op: 'date' };
    default:
      return { op };
  }
}

/** A new column feeding `fieldKey` from `header`, with the import's default transforms. */
export function newColumn(
  header: string,
  fieldKey: string,
  field: FormFieldLike | undefined,
  kind: string,
  event: FieldChoiceContext,
  required: boolean,
): MappingColumn {
  const column: MappingColumn = {
    headers: header ? [header] : [],
    field: fieldKey,
    transforms: field ? defaultTransforms(fieldKey, field, kind, event) : [{ op: 'trim' }],
  };
  if (required && field?.['x-widget'] !== 'photo') column.required = true;
  return column;
}

/** Short text of a transform, for the column table. */
export function transformSummary(t: MappingTransform): string {
  switch (t.op) {
    case 'split':
      return `按“${t.separator}”拆分取第 ${t.index < 0 ? `倒数 ${-t.index}` : t.index + 1} 段`;
    case 'map': {
      const n = Object.keys(t.values).length;
      return `值对照 ${n} 项`;
    }
    case 'date':
      return t.formats?.length ? `转为日期（另认 ${t.formats.join('、')}）` : '转为日期';
    default:
      return opLabel(t.op);
  }
}

/** True when `header` is one of the column's headers (compared as the import compares them). */
export function hasHeader(column: MappingColumn, header: string): boolean {
  const n = normalizeHeader(header);
  return column.headers.some((h) => normalizeHeader(h) === n);
}

/**
 * Feeds `fieldKey` from the sheet column headed `header`: the header leaves any other column
 * (a column left without headers goes), then joins the field's column, or a new one made by
 * `make`. A fixed value of the field goes (a field has a column or a fixed value, not both).
 * Returns what changed, in words.
 */
export function mapHeaderToField(
  p: MappingProfile,
  header: string,
  fieldKey: string | null,
  make: (header: string, field: string) => MappingColumn,
): string {
  const notes: string[] = [];
  for (let i = p.columns.length - 1; i >= 0; i--) {
    const c = p.columns[i]!;
    if (c.field === fieldKey || !hasHeader(c, header)) continue;
    const n = normalizeHeader(header);
    c.headers = c.headers.filter((h) => normalizeHeader(h) !== n);
    if (c.headers.length === 0) {
      p.columns.splice(i, 1);
      notes.push(`去掉了原来的 ${c.field} 列`);
    }
  }
  if (fieldKey === null) return notes.join('，');
  const own = p.columns.find((c) => c.field === fieldKey);
  if (own) {
    if (!hasHeader(own, header)) own.headers.push(header);
  } else {
    p.columns.push(make(header, fieldKey));
  }
  if (p.fixed && Object.hasOwn(p.fixed, fieldKey)) {
    delete p.fixed[fieldKey];
    if (Object.keys(p.fixed).length === 0) delete p.fixed;
    notes.push('去掉了该字段的固定值');
  }
  return notes.join('，');
}

// ---- issues (JSON pointers into the profile)

/** A pointer's tokens, unescaped (`~1` → `/`, `~0` → `~`). */
export function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Issues at `pointer` or below it. */
export function issuesUnder<T extends { pointer: string }>(list: readonly T[], pointer: string): T[] {
  return list.filter((i) => i.pointer === pointer || i.pointer.startsWith(`${pointer}/`));
}

/** The column index an issue points into (`/columns/N/…`), or null. */
export function columnOf(pointer: string): number | null {
  const [first, second] = pointerTokens(pointer);
  return first === 'columns' && second !== undefined && /^\d+$/.test(second) ? Number(second) : null;
}

/** The fixed field an issue points at (`/fixed/key`), or null. */
export function fixedOf(pointer: string): string | null {
  const [first, second] = pointerTokens(pointer);
  return first === 'fixed' && second !== undefined ? second : null;
}

// ---- value display

export function displayValue(value: unknown, choices: readonly Choice[] | null): string {
  if (value === undefined || value === null || value === '') return '';
  if (Array.isArray(value)) return value.map((v) => displayValue(v, choices)).join('、');
  const text = String(value);
  const c = choices?.find((x) => x.value === text);
  return c && c.title !== c.value ? `${c.title}` : text;
}

/** The stored value of a fixed value typed as `text` for a field of `type`. */
export function fixedFromText(text: string, type: string | undefined): FixedValue {
  if (type === 'boolean') return text === 'true';
  if ((type === 'number' || type === 'integer') && text.trim() !== '' && Number.isFinite(Number(text)))
    return Number(text);
  return text;
}

/** `甲单位报名.xlsx` → `甲单位报名`. */
export function baseName(fileName: string): string {
  return fileName.replace(/\.[^.]+$/, '');
}
