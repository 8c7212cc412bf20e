import { describe, expect, it } from 'vitest';
import { createAjv } from '../../core/validation/ajv.ts';
import { fieldRule, normalizeFieldValue } from '../../core/validation/fields.ts';

/** GB 11643-1999 MOD 11-2, written out independently of the code under test. */
function withCheck(first17: string): string {
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * (2 ** (17 - i) % 11), 0);
  return first17 + '10X98765432'[sum % 11]!;
}

const resident = withCheck('11010519491231002'); // …002X, 北京, 1949-12-31, F
const residencePermit = withCheck('81000019900307123');

describe('formats in the project ajv accept canonical values only', () => {
  const ajv = createAjv();
  const validate = ajv.compile({
    type: 'object',
    properties: {
      id: { type: 'string', format: 'cn-id-number' },
      mobile: { type: 'string', format: 'cn-mobile' },
      plate: { type: 'string', format: 'cn-plate' },
      birthDate: { type: 'string', format: 'date' },
    },
  });
  const ok = (data: Record<string, string>) => validate(data);

  it('accepts canonical values', () => {
    expect(ok({ id: resident, mobile: '13812345678', plate: '粤BD12345', birthDate: '2000-02-29' })).toBe(
      true,
    );
    expect(ok({ id: residencePermit })).toBe(true);
    expect(ok({ id: '11010519491231002X', plate: '京A1234警' })).toBe(true);
  });

  it('cn-id-number: 18-character GB 11643 numbers, not passports, permits or foreign cards', () => {
    for (const id of ['E12345678', 'H12345678', '12345678', '932682198501010017', 'KAZ110090123105']) {
      expect(ok({ id })).toBe(false);
    }
  });

  it('rejects invalid and non-canonical spellings (normalise first)', () => {
    expect(ok({ id: '110105194912310021' })).toBe(false); // wrong check digit
    expect(ok({ id: resident.toLowerCase() })).toBe(false);
    expect(ok({ id: ` ${resident}` })).toBe(false);
    expect(ok({ id: '110105491231002' })).toBe(false); // 15 digits: store the converted 18
    expect(ok({ mobile: '138 1234 5678' })).toBe(false);
    expect(ok({ mobile: '+8613812345678' })).toBe(false);
    expect(ok({ plate: '粤B·D12345' })).toBe(false);
    expect(ok({ plate: '粤bd12345' })).toBe(false);
    expect(ok({ birthDate: '1990/3/7' })).toBe(false);
    expect(ok({ birthDate: '1990-02-30' })).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ instancePath: '/birthDate', keyword: 'format' });
  });

  it('is strict: unknown keywords, including misspelt x- keywords, do not compile', () => {
    expect(() => createAjv().compile({ type: 'string', 'x-lable': '姓名' })).toThrow(
      /unknown keyword: "x-lable"/,
    );
    expect(() => createAjv().compile({ type: 'string', 'x-widget': 'slider' })).toThrow(/x-widget/);
    expect(() => createAjv().compile({ type: 'string', format: 'cn-idnumber' })).toThrow(/unknown format/);
    expect(() =>
      createAjv().compile({ type: 'string', 'x-label': '姓名', 'x-widget': 'text' }),
    ).not.toThrow();
  });
});

describe('normalizeFieldValue: what forms and import run before ajv', () => {
  it('selects the rule from x-widget or format', () => {
    expect(fieldRule({ 'x-widget': 'idNumber' })).toBe('id-number');
    expect(fieldRule({ format: 'cn-id-number' })).toBe('id-number');
    expect(fieldRule({ 'x-widget': 'mobile' })).toBe('mobile');
    expect(fieldRule({ format: 'cn-mobile' })).toBe('mobile');
    expect(fieldRule({ 'x-widget': 'plate' })).toBe('plate');
    expect(fieldRule({ format: 'cn-plate' })).toBe('plate');
    expect(fieldRule({ 'x-widget': 'date' })).toBe('date');
    expect(fieldRule({ format: 'date' })).toBe('date');
    expect(fieldRule({ 'x-widget': 'text' })).toBeNull();
    expect(fieldRule({})).toBeNull();
  });

  it('ID numbers: canonical value, the ID check, the record’s idType', () => {
    const field = { type: 'string', 'x-widget': 'idNumber' };
    const r = normalizeFieldValue(field, ` ${resident.toLowerCase()} `, { idType: '1' });
    expect(r).toMatchObject({ rule: 'id-number', empty: false, valid: true, value: resident, errors: [] });
    expect(r.id).toMatchObject({ birthDate: '1949-12-31', gender: 'F' });

    const legacy = normalizeFieldValue(field, '110105491231002', { idType: '1' });
    expect(legacy).toMatchObject({ valid: true, value: resident });
    expect(legacy.warnings.map((w) => w.code)).toEqual(['legacy-15-converted']);

    expect(normalizeFieldValue(field, 'X1234567', { idType: '4' })).toMatchObject({
      valid: true,
      value: 'X1234567',
    });
    expect(normalizeFieldValue(field, 'e12345678', { idType: '1' }).errors.map((e) => e.code)).toEqual([
      'id-type-mismatch',
    ]);
    // A wrong number keeps its cleaned text, never a repaired one.
    const wrong = normalizeFieldValue(field, '110105 194912310021', {});
    expect(wrong).toMatchObject({ valid: false, value: '110105194912310021' });
    expect(wrong.errors.map((e) => e.code)).toEqual(['check-digit']);
    expect(normalizeFieldValue(field, '1.10105194912E+17').errors.map((e) => e.code)).toEqual([
      'excel-mangled',
    ]);
  });

  it('a field declared format cn-id-number takes GB 11643 numbers only', () => {
    const field = { type: 'string', format: 'cn-id-number' };
    expect(normalizeFieldValue(field, residencePermit).valid).toBe(true);
    expect(normalizeFieldValue(field, 'E12345678').errors.map((e) => e.code)).toEqual(['not-resident-id']);
  });

  it('the normalised values pass the form’s ajv formats', () => {
    const form = {
      type: 'object',
      properties: {
        idNumber: { type: 'string', format: 'cn-id-number', 'x-widget': 'idNumber' },
        mobile: { type: 'string', 'x-widget': 'mobile', format: 'cn-mobile' },
        plateNumber: { type: 'string', 'x-widget': 'plate', format: 'cn-plate' },
        birthDate: { type: 'string', 'x-widget': 'date', format: 'date' },
      },
    } as const;
    const raw: Record<string, unknown> = {
      idNumber: '１１０１０５ 491231002',
      mobile: '+86 138-1234-5678',
      plateNumber: '粤b·d12345',
      birthDate: 18263, // Excel serial of 1949-12-31
    };
    const values = Object.fromEntries(
      Object.entries(form.properties).map(([key, field]) => [
        key,
        normalizeFieldValue(field, raw[key]).value,
      ]),
    );
    expect(values).toEqual({
      idNumber: resident,
      mobile: '13812345678',
      plateNumber: '粤BD12345',
      birthDate: '1949-12-31',
    });
    expect(createAjv().compile(form)(values)).toBe(true);
  });

  it('dates, mobiles, plates and plain fields', () => {
    expect(normalizeFieldValue({ format: 'date' }, '1990年3月7日')).toMatchObject({
      valid: true,
      value: '1990-03-07',
    });
    expect(normalizeFieldValue({ format: 'date' }, ' 1990-02-30 ')).toMatchObject({
      valid: false,
      value: '1990-02-30',
    });
    expect(normalizeFieldValue({ 'x-widget': 'mobile' }, '138 1234 567')).toMatchObject({
      valid: false,
      value: '1381234567',
    });
    expect(normalizeFieldValue({ 'x-widget': 'plate' }, '京a·12345')).toMatchObject({
      valid: true,
      value: '京A12345',
    });
    expect(normalizeFieldValue({ 'x-widget': 'text' }, '\u3000张三 ')).toMatchObject({
      rule: null,
      valid: true,
      value: '张三',
    });
    expect(normalizeFieldValue({ type: 'integer' }, 42)).toMatchObject({ valid: true, value: 42 });
  });

  it('empty values are left to ajv’s required', () => {
    for (const empty of [undefined, null, '', ' \u3000 ', []]) {
      expect(normalizeFieldValue({ 'x-widget': 'idNumber' }, empty)).toEqual({
        rule: 'id-number',
        empty: true,
        value: undefined,
        valid: true,
        errors: [],
        warnings: [],
      });
    }
  });
});
