import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { maskIdNumber } from '../../core/crypto/sensitive.ts';
import {
  checkRecordFields,
  isFieldVisible,
  isMaskedIdNumber,
  visibleFieldKeys,
  type FormSchemaLike,
  type RecordCheckContext,
} from '../../core/forms/index.ts';
import { loadPluginFolder, type LoadedPlugin } from '../../core/plugins/index.ts';
import { validateRecordValues } from '../../core/records/validate-record.ts';
import type { FormSchema } from '../../core/types/generated/index.ts';
import { residentId } from '../support/id-numbers.ts';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

const ZHANG = residentId('110101', '19900307', '661'); // male, born 1990-03-07
const LI = residentId('310104', '19851231', '242'); // female

let expo: LoadedPlugin;
let marathon: LoadedPlugin;

async function load(code: string): Promise<LoadedPlugin> {
  const result = await loadPluginFolder(path.join(repoRoot, 'plugins', code));
  if (!result.ok) throw new Error(`${code} does not load`);
  return result.plugin;
}

beforeAll(async () => {
  [expo, marathon] = await Promise.all([load('demo-expo'), load('city-marathon')]);
});

const contextOf = (plugin: LoadedPlugin, kind: string): RecordCheckContext => ({
  kind,
  cardTypes: plugin.cardTypes,
  zones: plugin.manifest.event.zones.map((z) => z.code),
});

const person = (overrides: Record<string, unknown> = {}) => ({
  name: '张伟',
  gender: 'M',
  birthDate: '1990-03-07',
  idType: '1',
  idNumber: ZHANG,
  organization: '北京市某某局',
  mobile: '13800138000',
  cardType: 'STAFF',
  photo: 'p-1',
  ...overrides,
});

/** A form with one field per rule, compiled by ajv like a plugin's. */
const rules: FormSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  'x-recordKind': 'person',
  'x-label': '规则',
  properties: {
    name: { type: 'string', 'x-label': '姓名', 'x-widget': 'text', minLength: 2, maxLength: 3 },
    gender: {
      type: 'string',
      'x-label': '性别',
      'x-widget': 'radio',
      oneOf: [
        { const: 'M', title: '男' },
        { const: 'F', title: '女' },
      ],
    },
    code: { type: 'string', 'x-label': '编号', 'x-widget': 'text', pattern: '^\\p{Lu}\\d{3}$' },
    level: { type: 'string', 'x-label': '级别', 'x-widget': 'select', enum: ['A', 'B'] },
    age: { type: 'integer', 'x-label': '年龄', 'x-widget': 'number', minimum: 16, maximum: 99 },
    score: { type: 'number', 'x-label': '分数', 'x-widget': 'number', exclusiveMaximum: 10, multipleOf: 0.5 },
    email: { type: 'string', 'x-label': '邮箱', 'x-widget': 'text', format: 'email' },
    tags: {
      type: 'array',
      'x-label': '标签',
      'x-widget': 'checkbox',
      uniqueItems: true,
      maxItems: 2,
      items: { type: 'string', enum: ['x', 'y', 'z'] },
    },
    agree: { type: 'boolean', 'x-label': '同意', 'x-widget': 'checkbox' },
    passport: {
      type: 'string',
      'x-label': '护照信息',
      'x-widget': 'text',
      maxLength: 4,
      'x-visibleIf': { field: 'level', in: ['B'] },
    },
    photo: { type: 'string', 'x-label': '照片', 'x-widget': 'photo' },
  },
  required: ['name', 'gender', 'passport', 'photo'],
  additionalProperties: false,
};
const ruleContext: RecordCheckContext = { kind: 'person', cardTypes: [], zones: [] };
const rulesBase = { name: '张伟', gender: 'M' };

function check(form: FormSchemaLike, input: Record<string, unknown>, context = ruleContext) {
  return checkRecordFields(form, input, context);
}
const codes = (result: { fields: Record<string, { code: string }[]> }) =>
  Object.fromEntries(Object.entries(result.fields).map(([k, v]) => [k, v.map((i) => i.code)]));

describe('checkRecordFields: each rule', () => {
  it('required: 请填写 for text, 请选择 for choices, with the label', () => {
    const r = check(rules, {});
    expect(r.ok).toBe(false);
    expect(r.fields.name).toEqual([{ code: 'required', message: '请填写姓名' }]);
    expect(r.fields.gender).toEqual([{ code: 'required', message: '请选择性别' }]);
    expect(check(rules, { ...rulesBase, name: '   ' }).fields.name?.[0]?.code).toBe('required');
  });

  it('a missing required photo is a warning: it blocks review, not saving', () => {
    const r = check(rules, rulesBase);
    expect(r.ok).toBe(true);
    expect(r.complete).toBe(false);
    expect(r.fields.photo).toBeUndefined();
    expect(r.warnings.photo).toEqual([{ code: 'photo-required', message: '请上传照片' }]);
    expect(check(rules, { ...rulesBase, photo: 'p-1' }).complete).toBe(true);
  });

  it('minLength / maxLength count characters, not UTF-16 units', () => {
    expect(check(rules, { ...rulesBase, name: '𠮷𠮷𠮷' }).ok).toBe(true); // 3 characters, 6 units
    expect(codes(check(rules, { ...rulesBase, name: '𠮷𠮷𠮷𠮷' }))).toEqual({ name: ['maxLength'] });
    expect(check(rules, { ...rulesBase, name: '张' }).fields.name?.[0]?.message).toBe('姓名至少 2 个字符');
  });

  it('pattern is a unicode regular expression', () => {
    expect(check(rules, { ...rulesBase, code: 'Ä123' }).ok).toBe(true);
    expect(codes(check(rules, { ...rulesBase, code: 'a123' }))).toEqual({ code: ['pattern'] });
  });

  it('enum and oneOf membership', () => {
    expect(codes(check(rules, { ...rulesBase, level: 'C' }))).toEqual({ level: ['enum'] });
    expect(codes(check(rules, { ...rulesBase, gender: 'X' }))).toEqual({ gender: ['enum'] });
    expect(check(rules, { ...rulesBase, level: 'A' }).ok).toBe(true);
  });

  it('integer and number typing: numeric text is read as a number; ranges, multipleOf', () => {
    const r = check(rules, { ...rulesBase, age: ' 18 ', score: '9.5' });
    expect(r.ok).toBe(true);
    expect(r.values).toMatchObject({ age: 18, score: 9.5 });
    expect(codes(check(rules, { ...rulesBase, age: 'abc' }))).toEqual({ age: ['type'] });
    expect(codes(check(rules, { ...rulesBase, age: 18.5 }))).toEqual({ age: ['type'] });
    expect(codes(check(rules, { ...rulesBase, age: 15 }))).toEqual({ age: ['minimum'] });
    expect(codes(check(rules, { ...rulesBase, age: 100 }))).toEqual({ age: ['maximum'] });
    expect(codes(check(rules, { ...rulesBase, score: 10 }))).toEqual({ score: ['exclusiveMaximum'] });
    expect(codes(check(rules, { ...rulesBase, score: 9.3 }))).toEqual({ score: ['multipleOf'] });
  });

  it('formats: email', () => {
    expect(check(rules, { ...rulesBase, email: 'a@b.cn' }).ok).toBe(true);
    expect(codes(check(rules, { ...rulesBase, email: 'a@' }))).toEqual({ email: ['format'] });
  });

  it('array fields: items, uniqueItems, maxItems; text split into items', () => {
    expect(check(rules, { ...rulesBase, tags: 'x,y' }).values.tags).toEqual(['x', 'y']);
    expect(codes(check(rules, { ...rulesBase, tags: ['x', 'w'] }))).toEqual({ tags: ['enum'] });
    expect(codes(check(rules, { ...rulesBase, tags: ['x', 'x'] }))).toEqual({ tags: ['uniqueItems'] });
    expect(codes(check(rules, { ...rulesBase, tags: ['x', 'y', 'z'] }))).toEqual({ tags: ['maxItems'] });
    expect(check(rules, { ...rulesBase, tags: [] }).values.tags).toBeUndefined();
  });

  it('booleans: false is a value; "true" text is read as true', () => {
    expect(check(rules, { ...rulesBase, agree: false }).values.agree).toBe(false);
    expect(check(rules, { ...rulesBase, agree: 'true' }).values.agree).toBe(true);
    expect(codes(check(rules, { ...rulesBase, agree: 'yes' }))).toEqual({ agree: ['type'] });
  });

  it('unknown fields are reported and dropped', () => {
    const r = check(rules, { ...rulesBase, nickname: 'x' });
    expect(codes(r)).toEqual({ nickname: ['unknown-field'] });
    expect(r.values).not.toHaveProperty('nickname');
  });

  it('ID numbers, mobiles, plates: normalised, checked against idType; cross-checks', () => {
    const form = expo.forms.person!;
    const ctx = contextOf(expo, 'person');
    const ok = checkRecordFields(
      form,
      person({ idNumber: ` ${ZHANG.toLowerCase()} `, mobile: '138 0013 8000' }),
      ctx,
    );
    expect(ok.ok).toBe(true);
    expect(ok.values).toMatchObject({ idNumber: ZHANG, mobile: '13800138000' });

    const bad = ZHANG.slice(0, 17) + (ZHANG[17] === '1' ? '2' : '1');
    expect(checkRecordFields(form, person({ idNumber: bad }), ctx).fields.idNumber?.[0]?.message).toMatch(
      /校验/,
    );
    expect(codes(checkRecordFields(form, person({ idType: '4', idNumber: ZHANG }), ctx))).toEqual({
      idNumber: ['id-type-mismatch'],
    });
    const cross = checkRecordFields(
      form,
      person({ idNumber: LI, birthDate: '1985-12-30', gender: 'M' }),
      ctx,
    );
    expect(codes(cross)).toEqual({ gender: ['gender-mismatch'], birthDate: ['birth-date-mismatch'] });

    const vehicle = checkRecordFields(
      expo.forms.vehicle!,
      {
        plateNumber: '浙a 12345',
        vehicleType: expo.forms.vehicle!.properties.vehicleType!.oneOf?.[0]?.const ?? '',
        organization: '某某公司',
        driverName: '王五',
        driverIdNumber: ZHANG,
        mobile: '13800138000',
        cardType: 'VEHICLE',
        zones: 'P',
      },
      contextOf(expo, 'vehicle'),
    );
    expect(vehicle.fields).toEqual({});
    expect(vehicle.values).toMatchObject({ plateNumber: '浙A12345', zones: ['P'] });
  });

  it('card types of the event and kind, zones of the event', () => {
    const ctx = contextOf(expo, 'person');
    const r = checkRecordFields(expo.forms.person!, person({ cardType: 'VEHICLE', zones: ['A', 'Q'] }), ctx);
    expect(codes(r)).toEqual({ cardType: ['unknown-card-type'], zones: ['unknown-zone'] });
  });
});

describe('visibility (x-visibleIf)', () => {
  it('in / notIn, arrays (any element), empty controller, chains', () => {
    const form: FormSchemaLike = {
      properties: {
        a: { type: 'string' },
        b: { type: 'string', 'x-visibleIf': { field: 'a', in: ['1', 2] } },
        c: { type: 'string', 'x-visibleIf': { field: 'a', notIn: ['1'] } },
        d: { type: 'string', 'x-visibleIf': { field: 'b', in: ['on'] } },
        tags: { type: 'array' },
        e: { type: 'string', 'x-visibleIf': { field: 'tags', in: ['x'] } },
      },
    };
    expect(visibleFieldKeys(form, {})).toEqual(['a', 'c', 'tags']);
    expect(visibleFieldKeys(form, { a: ' 1 ' })).toEqual(['a', 'b', 'tags']);
    expect(isFieldVisible(form, 'b', { a: '2' })).toBe(true); // compared as text
    expect(isFieldVisible(form, 'd', { a: '1', b: 'on' })).toBe(true);
    expect(isFieldVisible(form, 'd', { a: '3', b: 'on' })).toBe(false); // its controller is hidden
    expect(isFieldVisible(form, 'e', { tags: ['y', 'x'] })).toBe(true);
    expect(isFieldVisible(form, 'e', { tags: ['y'] })).toBe(false);
  });

  it('a hidden field is neither required nor validated, and its value is dropped', () => {
    const hidden = check(rules, { ...rulesBase, level: 'A', passport: 'far too long' });
    expect(hidden.ok).toBe(true);
    expect(hidden.hidden).toEqual(['passport']);
    expect(hidden.values).not.toHaveProperty('passport');

    const shown = check(rules, { ...rulesBase, level: 'B' });
    expect(shown.fields.passport).toEqual([{ code: 'required', message: '请填写护照信息' }]);
    expect(codes(check(rules, { ...rulesBase, level: 'B', passport: 'far too long' }))).toEqual({
      passport: ['maxLength'],
    });
  });

  it('demo-expo: nationality only for documents other than the resident ID card', () => {
    const ctx = contextOf(expo, 'person');
    const form = expo.forms.person!;
    const resident = checkRecordFields(form, person({ nationality: '中国' }), ctx);
    expect(resident.hidden).toContain('nationality');
    expect(resident.values).not.toHaveProperty('nationality');
    const passport = checkRecordFields(
      form,
      person({ idType: '4', idNumber: 'E12345678', nationality: '美国', birthDate: undefined }),
      ctx,
    );
    expect(passport.fields).toEqual({});
    expect(passport.values.nationality).toBe('美国');
  });
});

describe('masked ID numbers', () => {
  it('isMaskedIdNumber recognises what maskIdNumber produces, and nothing else', () => {
    for (const n of [ZHANG, '110101900307661', 'E12345678', '1234567']) {
      expect(isMaskedIdNumber(maskIdNumber(n))).toBe(true);
    }
    expect(isMaskedIdNumber(ZHANG)).toBe(false);
    expect(isMaskedIdNumber('a*b*c')).toBe(false);
    expect(isMaskedIdNumber(12)).toBe(false);
  });

  it('an unchanged masked number is accepted; any other masked number is not', () => {
    const ctx = contextOf(expo, 'person');
    const masked = maskIdNumber(ZHANG);
    const kept = checkRecordFields(expo.forms.person!, person({ idNumber: masked }), {
      ...ctx,
      maskedOriginal: { idNumber: masked },
    });
    expect(kept.ok).toBe(true);
    const other = checkRecordFields(expo.forms.person!, person({ idNumber: masked }), ctx);
    expect(codes(other)).toEqual({ idNumber: ['masked-id-number'] });
  });
});

describe('the server accepts exactly what the browser accepts (except allOf rules)', () => {
  const junk: unknown[] = [
    undefined,
    '',
    '  ',
    'x',
    'x'.repeat(120),
    '𠮷'.repeat(4),
    12,
    12.5,
    '12',
    -3,
    true,
    'true',
    null,
    ['A'],
    ['Z'],
    'A,B',
    '１３８００１３８０００',
    '2024/1/2',
    '1990-02-30',
    'a@b.cn',
    '浙A12345',
    ZHANG,
    ZHANG.slice(0, 17) + 'Y',
    maskIdNumber(ZHANG),
    'E12345678',
    'M',
    '1',
    '4',
    'STAFF',
    'VEHICLE',
    'ATHLETE',
  ];

  interface Case {
    name: string;
    form: () => FormSchema;
    context: () => RecordCheckContext;
    base: () => Record<string, unknown>;
  }
  const cases: Case[] = [
    {
      name: 'demo-expo person',
      form: () => expo.forms.person!,
      context: () => contextOf(expo, 'person'),
      base: person,
    },
    {
      name: 'demo-expo vehicle',
      form: () => expo.forms.vehicle!,
      context: () => contextOf(expo, 'vehicle'),
      base: () => ({
        plateNumber: '浙A12345',
        vehicleType: expo.forms.vehicle!.properties.vehicleType!.oneOf?.[0]?.const,
        organization: '某某公司',
        driverName: '王五',
        driverIdNumber: ZHANG,
        mobile: '13800138000',
        cardType: 'VEHICLE',
      }),
    },
    {
      name: 'city-marathon person',
      form: () => marathon.forms.person!,
      context: () => contextOf(marathon, 'person'),
      base: () => ({
        ...person({ cardType: marathon.cardTypes.find((t) => t.recordKind === 'person')!.code }),
        bibNumber: 'A001',
      }),
    },
    {
      name: 'rules',
      form: () => rules,
      context: () => ruleContext,
      base: () => ({ ...rulesBase, level: 'B', passport: 'P1' }),
    },
  ];

  it.each(cases)('$name: same verdict for every field × junk value', ({ form, context, base }) => {
    const f = form();
    let compared = 0;
    for (const key of Object.keys(f.properties)) {
      for (const value of junk) {
        const input = { ...base(), [key]: value };
        const client = checkRecordFields(f, input, context());
        const server = validateRecordValues(f, input, context());
        const where = `${key} = ${JSON.stringify(value)}`;
        // The browser's verdict is the server's, field by field (same messages, same values) …
        for (const [k, issues] of Object.entries(client.fields))
          expect(server.fields[k], where).toEqual(issues);
        expect(server.values, where).toEqual(client.values);
        expect(server.warnings, where).toEqual(client.warnings);
        // … and the server adds only what the form's allOf rules say.
        const extra = Object.keys(server.fields).filter((k) => !client.fields[k]);
        for (const k of extra) {
          expect(allOfNames(f), `${where}: ${k} ${JSON.stringify(server.fields[k])}`).toContain(k);
        }
        // Without its allOf rules, the form gets exactly the browser's verdict.
        expect(validateRecordValues(withoutAllOf(f), input, context()).fields, where).toEqual(client.fields);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('the allOf backstop: city-marathon athletes need a bib number (server only)', () => {
    const f = marathon.forms.person!;
    const ctx = contextOf(marathon, 'person');
    const input = person({ cardType: 'ATHLETE' });
    expect(checkRecordFields(f, input, ctx).ok).toBe(true);
    const server = validateRecordValues(f, input, ctx);
    expect(server.fields).toEqual({ bibNumber: [{ code: 'required', message: '请填写参赛号码' }] });
  });

  it('the backstop ignores hidden fields and does not repeat a field that has a message', () => {
    const input = { ...rulesBase, level: 'B', passport: 'far too long' };
    expect(validateRecordValues(rules, input, ruleContext).fields).toEqual({
      passport: [{ code: 'maxLength', message: '护照信息不能超过 4 个字符' }],
    });
    expect(validateRecordValues(rules, { ...rulesBase, level: 'A' }, ruleContext).ok).toBe(true);
  });
});

const stripped = new WeakMap<FormSchema, FormSchema>();
/** The form without its allOf rules (one object per form: the server caches compiled forms by identity). */
function withoutAllOf(form: FormSchema): FormSchema {
  let copy = stripped.get(form);
  if (!copy) {
    copy = { ...form };
    delete copy.allOf;
    stripped.set(form, copy);
  }
  return copy;
}

/** Field names an `allOf` rule of the form mentions (its if/then/else). */
function allOfNames(form: FormSchema): string[] {
  const names = new Set<string>();
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'properties' && v && typeof v === 'object') Object.keys(v).forEach((n) => names.add(n));
        if (k === 'required' && Array.isArray(v)) v.forEach((n) => names.add(String(n)));
        walk(v);
      }
    }
  };
  walk(form.allOf ?? []);
  return [...names];
}
