import { localizeErrors, type ErrorObject } from '../validation/ajv.ts';
import { escapePointerToken } from './json-source.ts';

export type { PluginIssue } from './plugin-issue.ts';
import type { PluginIssue } from './plugin-issue.ts';

/** `demo-expo: layouts/vip.json#/front/elements/3/field (第 12 行第 20 列): 字段 "nmae" 不在 person 表单中 (unknown-field)` */
export function formatIssue(i: PluginIssue): string {
  const where = i.pointer ? `${i.file}#${i.pointer}` : i.file;
  const position = i.line !== undefined ? ` (第 ${i.line} 行第 ${i.column ?? 1} 列)` : '';
  const prefix = i.severity === 'warning' ? '警告: ' : '';
  return `${i.plugin}: ${where}${position}: ${prefix}${i.message} (${i.code})`;
}

const TYPE_NAMES: Record<string, string> = {
  string: '字符串',
  number: '数字',
  integer: '整数',
  boolean: '布尔值 (true/false)',
  array: '数组',
  object: '对象',
  null: 'null',
};

function typeName(t: unknown): string {
  if (Array.isArray(t)) return t.map(typeName).join(' 或 ');
  return typeof t === 'string' ? (TYPE_NAMES[t] ?? t) : String(t);
}

function jsonTypeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

const FORMAT_NAMES: Record<string, string> = {
  date: '日期 (YYYY-MM-DD)',
  'date-time': '日期时间',
  email: '电子邮箱',
  uri: 'URI',
  regex: '正则表达式',
  'cn-id-number': '身份证号码',
  'cn-mobile': '手机号码',
  'cn-plate': '车牌号码',
};

/** Stable issue code and Chinese message for one ajv error (ajv-i18n zh text plus specifics). */
function describe(e: ErrorObject): { code: string; message: string; pointerSuffix?: string } {
  const p = e.params as Record<string, unknown>;
  const base = e.message ?? e.keyword;
  switch (e.keyword) {
    case 'required':
      return { code: 'missing-property', message: `缺少必需的属性 "${String(p.missingProperty)}"` };
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const prop = String(p.additionalProperty ?? p.unevaluatedProperty);
      return {
        code: 'unknown-property',
        message: `不允许的属性 "${prop}"（拼写错误？）`,
        pointerSuffix: `/${escapePointerToken(prop)}`,
      };
    }
    case 'type':
      return {
        code: 'wrong-type',
        message: `类型错误：应为${typeName(p.type)}，实际为${typeName(jsonTypeOf(e.data))} ${show(e.data)}`,
      };
    case 'enum': {
      const allowed = Array.isArray(p.allowedValues) ? p.allowedValues.map(show).join('、') : '';
      return { code: 'invalid-value', message: `值 ${show(e.data)} 无效，应为以下之一：${allowed}` };
    }
    case 'const':
      return { code: 'invalid-value', message: `值 ${show(e.data)} 无效，应为 ${show(p.allowedValue)}` };
    case 'pattern': {
      // The schema's own description explains the pattern better than the regex does.
      const description = (e.parentSchema as { description?: unknown } | undefined)?.description;
      const hint = typeof description === 'string' ? description : `应匹配 ${String(p.pattern)}`;
      return { code: 'invalid-format', message: `${show(e.data)} 格式不正确（${hint}）` };
    }
    case 'format': {
      const f = String(p.format);
      return { code: 'invalid-format', message: `${show(e.data)} 不是有效的${FORMAT_NAMES[f] ?? f}` };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'multipleOf':
      return { code: 'out-of-range', message: `值 ${show(e.data)} 超出范围：${base}` };
    case 'minItems':
    case 'maxItems':
    case 'minLength':
    case 'maxLength':
    case 'minProperties':
    case 'maxProperties':
      return { code: 'invalid-length', message: base };
    case 'uniqueItems':
      return { code: 'duplicate-item', message: base };
    case 'propertyNames':
      return {
        code: 'invalid-key',
        message: `属性名 "${String(p.propertyName)}" 无效`,
        pointerSuffix: `/${escapePointerToken(String(p.propertyName))}`,
      };
    case 'discriminator':
      return p.error === 'mapping'
        ? { code: 'invalid-value', message: `"${String(p.tag)}" 的值 ${show(p.tagValue)} 无效` }
        : { code: 'missing-property', message: `缺少必需的属性 "${String(p.tag)}"（须为字符串）` };
    default:
      return { code: `schema-${e.keyword}`, message: base };
  }
}

/**
 * Turns ajv errors (from a validator compiled with `verbose: true`) into plugin issues:
 * Chinese messages, one issue per problem. Errors inside a failed `anyOf`/`oneOf` branch are
 * folded into the `anyOf`/`oneOf` issue; `if` errors are dropped (the `then` error says it).
 */
export function issuesFromAjv(
  errors: ErrorObject[] | null | undefined,
  ctx: { plugin: string; file: string; pointerPrefix?: string },
): PluginIssue[] {
  const list = localizeErrors(errors ? [...errors] : []);
  const drop = new Set<number>();
  const branchMessages = new Map<number, string[]>();
  list.forEach((e, index) => {
    if (e.keyword === 'if') drop.add(index);
    if (e.keyword !== 'anyOf' && e.keyword !== 'oneOf') return;
    // The failing branches' errors come right before, inside the same instance subtree.
    const messages: string[] = [];
    for (let j = index - 1; j >= 0; j--) {
      const b = list[j]!;
      if (b.instancePath !== e.instancePath && !b.instancePath.startsWith(`${e.instancePath}/`)) break;
      if (drop.has(j)) break;
      drop.add(j);
      messages.unshift(describe(b).message);
    }
    branchMessages.set(index, messages);
  });
  // ajv reports propertyNames failures twice (the inner keyword and propertyNames): keep the latter.
  list.forEach((e, index) => {
    if (e.keyword === 'propertyNames' && index > 0) {
      const prev = list[index - 1]!;
      if (prev.instancePath === e.instancePath && prev.keyword !== 'propertyNames') drop.add(index - 1);
    }
  });
  const seen = new Set<string>();
  const issues: PluginIssue[] = [];
  list.forEach((e, index) => {
    if (drop.has(index)) return;
    const described = describe(e);
    let { code, message } = described;
    const branches = branchMessages.get(index);
    if (branches) {
      code = 'invalid-value';
      const unique = [...new Set(branches)];
      message = `值 ${show(e.data)} 不符合任何一种允许的形式${unique.length ? `：${unique.join('；或 ')}` : ''}`;
    }
    const pointer = `${ctx.pointerPrefix ?? ''}${e.instancePath}${described.pointerSuffix ?? ''}`;
    const key = `${pointer}\u0000${code}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    issues.push({ plugin: ctx.plugin, file: ctx.file, pointer, code, message, severity: 'error' });
  });
  return issues;
}
