import { describe, expect, it } from 'vitest';
import {
  checkIdNumber,
  crossCheckPerson,
  describeIdCheck,
  foreignPermanent2017CheckDigit,
  idNumberCheckChar,
  idTypeKinds,
  normalizeGender,
  normalizeIdNumber,
} from '../../core/validation/index.ts';

// ---------------------------------------------------------------------------------------------
// Independent implementations, so the tests do not trust the code they test.

/** GB 11643-1999 / ISO 7064 MOD 11-2: weight of position i (from the left, 0-based) is 2^(17-i) mod 11. */
function mod112(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (2 ** (17 - i) % 11);
  return '10X98765432'[sum % 11]!;
}
const id18 = (first17: string) => first17 + mod112(first17);

/** 2017 foreign permanent resident card: weights 7,3,1 repeating, letters A=10 … Z=35, mod 10. */
function check731(first14: string): string {
  let sum = 0;
  for (let i = 0; i < 14; i++) sum += parseInt(first14[i]!, 36) * [7, 3, 1][i % 3]!;
  return String(sum % 10);
}
const fpr2017 = (first14: string) => first14 + check731(first14);

/** A number whose last character is replaced by a different valid-looking one. */
function withWrongCheck(n: string): string {
  const last = n[n.length - 1];
  return n.slice(0, -1) + (last === '3' ? '4' : '3');
}

const toFullWidth = (s: string) =>
  s.replace(/[0-9A-Za-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
const today = new Date(2026, 4, 1, 12, 0, 0); // 2026-05-01, local time
const codes = (input: unknown, opts: Parameters<typeof checkIdNumber>[1] = { today }) =>
  checkIdNumber(input, opts).errors.map((e) => e.code);

describe('the independent helpers agree with the standards’ published examples', () => {
  it('MOD 11-2 (GB 11643-1999 appendix examples)', () => {
    expect(id18('11010519491231002')).toBe('11010519491231002X');
    expect(id18('44052418800101001')).toBe('440524188001010014');
  });

  it('MOD 11-2 on the NIA example of a 2023 foreign permanent resident card', () => {
    expect(id18('93268219850101001')).toBe('932682198501010017');
  });

  it('7-3-1 on the public sample of a 2017 card', () => {
    expect(fpr2017('KAZ11009012310')).toBe('KAZ110090123105');
  });

  it('the code under test computes the same check characters', () => {
    // A deterministic spread of bodies: every position and residue gets exercised.
    for (let k = 0; k < 500; k++) {
      const body = String(110101190001010000n + BigInt(k) * 7919113n).slice(0, 17);
      expect(idNumberCheckChar(body)).toBe(mod112(body));
    }
    for (const body of ['KAZ11009012310', 'USA31018507153', 'ZZZ65000101012', 'ABC12345678901']) {
      expect(foreignPermanent2017CheckDigit(body)).toBe(check731(body));
    }
    expect(() => idNumberCheckChar('1234')).toThrow();
  });
});

describe('checkIdNumber: resident ID numbers (GB 11643-1999)', () => {
  const valid: Array<[string, string, 'M' | 'F', string]> = [
    ['11010519491231002', '1949-12-31', 'F', '北京市'],
    ['12010419800101123', '1980-01-01', 'M', '天津市'],
    ['31011519751120456', '1975-11-20', 'F', '上海市'],
    ['44030519990909001', '1999-09-09', 'M', '广东省'],
    ['65010219851111553', '1985-11-11', 'M', '新疆维吾尔自治区'],
    ['54010219700505002', '1970-05-05', 'F', '西藏自治区'],
    ['50010319880808017', '1988-08-08', 'M', '重庆市'],
    ['46000319920229008', '1992-02-29', 'F', '海南省'],
    ['23010219600601009', '1960-06-01', 'M', '黑龙江省'],
    ['45010219931010010', '1993-10-10', 'F', '广西壮族自治区'],
    ['15010219780707035', '1978-07-07', 'M', '内蒙古自治区'],
    ['64010419830303046', '1983-03-03', 'F', '宁夏回族自治区'],
    ['71000019650404011', '1965-04-04', 'M', '台湾省'],
    ['51010720000229007', '2000-02-29', 'M', '四川省'], // leap day of a year divisible by 400
    ['32010619000101002', '1900-01-01', 'F', '江苏省'], // the earliest accepted date
  ];

  it.each(valid)('%s… is valid: born %s, %s, %s', (first17, birthDate, gender, region) => {
    const n = id18(first17);
    expect(checkIdNumber(n, { today })).toEqual({
      input: n,
      valid: true,
      normalized: n,
      kind: 'resident',
      birthDate,
      gender,
      region,
      errors: [],
      warnings: [],
    });
  });

  it('accepts retired county codes: only the province part must exist', () => {
    // 110104 宣武区 (merged into 西城区 in 2010), 510215 (a Sichuan code of today’s Chongqing, before 1997).
    expect(checkIdNumber(id18('11010419700101001'), { today })).toMatchObject({
      valid: true,
      region: '北京市',
    });
    expect(checkIdNumber(id18('51021519700101002'), { today })).toMatchObject({
      valid: true,
      region: '四川省',
    });
  });

  it.each(['00', '10', '19', '20', '24', '30', '39', '47', '55', '60', '66', '70', '72', '80', '84'])(
    'rejects the province code %s',
    (province) => {
      const r = checkIdNumber(id18(`${province}010519900101001`), { today });
      expect(r).toMatchObject({
        valid: false,
        kind: 'resident',
        birthDate: null,
        gender: null,
        region: null,
      });
      expect(r.errors.map((e) => e.code)).toEqual(['region']);
      expect(r.errors[0]!.message).toContain(`${province}0105`);
    },
  );

  it('rejects impossible calendar dates', () => {
    expect(codes(id18('11010519000229001'))).toEqual(['birth-date-invalid']); // 1900 is not a leap year
    expect(codes(id18('11010520010229001'))).toEqual(['birth-date-invalid']);
    expect(codes(id18('11010519900230001'))).toEqual(['birth-date-invalid']);
    expect(codes(id18('11010519900431001'))).toEqual(['birth-date-invalid']);
    expect(codes(id18('11010519901301001'))).toEqual(['birth-date-invalid']);
    expect(codes(id18('11010519900001001'))).toEqual(['birth-date-invalid']);
    expect(codes(id18('11010519900100001'))).toEqual(['birth-date-invalid']);
    expect(checkIdNumber(id18('11010519900230001'), { today }).errors[0]!.message).toContain('1990-02-30');
  });

  it('rejects birth dates before 1900 and in the future (relative to `today`)', () => {
    expect(codes(id18('44052418800101001'))).toEqual(['birth-date-too-early']);
    expect(codes(id18('11010518991231001'))).toEqual(['birth-date-too-early']);
    expect(codes(id18('11010520990101001'))).toEqual(['birth-date-future']);
    expect(codes(id18('11010520260502001'))).toEqual(['birth-date-future']); // tomorrow
    expect(codes(id18('11010520260501001'))).toEqual([]); // born today
    // Without `today`, now is used.
    expect(codes(id18('11010520990101001'), {})).toEqual(['birth-date-future']);
  });

  it('reads gender from the parity of the 17th digit', () => {
    for (let d = 0; d <= 9; d++) {
      const r = checkIdNumber(id18(`1101051990030712${d}`), { today });
      expect(r.gender).toBe(d % 2 === 1 ? 'M' : 'F');
    }
  });

  it('accepts X as check character, and a lower-case x', () => {
    const n = id18('11010519491231002');
    expect(n.endsWith('X')).toBe(true);
    expect(checkIdNumber(n.toLowerCase(), { today })).toMatchObject({
      valid: true,
      normalized: n,
      input: n.toLowerCase(),
    });
  });

  it('rejects a wrong check digit without revealing the right one', () => {
    const good = [id18('32010619900307123'), id18('11010519491231002'), id18('44030519990909001')];
    const messages = new Set<string>();
    for (const n of good) {
      const wrong = withWrongCheck(n);
      const r = checkIdNumber(wrong, { today });
      expect(r).toMatchObject({
        valid: false,
        kind: 'resident',
        birthDate: null,
        gender: null,
        region: null,
      });
      expect(r.errors.map((e) => e.code)).toEqual(['check-digit']);
      expect(r.errors[0]!.message).not.toMatch(/应为|should be/);
      messages.add(r.errors[0]!.message);
    }
    expect(messages.size).toBe(1); // the same text whatever digit was expected
    // A typo anywhere in the body is caught by the check digit.
    const n = good[0]!;
    for (const pos of [2, 7, 12, 15]) {
      const typo = n.slice(0, pos) + ((Number(n[pos]) + 1) % 10) + n.slice(pos + 1);
      expect(codes(typo)).toContain('check-digit');
    }
    // Two adjacent digits swapped.
    const swapped = n.slice(0, 14) + n[15] + n[14] + n.slice(16);
    if (swapped !== n) expect(codes(swapped)).toContain('check-digit');
  });

  it('reports every problem at once', () => {
    expect(codes(withWrongCheck(id18('00010519900230001')))).toEqual([
      'region',
      'birth-date-invalid',
      'check-digit',
    ]);
    // Starting with 9, it is read as a 2023 foreign permanent resident card (office code 90).
    const r = checkIdNumber(withWrongCheck(id18('99010519900230001')), { today });
    expect(r.kind).toBe('foreign-permanent-2023');
    expect(r.errors.map((e) => e.code)).toEqual(['region', 'birth-date-invalid', 'check-digit']);
  });
});

describe('checkIdNumber: normalisation', () => {
  const n = id18('11010519491231002'); // ends in X

  it.each([
    ['full-width digits and Ｘ', toFullWidth(n)],
    ['full-width digits and ｘ', toFullWidth(n.toLowerCase())],
    ['spaces inside', `${n.slice(0, 6)} ${n.slice(6, 14)} ${n.slice(14)}`],
    ['ideographic space U+3000', `${n.slice(0, 6)}\u3000${n.slice(6)}`],
    ['no-break spaces', `\u00a0${n}\u00a0`],
    ['zero-width space and BOM', `\ufeff${n.slice(0, 9)}\u200b${n.slice(9)}`],
    ['tabs and line breaks', `\t${n}\r\n`],
    ['a leading Excel text apostrophe', `'${n}`],
    ['everything at once', ` '${toFullWidth(n.slice(0, 10))}\u3000${n.slice(10, 17)} x\u200d `],
  ])('%s', (_label, input) => {
    expect(checkIdNumber(input, { today })).toMatchObject({
      valid: true,
      normalized: n,
      input,
      kind: 'resident',
    });
  });

  it('normalizeIdNumber folds, strips and upper-cases without converting', () => {
    expect(normalizeIdNumber(' ｅ１２３ ４５６７８ ')).toBe('E12345678');
    expect(normalizeIdNumber('110105491231002')).toBe('110105491231002');
  });

  it('does not take look-alikes of X for X', () => {
    const r = checkIdNumber(`${n.slice(0, 17)}×`, { today });
    expect(r.errors.map((e) => e.code)).toEqual(['charset']);
    expect(r.errors[0]!.message).toContain('字母 X');
  });

  it('names wrong lengths and characters', () => {
    expect(codes(n.slice(0, 17))).toEqual(['length']);
    expect(codes(`${n}1`)).toEqual(['unrecognized']);
    expect(codes('11010519491231002')).toEqual(['length']);
    expect(codes('1101051949123100AB')).toEqual(['charset']);
    expect(codes('110105-19491231-002X')).toEqual(['charset']);
    expect(codes('1101051949')).toEqual(['length']);
  });

  it('rejects empty input and values that are not text', () => {
    for (const empty of ['', '   ', '\u3000', null, undefined]) expect(codes(empty)).toEqual(['empty']);
    expect(codes({})).toEqual(['not-text']);
    expect(codes(new Date())).toEqual(['not-text']);
    expect(codes(true)).toEqual(['not-text']);
  });
});

describe('checkIdNumber: legacy 15-digit numbers (GB 11643-1989)', () => {
  it('accepts them and converts to 18 digits, saying so', () => {
    const r = checkIdNumber('110105491231002', { today });
    expect(r).toEqual({
      input: '110105491231002',
      valid: true,
      normalized: '11010519491231002X',
      kind: 'resident-legacy15',
      birthDate: '1949-12-31',
      gender: 'F',
      region: '北京市',
      errors: [],
      warnings: [
        { code: 'legacy-15-converted', message: expect.stringContaining('11010519491231002X') as string },
      ],
    });
  });

  it.each([
    ['320106900307123', '1990-03-07', 'M'],
    ['440305850101004', '1985-01-01', 'F'],
    ['650102000101001', '1900-01-01', 'M'],
  ])('%s → 19 inserted, MOD 11-2 computed', (legacy, birthDate, gender) => {
    const expected = id18(`${legacy.slice(0, 6)}19${legacy.slice(6)}`);
    expect(checkIdNumber(legacy, { today })).toMatchObject({
      valid: true,
      normalized: expected,
      birthDate,
      gender,
      kind: 'resident-legacy15',
    });
  });

  it('an invalid 15-digit number is not converted', () => {
    const r = checkIdNumber('510107000229007', { today }); // 1900-02-29 does not exist
    expect(r.errors.map((e) => e.code)).toEqual(['birth-date-invalid']);
    expect(r).toMatchObject({
      valid: false,
      normalized: '510107000229007',
      kind: 'resident-legacy15',
      warnings: [],
    });
  });

  it('checks their province and date too', () => {
    expect(codes('990105491231002')).toEqual(['region']);
    expect(codes('110105490231002')).toEqual(['birth-date-invalid']);
  });

  it('accepts full-width and spaced spellings', () => {
    expect(checkIdNumber(` ${toFullWidth('110105')} 491231002`, { today }).normalized).toBe(
      '11010519491231002X',
    );
  });
});

describe('checkIdNumber: numbers mangled by Excel', () => {
  it.each([
    '1.10101199003E+17',
    '1.10101199003e+17',
    '1.10101E17',
    ' 1.10101199003E+17 ',
    '１．１０１０１Ｅ＋１７',
  ])('scientific notation %j', (input) => {
    const r = checkIdNumber(input, { today });
    expect(r).toMatchObject({ valid: false, kind: 'unknown' });
    expect(r.errors.map((e) => e.code)).toEqual(['excel-mangled']);
    expect(r.errors[0]!.message).toContain('文本');
  });

  it('18 digits ending in 000 whose check fails (lost float precision)', () => {
    expect(codes('110101199003070000')).toEqual(['excel-mangled']);
    expect(codes('440305199909090000')).toEqual(['excel-mangled']);
    // …but a genuine number ending in 000 is valid.
    let genuine = '';
    for (let day = 1; day <= 28 && !genuine; day++) {
      for (let s = 0; s <= 9 && !genuine; s++) {
        const n = id18(`110101199003${String(day).padStart(2, '0')}${s}00`);
        if (n.endsWith('000')) genuine = n;
      }
    }
    expect(genuine).not.toBe('');
    expect(checkIdNumber(genuine, { today }).valid).toBe(true);
  });

  it('JS numbers: 18 digits cannot survive a number cell', () => {
    // 110101199003071234 is beyond 2^53: the value is not the number any more.
    // eslint-disable-next-line no-loss-of-precision -- this is exactly the value Excel hands over
    expect(codes(110101199003071234)).toEqual(['excel-mangled']);
    expect(codes(1.10101199003e17)).toEqual(['excel-mangled']);
    expect(codes(Number.NaN)).toEqual(['excel-mangled']);
    expect(codes(-12345678)).toEqual(['excel-mangled']);
  });

  it('JS numbers of up to 15 digits are intact, with a warning about the cell format', () => {
    const r = checkIdNumber(110105491231002, { today });
    expect(r).toMatchObject({ valid: true, normalized: '11010519491231002X', kind: 'resident-legacy15' });
    expect(r.warnings.map((w) => w.code)).toEqual(['numeric-cell', 'legacy-15-converted']);
    expect(checkIdNumber(12345678, { today })).toMatchObject({ valid: true, kind: 'taiwan-permit' });
  });

  it('bigint values are exact', () => {
    expect(checkIdNumber(320106199003071237n, { today })).toMatchObject({ normalized: '320106199003071237' });
  });
});

describe('checkIdNumber: residence permits for HK, Macau and Taiwan residents', () => {
  it.each([
    ['81000019900307123', '香港特别行政区', 'M'],
    ['82000019851111002', '澳门特别行政区', 'F'],
    ['83000020000229005', '台湾', 'M'],
  ])('%s… is valid', (first17, region, gender) => {
    const n = id18(first17);
    expect(checkIdNumber(n, { today })).toMatchObject({
      valid: true,
      normalized: n,
      kind: 'hk-macau-tw-residence',
      region,
      gender,
    });
    expect(checkIdNumber(n, { today, idType: '6' }).valid).toBe(true);
    expect(codes(withWrongCheck(n))).toEqual(['check-digit']);
  });

  it('is not a 居民身份证', () => {
    expect(codes(id18('81000019900307123'), { today, idType: '1' })).toEqual(['id-type-mismatch']);
  });
});

describe('checkIdNumber: foreign permanent resident ID cards', () => {
  it('2023 card: the NIA example (9 | 32 江苏 | 682 沙特阿拉伯 | 19850101 | 001 | 7)', () => {
    expect(checkIdNumber('932682198501010017', { today })).toEqual({
      input: '932682198501010017',
      valid: true,
      normalized: '932682198501010017',
      kind: 'foreign-permanent-2023',
      birthDate: '1985-01-01',
      gender: 'M',
      region: '江苏省',
      errors: [],
      warnings: [],
    });
  });

  it('2023 card: more numbers, wrong check digit, bad office code, bad date', () => {
    expect(checkIdNumber(id18('91112419810803002'), { today })).toMatchObject({
      valid: true,
      region: '北京市',
      gender: 'F',
      birthDate: '1981-08-03',
    });
    expect(checkIdNumber(id18('94484019921212003'), { today })).toMatchObject({
      valid: true,
      region: '广东省',
    });
    expect(codes(withWrongCheck('932682198501010017'))).toEqual(['check-digit']);
    expect(codes(id18('99984019921212003'))).toEqual(['region']);
    expect(codes(id18('93268219850230001'))).toEqual(['birth-date-invalid']);
    expect(checkIdNumber('932682198501010017', { today, idType: '5' }).valid).toBe(true);
    expect(codes('932682198501010017', { today, idType: '1' })).toEqual(['id-type-mismatch']);
  });

  it('2017 card: the public sample KAZ110090123105', () => {
    expect(checkIdNumber('KAZ110090123105', { today })).toEqual({
      input: 'KAZ110090123105',
      valid: true,
      normalized: 'KAZ110090123105',
      kind: 'foreign-permanent-2017',
      birthDate: '1990-12-31',
      gender: 'F',
      region: '北京市',
      errors: [],
      warnings: [],
    });
  });

  it('2017 card: lower case, full width, other nationalities and offices', () => {
    const usa = fpr2017('USA31018507153');
    expect(checkIdNumber(usa.toLowerCase(), { today })).toMatchObject({
      valid: true,
      normalized: usa,
      birthDate: '1985-07-15',
      gender: 'M',
      region: '上海市',
    });
    expect(checkIdNumber(toFullWidth(usa), { today }).valid).toBe(true);
    expect(checkIdNumber(usa, { today, idType: '外国人永久居留身份证' }).valid).toBe(true);
  });

  it('2017 card: the century is the most recent one not in the future', () => {
    expect(checkIdNumber(fpr2017('CAN44031001011'), { today }).birthDate).toBe('2010-01-01');
    expect(checkIdNumber(fpr2017('CAN44032605011'), { today }).birthDate).toBe('2026-05-01');
    expect(checkIdNumber(fpr2017('CAN44032605021'), { today }).birthDate).toBe('1926-05-02');
    expect(checkIdNumber(fpr2017('GBR11000002292'), { today }).birthDate).toBe('2000-02-29');
  });

  it('2017 card: wrong check digit, bad office, impossible date', () => {
    expect(codes('KAZ110090123107')).toEqual(['check-digit']);
    expect(codes(fpr2017('KAZ99009012310'))).toEqual(['region']);
    expect(codes(fpr2017('KAZ11009002310'))).toEqual(['birth-date-invalid']);
    expect(codes(fpr2017('KAZ11009713010'))).toEqual(['birth-date-invalid']);
  });
});

describe('checkIdNumber: passports and travel permits (by pattern)', () => {
  it.each([
    ['E12345678', 'passport'],
    ['EA1234567', 'passport'],
    ['EH7654321', 'passport'],
    ['G12345678', 'passport'],
    ['P1234567', 'passport'],
    ['DE1234567', 'passport'],
    ['SE1234567', 'passport'],
    ['H12345678', 'hk-macau-permit'],
    ['M87654321', 'hk-macau-permit'],
    ['H1234567801', 'hk-macau-permit'],
    ['C12345678', 'hk-macau-permit'],
    ['CA1234567', 'hk-macau-permit'],
    ['12345678', 'taiwan-permit'],
  ])('%s is a %s', (n, kind) => {
    const r = checkIdNumber(n.toLowerCase(), { today });
    expect(r).toMatchObject({
      valid: true,
      normalized: n,
      kind,
      birthDate: null,
      gender: null,
      region: null,
    });
    expect(r.warnings.map((w) => w.code)).toEqual(['format-only']);
  });

  it('rejects shapes that are none of them', () => {
    expect(codes('EI1234567')).toEqual(['unrecognized']); // I is never used
    expect(codes('E1234567')).toEqual(['unrecognized']);
    expect(codes('X1234567')).toEqual(['unrecognized']);
    expect(codes('ABC')).toEqual(['unrecognized']);
  });

  it('with idType 护照, accepts foreign passport numbers by their characters', () => {
    for (const n of ['X1234567', '123456789', 'AB1234567', 'C01X00T47', '12345678']) {
      const r = checkIdNumber(n, { today, idType: '4' });
      expect(r).toMatchObject({ valid: true, kind: 'passport' });
      expect(r.warnings.map((w) => w.code)).toEqual(['format-only']);
    }
    expect(codes('E1234567', { today, idType: '4' })).toEqual(['format']); // a Chinese passport with a digit missing
    expect(codes('AB-123456', { today, idType: '4' })).toEqual(['charset']);
    expect(codes('A1', { today, idType: '护照' })).toEqual(['format']);
  });

  it('checks the number against the record’s idType', () => {
    expect(codes('E12345678', { today, idType: '1' })).toEqual(['id-type-mismatch']);
    expect(codes(id18('11010519491231002'), { today, idType: '4' })).toEqual(['id-type-mismatch']);
    expect(codes('C12345678', { today, idType: '2' })).toEqual(['id-type-mismatch']); // a mainland resident’s permit
    expect(codes('H12345678', { today, idType: '2' })).toEqual([]);
    expect(codes('H12345678', { today, idType: '港澳通行证' })).toEqual([]);
    expect(codes('C12345678', { today, idType: '往来港澳通行证' })).toEqual([]);
    expect(codes('12345678', { today, idType: '3' })).toEqual([]);
    expect(codes('12345678', { today, idType: '1' })).toEqual(['id-type-mismatch']);
    expect(codes('123456789', { today, idType: '3' })).toEqual(['format']);
    expect(codes('H123', { today, idType: '2' })).toEqual(['format']);
    expect(codes('1234', { today, idType: '1' })).toEqual(['length']);
    // Unknown idTypes are ignored.
    expect(codes('E12345678', { today, idType: '9' })).toEqual([]);
    const mismatch = checkIdNumber('E12345678', { today, idType: '1' });
    expect(mismatch.errors[0]!.message).toBe('证件类型为居民身份证，但号码是护照的格式');
  });

  it('idTypeKinds maps codes and names', () => {
    expect(idTypeKinds('1')?.kinds).toEqual(['resident', 'resident-legacy15']);
    expect(idTypeKinds(5)?.kinds).toEqual(['foreign-permanent-2017', 'foreign-permanent-2023']);
    expect(idTypeKinds(' 台胞证 ')?.label).toBe('台湾居民来往大陆通行证');
    expect(idTypeKinds('其他')).toBeNull();
    expect(idTypeKinds(undefined)).toBeNull();
  });
});

describe('describeIdCheck', () => {
  it('one Chinese line per result', () => {
    expect(describeIdCheck(checkIdNumber('11010519491231002x', { today }))).toBe(
      '✓ 11010519491231002X  居民身份证  出生日期 1949-12-31  女  北京市',
    );
    expect(describeIdCheck(checkIdNumber('E12345678', { today }))).toMatch(/^✓ E12345678 {2}护照 {2}（/);
    expect(describeIdCheck(checkIdNumber('110101199003070000', { today }))).toMatch(
      /^✗ 110101199003070000（居民身份证）：证件号码被 Excel/,
    );
  });
});

describe('crossCheckPerson', () => {
  const female = id18('11010519491231002'); // 1949-12-31, F
  const male = id18('32010619900307123'); // 1990-03-07, M

  it('passes when birth date and gender agree, in any spelling', () => {
    for (const birthDate of [
      '1990-03-07',
      '1990/3/7',
      '1990年3月7日',
      32939,
      new Date(Date.UTC(1990, 2, 7)),
    ]) {
      for (const gender of ['M', 'm', '男', '男性', 'male', '1', 1]) {
        expect(crossCheckPerson({ idNumber: male, birthDate, gender, today })).toMatchObject({
          valid: true,
          checked: true,
          errors: [],
        });
      }
    }
    expect(crossCheckPerson({ idNumber: female, birthDate: '1949-12-31', gender: '女', today }).valid).toBe(
      true,
    );
  });

  it('names both dates when the birth date disagrees', () => {
    const r = crossCheckPerson({ idNumber: male, birthDate: '1990/3/8', gender: 'M', today });
    expect(r).toMatchObject({ valid: false, checked: true });
    expect(r.errors).toEqual([
      {
        field: 'birthDate',
        code: 'birth-date-mismatch',
        message: '出生日期 1990-03-08 与证件号码中的出生日期 1990-03-07 不一致',
      },
    ]);
  });

  it('says which gender the number shows', () => {
    const r = crossCheckPerson({ idNumber: female, birthDate: '1949-12-31', gender: 'M', today });
    expect(r.errors).toEqual([
      { field: 'gender', code: 'gender-mismatch', message: '性别填写为男，但证件号码显示为女' },
    ]);
    expect(
      crossCheckPerson({ idNumber: female, birthDate: '1949-12-30', gender: '2', today }).errors.map(
        (e) => e.code,
      ),
    ).toEqual(['birth-date-mismatch']);
    expect(
      crossCheckPerson({ idNumber: female, birthDate: '1950-01-01', gender: '男', today }).errors.map(
        (e) => e.code,
      ),
    ).toEqual(['birth-date-mismatch', 'gender-mismatch']);
  });

  it('works for converted 15-digit numbers, residence permits and foreign cards', () => {
    expect(
      crossCheckPerson({ idNumber: '110105491231002', birthDate: '1949-12-31', gender: 'F', today }).valid,
    ).toBe(true);
    expect(
      crossCheckPerson({ idNumber: id18('82000019851111002'), birthDate: '1985-11-12', today }).errors.map(
        (e) => e.code,
      ),
    ).toEqual(['birth-date-mismatch']);
    expect(
      crossCheckPerson({ idNumber: '932682198501010017', gender: 'F', today }).errors.map((e) => e.code),
    ).toEqual(['gender-mismatch']);
    // The 2017 card does not encode the century: 1926 and 2026 are the same two digits.
    const card = fpr2017('CAN44032605021'); // read as 1926-05-02
    expect(crossCheckPerson({ idNumber: card, birthDate: '1926-05-02', today }).valid).toBe(true);
    expect(crossCheckPerson({ idNumber: card, birthDate: '1926-05-03', today }).valid).toBe(false);
  });

  it('leaves invalid numbers, passports and empty or unreadable fields alone', () => {
    expect(
      crossCheckPerson({ idNumber: withWrongCheck(male), birthDate: '2000-01-01', gender: 'F', today }),
    ).toMatchObject({ valid: true, checked: false, errors: [] });
    expect(
      crossCheckPerson({ idNumber: 'E12345678', birthDate: '2000-01-01', gender: 'F', today }),
    ).toMatchObject({
      valid: true,
      checked: false,
    });
    expect(crossCheckPerson({ idNumber: male, today })).toMatchObject({
      valid: true,
      checked: true,
      errors: [],
    });
    expect(crossCheckPerson({ idNumber: male, birthDate: '不详', gender: '未知', today }).errors).toEqual([]);
    expect(
      crossCheckPerson({ idNumber: male, birthDate: '1990-03-07', idType: '4', today }).id.errors[0]!.code,
    ).toBe('id-type-mismatch');
  });

  it('normalizeGender', () => {
    expect(['M', ' m ', '男', 'Ｍ', 'MALE', 1, '1'].map(normalizeGender)).toEqual(Array(7).fill('M'));
    expect(['F', 'f', '女', '女性', 'Female', 2, '2'].map(normalizeGender)).toEqual(Array(7).fill('F'));
    expect(['', '未知', 0, 3, null, undefined, 'X'].map(normalizeGender)).toEqual(Array(7).fill(null));
  });
});
