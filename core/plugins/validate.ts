import type {
  CardFace,
  CardLayout,
  CardType,
  CardTypesFile,
  Condition,
  FormField,
  FormSchema,
  FormWidget,
  MappingProfile,
  PluginManifest,
} from '../types/generated/index.ts';
import { checkTemplateSource } from '../render/template.ts';
import { createAjv } from '../validation/ajv.ts';
import { normalizeHeader } from '../import/synonyms.ts';
import {
  bundleChecksum,
  canonicalJson,
  getBundleSourceInfo,
  isBinary,
  mediaTypeOf,
  sha256Hex,
  type PluginBundle,
} from './bundle.ts';
import { contractValidator, type ContractSchemaName } from './contract.ts';
import { issuesFromAjv, type PluginIssue } from './issues.ts';
import { escapePointerToken, valuePositions, type SourcePosition } from './json-source.ts';
import { LAYOUT_SIZE_PRESETS, SYSTEM_FIELDS, isSystemField } from './system-fields.ts';

export interface LoadedPlugin {
  code: string;
  version: string;
  manifest: PluginManifest;
  /** Form per record kind. */
  forms: Record<string, FormSchema>;
  cardTypes: CardType[];
  mappings: MappingProfile[];
  layouts: CardLayout[];
  assets: Record<string, { size: number; sha256: string; mediaType: string }>;
  /** sha256 of the canonical (key-sorted) bundle JSON. */
  checksum: string;
  bundle: PluginBundle;
  /** Folder path, or 'bundle'. */
  source: string;
}

export type PluginLoadResult =
  | { ok: true; plugin: LoadedPlugin; warnings: PluginIssue[] }
  | { ok: false; code: string; source: string; errors: PluginIssue[]; warnings: PluginIssue[] };

/** Assets above this size load, with a warning (they travel with every export and backup). */
export const LARGE_ASSET_BYTES = 5 * 1024 * 1024;

const PLUGIN_CODE = /^[a-z][a-z0-9-]{1,63}$/;

/** Which data types each widget can edit. */
const WIDGET_TYPES: Record<FormWidget, ReadonlyArray<FormField['type']>> = {
  text: ['string'],
  textarea: ['string'],
  select: ['string', 'integer', 'number'],
  radio: ['string', 'integer', 'number', 'boolean'],
  checkbox: ['boolean', 'array'],
  date: ['string'],
  number: ['number', 'integer'],
  idNumber: ['string'],
  mobile: ['string'],
  plate: ['string'],
  photo: ['string'],
  cardType: ['string'],
  zones: ['array'],
};

const TYPE_LABELS: Record<string, string> = {
  string: 'string 字符串',
  number: 'number 数字',
  integer: 'integer 整数',
  boolean: 'boolean 布尔值',
  array: 'array 数组',
};

// Header comparison (duplicate headers here, column matching at import) is one rule, kept with
// the import's header dictionary; re-exported so the plugin host's API stays as it was.
export { normalizeHeader };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !isBinary(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function ptr(...tokens: Array<string | number>): string {
  return tokens.map((t) => `/${escapePointerToken(String(t))}`).join('');
}

// ---------------------------------------------------------------------------------------------
// Layout bindings

export interface LayoutBinding {
  /** Field or system field name. */
  field: string;
  /** JSON pointer (inside the layout file) of the place that names it. */
  pointer: string;
  role: 'field' | 'photo' | 'qrcode' | 'barcode' | 'text' | 'condition' | 'template';
}

const HBS_KEYWORDS = new Set(['else', 'this', 'true', 'false', 'null', 'undefined']);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Field names used by `{{…}}` expressions: `{{name}}`, `{{#if photo}}`, `{{qr verifyToken}}`
 * (helper arguments). Paths (`a.b`, `../x`), `@data`, literals and hash arguments are skipped.
 */
export function templateFieldNames(source: string): string[] {
  const names: string[] = [];
  for (const m of source.matchAll(/\{\{\{?~?\s*([^{}]*?)\s*~?\}?\}\}/g)) {
    const inner = m[1] ?? '';
    if (inner.startsWith('!') || inner.startsWith('/') || inner.startsWith('>')) continue;
    const tokens = inner.split(/\s+/).filter(Boolean);
    if (tokens.length === 0) continue;
    const first = tokens[0]!;
    let candidates: string[];
    if (first.startsWith('#') || first.startsWith('^')) candidates = tokens.slice(1);
    else if (tokens.length === 1) candidates = tokens;
    else candidates = tokens.slice(1); // helper call: the arguments
    for (const t of candidates) {
      if (IDENT.test(t) && !HBS_KEYWORDS.has(t)) names.push(t);
    }
  }
  return names;
}

function conditionBindings(c: Condition | undefined, pointer: string, out: LayoutBinding[]): void {
  if (c) out.push({ field: c.field, pointer: `${pointer}/field`, role: 'condition' });
}

/** Every field a layout binds, with where (for the designer's field list and for validation). */
export function collectLayoutBindings(layout: CardLayout): LayoutBinding[] {
  const out: LayoutBinding[] = [];
  const faces: Array<[string, CardFace | undefined]> = [
    ['front', layout.front],
    ['back', layout.back],
  ];
  for (const [faceName, face] of faces) {
    if (!face) continue;
    face.elements.forEach((el, i) => {
      const at = ptr(faceName, 'elements', i);
      switch (el.type) {
        case 'field':
          out.push({ field: el.field, pointer: `${at}/field`, role: 'field' });
          break;
        case 'photo':
          out.push({ field: el.field ?? 'photo', pointer: el.field ? `${at}/field` : at, role: 'photo' });
          break;
        case 'barcode':
          out.push({ field: el.field, pointer: `${at}/field`, role: 'barcode' });
          break;
        case 'qrcode':
          if (el.field) out.push({ field: el.field, pointer: `${at}/field`, role: 'qrcode' });
          if (el.value) {
            for (const f of templateFieldNames(el.value))
              out.push({ field: f, pointer: `${at}/value`, role: 'text' });
          }
          break;
        case 'text':
          for (const f of templateFieldNames(el.text))
            out.push({ field: f, pointer: `${at}/text`, role: 'text' });
          break;
        default:
          break;
      }
      conditionBindings(el.visibleIf, `${at}/visibleIf`, out);
      el.styleRules?.forEach((rule, r) => conditionBindings(rule.when, `${at}/styleRules/${r}/when`, out));
    });
  }
  for (const part of ['front', 'back', 'css'] as const) {
    const source = layout.template?.[part];
    if (source) {
      for (const f of templateFieldNames(source)) {
        out.push({ field: f, pointer: ptr('template', part), role: 'template' });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The checker

interface FileRef {
  path: string;
  /** Where plugin.json names it. */
  pointer: string;
}

class PluginChecker {
  readonly issues: PluginIssue[] = [];
  readonly referenced = new Set<string>();
  private readonly schemaResults = new Map<string, boolean>();
  private readonly unreadable: Set<string>;

  constructor(
    readonly bundle: PluginBundle,
    readonly plugin: string,
  ) {
    this.unreadable = getBundleSourceInfo(bundle)?.unreadable ?? new Set();
  }

  error(file: string, pointer: string, code: string, message: string): void {
    this.issues.push({ plugin: this.plugin, file, pointer, code, message, severity: 'error' });
  }

  warn(file: string, pointer: string, code: string, message: string): void {
    this.issues.push({ plugin: this.plugin, file, pointer, code, message, severity: 'warning' });
  }

  /** The parsed JSON of a file named by the manifest, or undefined (reported) when absent. */
  referencedJson(ref: FileRef): unknown {
    this.referenced.add(ref.path);
    if (this.unreadable.has(ref.path)) return undefined; // already reported by the reader
    const content = this.bundle.files[ref.path];
    if (content === undefined) {
      this.error('plugin.json', ref.pointer, 'missing-file', `引用的文件 ${ref.path} 不存在`);
      return undefined;
    }
    if (!isObj(content)) {
      this.error(ref.path, '', 'wrong-type', `${ref.path} 的内容应为 JSON 对象`);
      return undefined;
    }
    return content;
  }

  /** Validates a file against a contract schema (once per file); true when valid. */
  schema(file: string, data: unknown, name: ContractSchemaName): boolean {
    const cached = this.schemaResults.get(file);
    if (cached !== undefined) return cached;
    const validate = contractValidator(name);
    const ok = validate(data);
    if (!ok) this.issues.push(...issuesFromAjv(validate.errors, { plugin: this.plugin, file }));
    this.schemaResults.set(file, ok);
    return ok;
  }

  checkPaths(): void {
    for (const [file, content] of Object.entries(this.bundle.files)) {
      const segments = file.split('/');
      if (
        file.startsWith('/') ||
        file.includes('\\') ||
        segments.some((s) => s === '' || s === '.' || s === '..')
      ) {
        this.error(file, '', 'invalid-path', `文件路径 "${file}" 无效（须为插件内的相对路径，不含 ..）`);
        continue;
      }
      if (file.startsWith('assets/')) {
        if (!isBinary(content)) this.error(file, '', 'wrong-type', 'assets/ 下的文件应为二进制内容');
      } else if (!file.endsWith('.json')) {
        this.warn(file, '', 'unknown-file', '不是插件文件（只认 *.json 和 assets/ 下的文件），已忽略');
      } else if (isBinary(content)) {
        this.error(file, '', 'wrong-type', 'JSON 文件应为解析后的 JSON，而不是二进制内容');
      }
    }
  }
}

/** File references of a manifest, read defensively (the manifest may have failed its schema). */
function manifestRefs(m: Obj): {
  forms: Array<FileRef & { kind: string | undefined }>;
  cardTypes: FileRef | undefined;
  mappings: FileRef[];
  layouts: FileRef[];
} {
  const forms: Array<FileRef & { kind: string | undefined }> = [];
  if (Array.isArray(m.recordKinds)) {
    m.recordKinds.forEach((rk: unknown, i) => {
      if (isObj(rk) && str(rk.form))
        forms.push({ path: rk.form as string, pointer: ptr('recordKinds', i, 'form'), kind: str(rk.kind) });
    });
  }
  const list = (key: 'mappings' | 'layouts'): FileRef[] =>
    Array.isArray(m[key])
      ? (m[key] as unknown[]).flatMap((p, i) =>
          typeof p === 'string' ? [{ path: p, pointer: ptr(key, i) }] : [],
        )
      : [];
  return {
    forms,
    cardTypes: str(m.cardTypes) ? { path: m.cardTypes as string, pointer: '/cardTypes' } : undefined,
    mappings: list('mappings'),
    layouts: list('layouts'),
  };
}

// ---------------------------------------------------------------------------------------------
// Per-file semantic checks

function checkManifest(c: PluginChecker, m: PluginManifest): void {
  const F = 'plugin.json';
  const unique = <T>(items: T[], key: (item: T) => string, base: string, prop: string, what: string) => {
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      const k = key(item);
      const j = first.get(k);
      if (j !== undefined) {
        c.error(F, `${base}/${i}/${prop}`, 'duplicate-code', `${what} "${k}" 重复（与第 ${j + 1} 项相同）`);
      } else first.set(k, i);
    });
  };
  unique(m.event.venues, (v) => v.code, '/event/venues', 'code', '场馆代码');
  unique(m.event.zones, (z) => z.code, '/event/zones', 'code', '区域代码');
  unique(m.recordKinds, (rk) => rk.kind, '/recordKinds', 'kind', '记录类别');
  const venues = new Set(m.event.venues.map((v) => v.code));
  m.event.zones.forEach((z, i) => {
    if (z.venue !== undefined && !venues.has(z.venue)) {
      c.error(
        F,
        `/event/zones/${i}/venue`,
        'unknown-venue',
        `区域 ${z.code} 所属场馆 "${z.venue}" 不在 event.venues 中`,
      );
    }
  });
  if (m.event.endDate < m.event.startDate) {
    c.error(
      F,
      '/event/endDate',
      'invalid-date-range',
      `结束日期 ${m.event.endDate} 早于开始日期 ${m.event.startDate}`,
    );
  }
  const w = m.event.collection;
  if (w) {
    if (w.closesOn < w.opensOn) {
      c.error(
        F,
        '/event/collection/closesOn',
        'invalid-date-range',
        `申报截止日期 ${w.closesOn} 早于开始日期 ${w.opensOn}`,
      );
    } else if (w.closesOn > m.event.endDate) {
      c.warn(
        F,
        '/event/collection/closesOn',
        'late-collection',
        `申报截止日期 ${w.closesOn} 晚于活动结束日期 ${m.event.endDate}`,
      );
    }
  }
  const formFiles = new Map<string, string>();
  m.recordKinds.forEach((rk, i) => {
    const other = formFiles.get(rk.form);
    if (other !== undefined) {
      c.error(
        F,
        `/recordKinds/${i}/form`,
        'duplicate-reference',
        `表单 ${rk.form} 已被记录类别 ${other} 使用`,
      );
    } else formFiles.set(rk.form, rk.kind);
  });
}

function fieldOptions(field: FormField): Array<{ value: string | number | boolean; pointer: string }> {
  const holder = field.type === 'array' ? field.items : field;
  const base = field.type === 'array' ? '/items' : '';
  if (!holder) return [];
  const out: Array<{ value: string | number | boolean; pointer: string }> = [];
  holder.enum?.forEach((v, i) => out.push({ value: v, pointer: `${base}/enum/${i}` }));
  holder.oneOf?.forEach((o, i) => out.push({ value: o.const, pointer: `${base}/oneOf/${i}/const` }));
  return out;
}

/** Compiles a form with the project's ajv: proves it is a JSON Schema Tessera can use. */
function compileForm(c: PluginChecker, file: string, form: FormSchema): boolean {
  const ajv = createAjv();
  if (!ajv.validateSchema(form)) {
    c.issues.push(...issuesFromAjv(ajv.errors, { plugin: c.plugin, file }));
    return false;
  }
  try {
    ajv.compile(form);
    return true;
  } catch (error) {
    const message = (error as Error).message;
    const keyword = /unknown keyword: "([^"]+)"/.exec(message)?.[1];
    const at = /at "#([^"]*)"/.exec(message)?.[1] ?? /at path "#([^"]*)"/.exec(message)?.[1];
    let pointer = at ?? '';
    if (keyword) pointer = findKeyPointer(form, keyword) ?? pointer;
    c.error(file, pointer, 'form-compile', `表单不是有效的 JSON Schema：${message}`);
    return false;
  }
}

function findKeyPointer(value: unknown, key: string, base = ''): string | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findKeyPointer(value[i], key, `${base}/${i}`);
      if (found !== undefined) return found;
    }
  } else if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === key) return `${base}/${escapePointerToken(k)}`;
      const found = findKeyPointer(v, key, `${base}/${escapePointerToken(k)}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * `x-visibleIf` names another field of the same form (not the field itself, no cycles); its
 * values should be options of that field when it has options.
 */
function checkVisibleIf(c: PluginChecker, file: string, form: FormSchema): void {
  const props = form.properties;
  const controller = (key: string): string | undefined => props[key]?.['x-visibleIf']?.field;
  for (const [key, field] of Object.entries(props)) {
    const condition = field?.['x-visibleIf'];
    if (!condition) continue;
    const at = ptr('properties', key, 'x-visibleIf');
    const target = condition.field;
    if (target === key) {
      c.error(file, `${at}/field`, 'visible-if-self', `字段 "${key}" 的条件显示不能引用它自己`);
      continue;
    }
    const other = props[target];
    if (!other) {
      c.error(file, `${at}/field`, 'unknown-field', `条件显示引用的字段 "${target}" 不在 properties 中`);
      continue;
    }
    const seen = new Set([key]);
    for (let next: string | undefined = target; next !== undefined; next = controller(next)) {
      if (seen.has(next)) {
        c.error(file, `${at}/field`, 'visible-if-cycle', `字段 "${key}" 的条件显示形成循环引用`);
        break;
      }
      seen.add(next);
    }
    const options = fieldOptions(other).map((o) => String(o.value));
    if (options.length === 0) continue;
    const list = 'in' in condition ? condition.in : condition.notIn;
    const name = 'in' in condition ? 'in' : 'notIn';
    list.forEach((v, i) => {
      if (!options.includes(String(v)))
        c.warn(
          file,
          `${at}/${name}/${i}`,
          'unknown-option',
          `"${String(v)}" 不是字段 "${target}" 的选项（${options.join('、')}）`,
        );
    });
  }
}

function checkForm(c: PluginChecker, file: string, form: FormSchema, kind: string): void {
  if (form['x-recordKind'] !== kind) {
    c.error(
      file,
      '/x-recordKind',
      'record-kind-mismatch',
      `表单的 x-recordKind 为 "${form['x-recordKind']}"，但 plugin.json 把它用作 "${kind}" 的表单`,
    );
  }
  const props = form.properties;
  form.required?.forEach((key, i) => {
    if (!props[key]) c.error(file, `/required/${i}`, 'unknown-field', `必填字段 "${key}" 不在 properties 中`);
  });
  if (form['x-groups']) {
    const grouped = new Map<string, number>();
    form['x-groups'].forEach((g, gi) => {
      g.fields.forEach((key, fi) => {
        const at = `/x-groups/${gi}/fields/${fi}`;
        if (!props[key]) c.error(file, at, 'unknown-field', `分组中的字段 "${key}" 不在 properties 中`);
        else if (grouped.has(key))
          c.error(file, at, 'duplicate-field', `字段 "${key}" 已在第 ${grouped.get(key)! + 1} 个分组中`);
        else grouped.set(key, gi);
      });
    });
    for (const key of Object.keys(props)) {
      if (!grouped.has(key))
        c.warn(
          file,
          ptr('properties', key),
          'ungrouped-field',
          `字段 "${key}" 不在任何分组中，表单里不会显示`,
        );
    }
  }
  checkVisibleIf(c, file, form);
  const headers = new Map<string, string>();
  for (const [key, field] of Object.entries(props)) {
    if (!field) continue;
    const at = ptr('properties', key);
    const widget = field['x-widget'];
    const allowed = WIDGET_TYPES[widget];
    if (!allowed.includes(field.type)) {
      c.error(
        file,
        `${at}/type`,
        'widget-type-mismatch',
        `控件 ${widget} 不能编辑 ${TYPE_LABELS[field.type] ?? field.type} 类型，应为 ${allowed.join(' 或 ')}`,
      );
    }
    if (field.type === 'array' && !field.items) {
      c.error(file, at, 'missing-items', `数组字段 "${key}" 须用 items 说明元素类型`);
    }
    const needsOptions =
      widget === 'select' || widget === 'radio' || (widget === 'checkbox' && field.type === 'array');
    if (needsOptions && fieldOptions(field).length === 0) {
      c.error(file, at, 'missing-options', `控件 ${widget} 需要选项（oneOf 或 enum）`);
    }
    if (widget === 'date' && field.format !== 'date' && field.format !== 'date-time') {
      c.error(file, at, 'missing-format', `日期控件须有 "format": "date"`);
    }
    const values = new Map<string, number>();
    field.oneOf?.forEach((o, i) => {
      const v = String(o.const);
      if (values.has(v)) c.error(file, `${at}/oneOf/${i}/const`, 'duplicate-option', `选项值 "${v}" 重复`);
      values.set(v, i);
    });
    const names: Array<[string, string]> = [[field['x-label'], `${at}/x-label`]];
    field['x-excelHeaders']?.forEach((h, i) => names.push([h, `${at}/x-excelHeaders/${i}`]));
    for (const [h, where] of names) {
      const n = normalizeHeader(h);
      const owner = headers.get(n);
      if (owner !== undefined && owner !== key) {
        c.error(
          file,
          where,
          'duplicate-header',
          `表头 "${h}" 同时属于字段 "${owner}" 和 "${key}"，导入时无法区分`,
        );
      } else headers.set(n, key);
    }
  }
}

interface Context {
  manifest: PluginManifest;
  forms: Map<string, { file: string; form: FormSchema }>;
  /** Record kinds declared in the manifest (a kind can be declared while its form is broken). */
  kinds: Set<string>;
  zones: Set<string>;
  cardTypes: CardType[] | undefined;
  layouts: Map<string, { file: string; layout: CardLayout }>;
  /** Codes of layouts whose file failed its schema: already reported, so not "unknown" too. */
  brokenLayoutCodes: Set<string>;
}

/**
 * Does `name` exist for this record kind? Reports unknown kinds/fields. Returns the field when
 * it is a form field; `undefined` for system fields and when the form itself is broken.
 */
function lookupField(
  c: PluginChecker,
  ctx: Context,
  file: string,
  pointer: string,
  kind: string,
  name: string,
  opts: { system: boolean },
): FormField | undefined {
  const entry = ctx.forms.get(kind);
  if (!entry) return undefined; // unknown kind reported elsewhere; broken form reported already
  const field = entry.form.properties[name];
  if (field) return field;
  if (opts.system && isSystemField(name)) return undefined;
  const hint = opts.system ? `，也不是系统字段（${SYSTEM_FIELDS.map((f) => f.key).join('、')}）` : '';
  c.error(file, pointer, 'unknown-field', `字段 "${name}" 不在 ${kind} 表单中${hint}`);
  return undefined;
}

function checkKind(c: PluginChecker, ctx: Context, file: string, pointer: string, kind: string): boolean {
  if (ctx.kinds.has(kind)) return true;
  c.error(
    file,
    pointer,
    'unknown-record-kind',
    `记录类别 "${kind}" 未在 plugin.json 的 recordKinds 中声明（已声明：${[...ctx.kinds].join('、')}）`,
  );
  return false;
}

function checkFormOptionsAgainstEvent(c: PluginChecker, ctx: Context): void {
  for (const [kind, { file, form }] of ctx.forms) {
    for (const [key, field] of Object.entries(form.properties)) {
      if (!field) continue;
      const at = ptr('properties', key);
      if (field['x-widget'] === 'zones') {
        for (const o of fieldOptions(field)) {
          if (!ctx.zones.has(String(o.value))) {
            c.error(
              file,
              `${at}${o.pointer}`,
              'unknown-zone',
              `区域 "${String(o.value)}" 不在 event.zones 中`,
            );
          }
        }
      }
      if (field['x-widget'] === 'cardType' && ctx.cardTypes) {
        const codes = new Set(ctx.cardTypes.filter((t) => t.recordKind === kind).map((t) => t.code));
        for (const o of fieldOptions(field)) {
          if (!codes.has(String(o.value))) {
            c.error(
              file,
              `${at}${o.pointer}`,
              'unknown-card-type',
              `证件类型 "${String(o.value)}" 不是 ${kind} 的证件类型`,
            );
          }
        }
      }
    }
  }
}

function numberingKey(t: CardType): string {
  return t.numbering.pattern.replace(/\{type\}/g, t.code);
}

function checkCardTypes(c: PluginChecker, ctx: Context, file: string, types: CardType[]): void {
  const codes = new Map<string, number>();
  const numbering = new Map<string, string>();
  types.forEach((t, i) => {
    const at = `/cardTypes/${i}`;
    const first = codes.get(t.code);
    if (first !== undefined) {
      c.error(
        file,
        `${at}/code`,
        'duplicate-code',
        `证件类型代码 "${t.code}" 重复（与第 ${first + 1} 项相同）`,
      );
    } else codes.set(t.code, i);
    const kindOk = checkKind(c, ctx, file, `${at}/recordKind`, t.recordKind);
    t.zones.forEach((z, j) => {
      if (!ctx.zones.has(z)) {
        c.error(
          file,
          `${at}/zones/${j}`,
          'unknown-zone',
          `区域 "${z}" 不在 plugin.json 的 event.zones 中（已有：${[...ctx.zones].join('、')}）`,
        );
      }
    });
    const layout = ctx.layouts.get(t.layout);
    if (!layout && ctx.brokenLayoutCodes.has(t.layout)) {
      // its file is invalid and reported
    } else if (!layout) {
      c.error(
        file,
        `${at}/layout`,
        'unknown-layout',
        `版式 "${t.layout}" 不存在（已有：${[...ctx.layouts.keys()].join('、') || '无'}）`,
      );
    } else if (layout.layout.recordKind !== t.recordKind) {
      c.error(
        file,
        `${at}/layout`,
        'record-kind-mismatch',
        `版式 "${t.layout}" 用于 ${layout.layout.recordKind}，而证件类型 ${t.code} 用于 ${t.recordKind}`,
      );
    }
    if (t.validFrom && t.validTo && t.validTo < t.validFrom) {
      c.error(
        file,
        `${at}/validTo`,
        'invalid-date-range',
        `有效期止 ${t.validTo} 早于有效期起 ${t.validFrom}`,
      );
    }
    const { perUnit, total, byUnit } = t.quota;
    if (total !== null && perUnit !== null && perUnit > total) {
      c.warn(file, `${at}/quota/perUnit`, 'quota-exceeds-total', `每单位配额 ${perUnit} 大于总配额 ${total}`);
    }
    for (const [unit, n] of Object.entries(byUnit ?? {})) {
      if (total !== null && n !== undefined && n > total) {
        c.warn(
          file,
          `${at}/quota/byUnit/${escapePointerToken(unit)}`,
          'quota-exceeds-total',
          `单位 ${unit} 的配额 ${n} 大于总配额 ${total}`,
        );
      }
    }
    const key = numberingKey(t);
    const clash = numbering.get(key);
    if (clash !== undefined) {
      c.error(
        file,
        `${at}/numbering/pattern`,
        'numbering-collision',
        `编号规则与证件类型 ${clash} 相同，会产生重复的证件编号（可加入 {type} 或不同前缀）`,
      );
    } else numbering.set(key, t.code);
    if (kindOk && t.requiresPhoto) {
      const form = ctx.forms.get(t.recordKind)?.form;
      if (form && !Object.values(form.properties).some((f) => f?.['x-widget'] === 'photo')) {
        c.error(
          file,
          `${at}/requiresPhoto`,
          'missing-photo-field',
          `${t.recordKind} 表单没有照片字段（x-widget: photo）`,
        );
      }
    }
  });
  for (const kind of ctx.kinds) {
    if (!types.some((t) => t.recordKind === kind)) {
      c.warn(file, '/cardTypes', 'no-card-types', `记录类别 ${kind} 没有任何证件类型`);
    }
  }
}

function allowedValues(ctx: Context, kind: string, field: FormField): Set<string> | undefined {
  if (field['x-widget'] === 'cardType') {
    return ctx.cardTypes
      ? new Set(ctx.cardTypes.filter((t) => t.recordKind === kind).map((t) => t.code))
      : undefined;
  }
  if (field['x-widget'] === 'zones') return ctx.zones;
  const options = fieldOptions(field);
  return options.length > 0 ? new Set(options.map((o) => String(o.value))) : undefined;
}

function checkMapping(c: PluginChecker, ctx: Context, file: string, m: MappingProfile): void {
  if (!checkKind(c, ctx, file, '/recordKind', m.recordKind)) return;
  const fields = new Map<string, number>();
  const headers = new Map<string, number>();
  const mapped = new Set<string>();
  m.columns.forEach((col, i) => {
    const at = `/columns/${i}`;
    const field = lookupField(c, ctx, file, `${at}/field`, m.recordKind, col.field, { system: false });
    const first = fields.get(col.field);
    if (first !== undefined) {
      c.error(file, `${at}/field`, 'duplicate-field', `字段 "${col.field}" 已由第 ${first + 1} 列映射`);
    } else fields.set(col.field, i);
    mapped.add(col.field);
    col.headers.forEach((h, j) => {
      const n = normalizeHeader(h);
      const owner = headers.get(n);
      if (owner !== undefined && owner !== i) {
        c.error(
          file,
          `${at}/headers/${j}`,
          'duplicate-header',
          `表头 "${h}" 已用于第 ${owner + 1} 列，导入时无法区分`,
        );
      } else headers.set(n, i);
    });
    const last = col.transforms?.[col.transforms.length - 1];
    if (field && last?.op === 'map' && field.type !== 'array') {
      const allowed = allowedValues(ctx, m.recordKind, field);
      if (allowed) {
        for (const [from, to] of Object.entries(last.values)) {
          if (to !== undefined && !allowed.has(to)) {
            c.error(
              file,
              `${at}/transforms/${col.transforms!.length - 1}/values/${escapePointerToken(from)}`,
              'invalid-option',
              `"${from}" 对照为 "${to}"，但字段 ${col.field} 只接受：${[...allowed].join('、')}`,
            );
          }
        }
      }
    }
  });
  for (const [key, value] of Object.entries(m.fixed ?? {})) {
    const at = ptr('fixed', key);
    const field = lookupField(c, ctx, file, at, m.recordKind, key, { system: false });
    mapped.add(key);
    if (fields.has(key)) c.error(file, at, 'duplicate-field', `字段 "${key}" 既有固定值又有映射列`);
    if (!field || value === undefined) continue;
    const allowed = allowedValues(ctx, m.recordKind, field);
    const values = Array.isArray(value) ? value : [value];
    if (allowed) {
      values.forEach((v) => {
        if (!allowed.has(String(v))) {
          c.error(
            file,
            at,
            'invalid-option',
            `固定值 "${String(v)}" 不是字段 ${key} 的可选值：${[...allowed].join('、')}`,
          );
        }
      });
    }
  }
  const form = ctx.forms.get(m.recordKind)?.form;
  form?.required?.forEach((key) => {
    const f = form.properties[key];
    if (f && f['x-widget'] !== 'photo' && !mapped.has(key)) {
      c.warn(
        file,
        '/columns',
        'unmapped-required-field',
        `必填字段 "${key}"（${f['x-label']}）没有对应的列或固定值，按此映射导入的每一行都会缺少它`,
      );
    }
  });
}

function checkCondition(c: PluginChecker, file: string, pointer: string, cond: Condition): void {
  const hasValue = cond.value !== undefined;
  const isList = Array.isArray(cond.value);
  if ((cond.op === 'in' || cond.op === 'notIn') && !isList) {
    c.error(
      file,
      hasValue ? `${pointer}/value` : pointer,
      'invalid-condition',
      `条件 ${cond.op} 需要数组 value`,
    );
  } else if ((cond.op === 'eq' || cond.op === 'ne') && (!hasValue || isList)) {
    c.error(
      file,
      hasValue ? `${pointer}/value` : pointer,
      'invalid-condition',
      `条件 ${cond.op} 需要单个 value`,
    );
  } else if ((cond.op === 'empty' || cond.op === 'notEmpty') && hasValue) {
    c.error(file, `${pointer}/value`, 'invalid-condition', `条件 ${cond.op} 不需要 value`);
  }
}

function checkLayout(c: PluginChecker, ctx: Context, file: string, layout: CardLayout): void {
  const { preset, widthMm, heightMm } = layout.size;
  if (preset !== 'custom') {
    const expected = LAYOUT_SIZE_PRESETS[preset];
    if (expected.widthMm !== widthMm || expected.heightMm !== heightMm) {
      c.error(
        file,
        '/size',
        'size-mismatch',
        `预设 ${preset} 的尺寸是 ${expected.widthMm}×${expected.heightMm} mm，这里写的是 ${widthMm}×${heightMm} mm`,
      );
    }
  }
  const bleed = layout.bleedMm ?? 2;
  const ids = new Map<string, string>();
  for (const faceName of ['front', 'back'] as const) {
    const face = layout[faceName];
    if (!face) continue;
    if (face.background?.image)
      checkAssetRef(c, file, `/${faceName}/background/image`, face.background.image);
    face.elements.forEach((el, i) => {
      const at = `/${faceName}/elements/${i}`;
      const first = ids.get(el.id);
      if (first !== undefined)
        c.error(file, `${at}/id`, 'duplicate-id', `元素标识 "${el.id}" 重复（${first}）`);
      else ids.set(el.id, at);
      if (el.type === 'image') checkAssetRef(c, file, `${at}/src`, el.src);
      if (el.type === 'qrcode' && (el.field === undefined) === (el.value === undefined)) {
        c.error(file, at, 'qrcode-source', '二维码须有 field 或 value 之一（且只能有一个）');
      }
      if (el.type === 'text' && el.text.includes('{{{')) {
        c.error(file, `${at}/text`, 'unsafe-template', '不允许 {{{ }}}（不转义输出），请用 {{字段名}}');
      }
      if (el.visibleIf) checkCondition(c, file, `${at}/visibleIf`, el.visibleIf);
      el.styleRules?.forEach((r, j) => checkCondition(c, file, `${at}/styleRules/${j}/when`, r.when));
      if (
        el.xMm < -bleed ||
        el.yMm < -bleed ||
        el.xMm + el.widthMm > widthMm + bleed + 0.001 ||
        el.yMm + el.heightMm > heightMm + bleed + 0.001
      ) {
        c.warn(file, at, 'out-of-bounds', `元素 ${el.id} 超出证件范围（含 ${bleed} mm 出血）`);
      }
    });
  }
  for (const part of ['front', 'back', 'css'] as const) {
    const source = layout.template?.[part];
    if (source?.includes('{{{')) {
      c.error(
        file,
        `/template/${part}`,
        'unsafe-template',
        '模板中不允许 {{{ }}}（不转义输出字段值有注入风险）',
      );
    } else if (source) {
      // The render sandbox's own check: syntax, partials, unknown helpers, prototype names.
      const problem = checkTemplateSource(source);
      if (problem) {
        c.error(
          file,
          `/template/${part}`,
          'invalid-template',
          `${problem.line ? `第 ${problem.line} 行：` : ''}${problem.message}`,
        );
      }
    }
    if (source) {
      for (const asset of Object.keys(c.bundle.files)) {
        if (asset.startsWith('assets/') && source.includes(asset)) c.referenced.add(asset);
      }
    }
  }
  if (!checkKind(c, ctx, file, '/recordKind', layout.recordKind)) return;
  for (const b of collectLayoutBindings(layout)) {
    const field = lookupField(c, ctx, file, b.pointer, layout.recordKind, b.field, { system: true });
    if (b.role === 'photo' && field && field['x-widget'] !== 'photo') {
      c.error(
        file,
        b.pointer,
        'not-a-photo-field',
        `字段 "${b.field}" 不是照片字段（x-widget 为 ${field['x-widget']}）`,
      );
    }
  }
}

function layoutAssets(layout: CardLayout): string[] {
  const out: string[] = [];
  for (const face of [layout.front, layout.back]) {
    if (!face) continue;
    if (face.background?.image) out.push(face.background.image);
    for (const el of face.elements) if (el.type === 'image') out.push(el.src);
  }
  return out;
}

function checkAssetRef(c: PluginChecker, file: string, pointer: string, asset: string): void {
  c.referenced.add(asset);
  const content = c.bundle.files[asset];
  if (content === undefined) {
    c.error(file, pointer, 'missing-asset', `资源文件 ${asset} 不存在`);
  } else if (!(mediaTypeOf(asset) ?? '').startsWith('image/')) {
    c.error(file, pointer, 'not-an-image', `资源文件 ${asset} 不是图片`);
  }
}

const SIGNATURES: Record<string, (b: Uint8Array) => boolean> = {
  'image/png': (b) => [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((x, i) => b[i] === x),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/gif': (b) => b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46,
  'image/webp': (b) => b[0] === 0x52 && b[1] === 0x49 && b[8] === 0x57 && b[9] === 0x45,
  'image/svg+xml': (b) => /<svg[\s>]/.test(new TextDecoder().decode(b.subarray(0, 4096))),
};

function checkAssets(c: PluginChecker): Record<string, { size: number; sha256: string; mediaType: string }> {
  const assets: Record<string, { size: number; sha256: string; mediaType: string }> = {};
  for (const [file, content] of Object.entries(c.bundle.files)) {
    if (!file.startsWith('assets/') || !isBinary(content)) continue;
    const mediaType = mediaTypeOf(file);
    if (!mediaType) {
      c.error(
        file,
        '',
        'unsupported-asset',
        `不支持的资源类型（支持：png、jpg、webp、gif、svg、woff2、woff、ttf、otf）`,
      );
      continue;
    }
    const signature = SIGNATURES[mediaType];
    if (signature && !signature(content)) {
      c.error(file, '', 'invalid-asset', `文件内容不是 ${mediaType}（扩展名与内容不符或文件已损坏）`);
      continue;
    }
    if (content.byteLength > LARGE_ASSET_BYTES) {
      c.warn(
        file,
        '',
        'large-asset',
        `资源文件较大（${(content.byteLength / 1024 / 1024).toFixed(1)} MB），建议压缩`,
      );
    }
    assets[file] = { size: content.byteLength, sha256: sha256Hex(content), mediaType };
  }
  return assets;
}

function attachPositions(bundle: PluginBundle, issues: PluginIssue[]): void {
  const info = getBundleSourceInfo(bundle);
  if (!info) return;
  const cache = new Map<string, Map<string, SourcePosition>>();
  for (const issue of issues) {
    if (issue.line !== undefined) continue;
    const text = info.texts.get(issue.file);
    if (text === undefined) continue;
    let positions = cache.get(issue.file);
    if (!positions) {
      // Positions are only meaningful while the bundle still holds what the text says.
      const unchanged =
        canonicalJson(JSON.parse(text.replace(/^\uFEFF/, ''))) === canonicalJson(bundle.files[issue.file]);
      positions = unchanged ? valuePositions(text) : new Map<string, SourcePosition>();
      cache.set(issue.file, positions);
    }
    let pointer = issue.pointer;
    for (;;) {
      const pos = positions.get(pointer);
      if (pos) {
        issue.line = pos.line;
        issue.column = pos.column;
        break;
      }
      if (pointer === '') break;
      pointer = pointer.slice(0, pointer.lastIndexOf('/'));
    }
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Validates a whole plugin: every file against its schema, every form compiled with the
 * project's ajv, and all cross-references (record kinds, zones, venues, layouts, bound fields,
 * assets, codes). Never throws for a fault of the plugin; reports every problem found.
 */
export function validatePluginBundle(
  bundle: PluginBundle,
  opts: { name: string; source: string },
): PluginLoadResult {
  const rawManifest = bundle.files['plugin.json'];
  const manifestCode = isObj(rawManifest) ? str(rawManifest.code) : undefined;
  const plugin = manifestCode && PLUGIN_CODE.test(manifestCode) ? manifestCode : opts.name;
  const c = new PluginChecker(bundle, plugin);
  const done = (): PluginLoadResult => {
    attachPositions(bundle, c.issues);
    return {
      ok: false,
      code: plugin,
      source: opts.source,
      errors: c.issues.filter((i) => i.severity === 'error'),
      warnings: c.issues.filter((i) => i.severity === 'warning'),
    };
  };

  c.checkPaths();
  if (rawManifest === undefined) {
    if (!getBundleSourceInfo(bundle)?.unreadable.has('plugin.json')) {
      c.error('plugin.json', '', 'missing-file', '缺少插件清单 plugin.json');
    }
    return done();
  }
  const manifestData = c.referencedJson({ path: 'plugin.json', pointer: '' });
  if (manifestData === undefined) return done();
  const manifestOk = c.schema('plugin.json', manifestData, 'manifest');
  const manifest = manifestOk ? (manifestData as PluginManifest) : undefined;
  if (manifest) checkManifest(c, manifest);
  const refs = manifestRefs(manifestData as Obj);

  // Forms
  const forms = new Map<string, { file: string; form: FormSchema }>();
  for (const ref of refs.forms) {
    const data = c.referencedJson(ref);
    if (data === undefined || !c.schema(ref.path, data, 'form')) continue;
    const form = data as FormSchema;
    if (!compileForm(c, ref.path, form)) continue;
    if (ref.kind !== undefined && !forms.has(ref.kind)) {
      checkForm(c, ref.path, form, ref.kind);
      forms.set(ref.kind, { file: ref.path, form });
    }
  }

  // Card types, mappings, layouts: schema first
  let cardTypes: CardType[] | undefined;
  let cardTypesFile: string | undefined;
  if (refs.cardTypes) {
    const data = c.referencedJson(refs.cardTypes);
    if (data !== undefined && c.schema(refs.cardTypes.path, data, 'cardTypes')) {
      cardTypes = (data as CardTypesFile).cardTypes;
      cardTypesFile = refs.cardTypes.path;
    }
  }
  const mappings: Array<{ file: string; mapping: MappingProfile }> = [];
  for (const ref of refs.mappings) {
    const data = c.referencedJson(ref);
    if (data !== undefined && c.schema(ref.path, data, 'mapping'))
      mappings.push({ file: ref.path, mapping: data as MappingProfile });
  }
  const layouts: Array<{ file: string; layout: CardLayout }> = [];
  const brokenLayoutCodes = new Set<string>();
  for (const ref of refs.layouts) {
    const data = c.referencedJson(ref);
    if (data === undefined) continue;
    if (c.schema(ref.path, data, 'layout')) layouts.push({ file: ref.path, layout: data as CardLayout });
    else if (str((data as Obj).code)) brokenLayoutCodes.add((data as Obj).code as string);
  }

  // Cross-references
  const layoutByCode = new Map<string, { file: string; layout: CardLayout }>();
  for (const entry of layouts) {
    const other = layoutByCode.get(entry.layout.code);
    if (other)
      c.error(entry.file, '/code', 'duplicate-code', `版式代码 "${entry.layout.code}" 与 ${other.file} 重复`);
    else layoutByCode.set(entry.layout.code, entry);
  }
  const mappingCodes = new Map<string, string>();
  for (const { file, mapping } of mappings) {
    const other = mappingCodes.get(mapping.code);
    if (other) c.error(file, '/code', 'duplicate-code', `导入映射代码 "${mapping.code}" 与 ${other} 重复`);
    else mappingCodes.set(mapping.code, file);
  }
  if (manifest) {
    const ctx: Context = {
      manifest,
      forms,
      kinds: new Set(manifest.recordKinds.map((rk) => rk.kind)),
      zones: new Set(manifest.event.zones.map((z) => z.code)),
      cardTypes,
      layouts: layoutByCode,
      brokenLayoutCodes,
    };
    if (cardTypes && cardTypesFile) checkCardTypes(c, ctx, cardTypesFile, cardTypes);
    checkFormOptionsAgainstEvent(c, ctx);
    for (const { file, mapping } of mappings) checkMapping(c, ctx, file, mapping);
    for (const { file, layout } of layouts) checkLayout(c, ctx, file, layout);
    if (cardTypes) {
      const used = new Set(cardTypes.map((t) => t.layout));
      for (const { file, layout } of layoutByCode.values()) {
        if (!used.has(layout.code))
          c.warn(file, '/code', 'unused-layout', `版式 "${layout.code}" 没有被任何证件类型使用`);
      }
    }
  }
  // Assets named by layouts count as used even when the layout could not be cross-checked.
  for (const { layout } of layouts) for (const asset of layoutAssets(layout)) c.referenced.add(asset);
  const assets = checkAssets(c);
  for (const file of Object.keys(bundle.files)) {
    if (!c.referenced.has(file) && (file.endsWith('.json') || file.startsWith('assets/'))) {
      c.warn(
        file,
        '',
        'unreferenced-file',
        file.startsWith('assets/') ? '没有任何版式使用这个资源文件' : 'plugin.json 没有引用这个文件',
      );
    }
  }

  const hasErrors = c.issues.some((i) => i.severity === 'error');
  if (hasErrors || !manifest || !cardTypes) return done();
  attachPositions(bundle, c.issues);
  const formsRecord: Record<string, FormSchema> = {};
  for (const [kind, { form }] of forms) formsRecord[kind] = form;
  return {
    ok: true,
    plugin: {
      code: manifest.code,
      version: manifest.version,
      manifest,
      forms: formsRecord,
      cardTypes,
      mappings: mappings.map((m) => m.mapping),
      layouts: layouts.map((l) => l.layout),
      assets,
      checksum: bundleChecksum(bundle),
      bundle,
      source: opts.source,
    },
    warnings: c.issues.filter((i) => i.severity === 'warning'),
  };
}
