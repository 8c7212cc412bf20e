import { describe, expect, it } from 'vitest';
import { createAjv } from '../../core/validation/ajv.ts';
import { checkIdNumber, idNumberCheckChar } from '../../core/validation/id-number.ts';
import { checkMobile } from '../../core/validation/mobile.ts';
import { checkPlate } from '../../core/validation/plate.ts';

/** GB 11643-1999 MOD 11-2, written out independently of the code under test. */
function mod112(first17: string): string {
  const weights = first17.split('').map((_, i) => 2 ** (17 - i) % 11);
  const sum = first17.split('').reduce((acc, d, i) => acc + Number(d) * weights[i]!, 0);
  return '10X98765432'[sum % 11]!;
}
const withCheck = (first17: string) => first17 + mod112(first17);

describe('MOD 11-2 helper of this test', () => {
  it('agrees with the standard’s published examples', () => {
    expect(withCheck('11010519491231002')).toBe('11010519491231002X');
    expect(withCheck('44052418800101001')).toBe('440524188001010014');
  });
});

describe('checkIdNumber', () => {
  const before1900 = withCheck('44052418800101001'); // the standard's example: born 1880
  const valid = [
    withCheck('11010519491231002'), // 北京 1949-12-31, 女
    withCheck('32010619900307123'), // 江苏南京 1990-03-07
    withCheck('51010720000229007'), // 四川成都 2000-02-29 (leap year)
    withCheck('65010219851111553'), // 新疆乌鲁木齐
  ];

  it('accepts valid 18-digit numbers and reads birth date and gender', () => {
    const r = checkIdNumber(valid[1]!);
    expect(r).toMatchObject({ valid: true, normalized: valid[1], errors: [] });
    expect(r.info).toEqual({ birthDate: '1990-03-07', gender: 'M', regionCode: '320106' });
    expect(checkIdNumber(valid[0]!).info?.gender).toBe('F');
    expect(checkIdNumber(valid[2]!).valid).toBe(true);
    expect(checkIdNumber(valid[3]!).valid).toBe(true);
    expect(idNumberCheckChar('32010619900307123')).toBe(mod112('32010619900307123'));
  });

  it('rejects a wrong check digit and says which digit is expected', () => {
    const good = valid[1]!;
    const wrongLast = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
    const r = checkIdNumber(wrongLast);
    expect(r.valid).toBe(false);
    expect(r.errors).toEqual([
      { code: 'check-digit', message: expect.stringContaining(good[17]!) as string },
    ]);
    // A typo in the body is caught by the check digit too.
    const typo = `${good.slice(0, 14)}${(Number(good[14]) + 1) % 10}${good.slice(15)}`;
    expect(checkIdNumber(typo).errors.map((e) => e.code)).toEqual(['check-digit']);
  });

  it('rejects impossible dates, unknown provinces and years before 1900', () => {
    expect(checkIdNumber(withCheck('11010519900230123')).errors.map((e) => e.code)).toEqual(['birth-date']);
    expect(checkIdNumber(withCheck('51010720010229007')).errors.map((e) => e.code)).toEqual(['birth-date']);
    expect(checkIdNumber(withCheck('99010519900101123')).errors.map((e) => e.code)).toEqual(['region']);
    expect(checkIdNumber(before1900).errors.map((e) => e.code)).toEqual(['birth-date']);
    const future = checkIdNumber(withCheck('11010520990101123'), new Date('2026-01-01'));
    expect(future.errors[0]?.message).toContain('晚于今天');
  });

  it('normalises lower-case x, full-width digits and blanks', () => {
    const x = valid[0]!;
    expect(checkIdNumber(x.toLowerCase())).toMatchObject({ valid: true, normalized: x });
    const fullWidth = x.replace(/[0-9X]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    expect(checkIdNumber(` ${fullWidth.slice(0, 6)} ${fullWidth.slice(6)}\u00a0`)).toMatchObject({
      valid: true,
      normalized: x,
    });
  });

  it('names the typical mistakes', () => {
    expect(checkIdNumber('1.10105194912E+17').errors[0]?.code).toBe('excel-number');
    expect(checkIdNumber('110105491231002').errors[0]?.code).toBe('legacy-15');
    expect(checkIdNumber('11010519491231002').errors[0]?.code).toBe('length');
    expect(checkIdNumber('1101051949123100AB').errors[0]?.code).toBe('charset');
    expect(checkIdNumber('  ').errors[0]?.code).toBe('empty');
  });
});

describe('checkMobile', () => {
  it('accepts 1[3-9] + 9 digits, with +86 and separators normalised', () => {
    expect(checkMobile('13812345678')).toEqual({ valid: true, normalized: '13812345678', errors: [] });
    expect(checkMobile('+86 138-1234-5678').normalized).toBe('13812345678');
    expect(checkMobile('0086 19912345678')).toMatchObject({ valid: true, normalized: '19912345678' });
    expect(checkMobile('１３８１２３４５６７８').valid).toBe(true);
  });

  it('rejects wrong prefix, length and characters', () => {
    expect(checkMobile('12812345678').errors[0]?.code).toBe('prefix');
    expect(checkMobile('1381234567').errors[0]?.code).toBe('length');
    expect(checkMobile('138123456789').errors[0]?.code).toBe('length');
    expect(checkMobile('1381234567a').errors[0]?.code).toBe('charset');
    expect(checkMobile('').errors[0]?.code).toBe('empty');
  });
});

describe('checkPlate', () => {
  it('accepts ordinary and new-energy plates', () => {
    expect(checkPlate('京A12345')).toMatchObject({ valid: true, kind: 'ordinary' });
    expect(checkPlate('浙AX7B29')).toMatchObject({ valid: true, kind: 'ordinary' });
    expect(checkPlate('沪A1234挂')).toMatchObject({ valid: true, kind: 'ordinary' });
    expect(checkPlate('粤B·D12345')).toMatchObject({
      valid: true,
      kind: 'new-energy',
      normalized: '粤BD12345',
    });
    expect(checkPlate('粤BFA1234')).toMatchObject({ valid: true, kind: 'new-energy' });
    expect(checkPlate('苏E12345D')).toMatchObject({ valid: true, kind: 'new-energy' });
    expect(checkPlate(' 川a 12345 ')).toMatchObject({ valid: true, normalized: '川A12345' });
  });

  it('rejects bad province, length, and the letters I and O', () => {
    expect(checkPlate('XA12345').errors[0]?.code).toBe('province');
    expect(checkPlate('京A1234').errors[0]?.code).toBe('length');
    expect(checkPlate('京A123456789').errors[0]?.code).toBe('length');
    expect(checkPlate('京I12345').errors[0]?.code).toBe('format');
    expect(checkPlate('京AO1234').errors[0]?.code).toBe('format');
    expect(checkPlate('粤BA12345').errors[0]?.code).toBe('format'); // 8 chars but not D/F
  });
});

describe('formats in the project ajv', () => {
  const ajv = createAjv();
  const validate = ajv.compile({
    type: 'object',
    properties: {
      id: { type: 'string', format: 'cn-id-number' },
      mobile: { type: 'string', format: 'cn-mobile' },
      plate: { type: 'string', format: 'cn-plate' },
    },
  });

  it('accepts canonical values', () => {
    expect(validate({ id: '11010519491231002X', mobile: '13812345678', plate: '粤BD12345' })).toBe(true);
  });

  it('rejects invalid and non-canonical spellings (normalise before validating)', () => {
    expect(validate({ id: '110105194912310021' })).toBe(false);
    expect(validate({ id: '11010519491231002x' })).toBe(false);
    expect(validate({ mobile: '138 1234 5678' })).toBe(false);
    expect(validate({ plate: '粤B·D12345' })).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ instancePath: '/plate', keyword: 'format' });
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
