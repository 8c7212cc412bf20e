import { describe, expect, it } from 'vitest';
import { checkPlate, normalizePlate, PLATE_PROVINCES } from '../../core/validation/index.ts';

const code = (input: unknown) => checkPlate(input).errors.map((e) => e.code);

describe('checkPlate: ordinary plates', () => {
  it.each(['京A12345', '沪B7X9Y8', '粤BZ1234', '浙AX7B29', '川A00001', '新A12345', '藏A1234A'])(
    '%s',
    (plate) => {
      expect(checkPlate(plate)).toEqual({ valid: true, normalized: plate, kind: 'ordinary', errors: [] });
    },
  );

  it('accepts every province abbreviation', () => {
    expect([...PLATE_PROVINCES]).toHaveLength(31);
    for (const p of PLATE_PROVINCES) expect(checkPlate(`${p}A12345`).kind).toBe('ordinary');
  });

  it.each([
    ['京A·12345', '京A12345'],
    ['京A•12345', '京A12345'],
    ['京A・12345', '京A12345'],
    ['京A-12345', '京A12345'],
    ['京A.12345', '京A12345'],
    [' 川a 12345 ', '川A12345'],
    ['京ａ１２３４５', '京A12345'],
    ['京A\u300012345\u00a0', '京A12345'],
    ['京a·b1c2d', '京AB1C2D'],
  ])('normalises %j to %s', (input, normalized) => {
    expect(checkPlate(input)).toMatchObject({ valid: true, normalized });
    expect(normalizePlate(input)).toBe(normalized);
  });
});

describe('checkPlate: new-energy plates (8 characters)', () => {
  it.each([
    ['京AD12345', 'small', 'electric'],
    ['京AF12345', 'small', 'non-electric'],
    ['粤BDA1234', 'small', 'electric'],
    ['粤BFZ1234', 'small', 'non-electric'],
    ['沪AA12345', 'small', 'electric'], // reserve letter for pure electric (GA 36-2018)
    ['沪AK12345', 'small', 'non-electric'], // reserve letter for other new energy
    ['京A12345D', 'large', 'electric'],
    ['苏E12345F', 'large', 'non-electric'],
  ])('%s: %s vehicle, %s', (plate, size, power) => {
    expect(checkPlate(plate)).toEqual({
      valid: true,
      normalized: plate,
      kind: 'new-energy',
      errors: [],
      newEnergy: { size, power },
    });
  });

  it('with the middle dot and in lower case', () => {
    expect(checkPlate('粤b·d12345')).toMatchObject({
      valid: true,
      normalized: '粤BD12345',
      kind: 'new-energy',
    });
    expect(checkPlate('京a·12345d')).toMatchObject({
      valid: true,
      normalized: '京A12345D',
      kind: 'new-energy',
    });
  });

  it('puts the energy letter in the right place for the vehicle size', () => {
    expect(code('京A1D2345')).toEqual(['new-energy-format']); // neither first nor last
    expect(code('京AD1234A')).toEqual(['new-energy-format']); // small: the last four are digits
    expect(code('京AD12A45')).toEqual(['new-energy-format']);
    expect(code('京A1234D5')).toEqual(['new-energy-format']);
    expect(code('京A12345L')).toEqual(['new-energy-format']); // L is no energy letter
    expect(code('京AL12345')).toEqual(['new-energy-format']);
    expect(checkPlate('京A1D2345').errors[0]!.message).toContain('D 或 F');
  });
});

describe('checkPlate: special series', () => {
  it.each([
    ['沪A1234挂', 'trailer'],
    ['京A1234学', 'coach'],
    ['京A1234警', 'police'],
    ['京A0001警', 'police'],
    ['沪A1234领', 'consulate'],
    ['粤Z1234港', 'hk-macau'],
    ['粤Z1A23澳', 'hk-macau'],
    ['京A1234应急', 'emergency'],
    ['川A12345应急', 'emergency'],
    ['使123456', 'embassy'],
    ['123456使', 'embassy'],
    ['民航12345', 'civil-aviation'],
  ])('%s is %s', (plate, kind) => {
    expect(checkPlate(plate)).toEqual({ valid: true, normalized: plate, kind, errors: [] });
  });

  it('normalises special series too', () => {
    expect(checkPlate('京a·1234警')).toMatchObject({ valid: true, normalized: '京A1234警' });
    expect(checkPlate('使 014·578')).toMatchObject({ valid: true, normalized: '使014578', kind: 'embassy' });
  });

  it('港/澳 only on 粤Z', () => {
    expect(code('京Z1234港')).toEqual(['hk-macau-prefix']);
    expect(code('粤A1234澳')).toEqual(['hk-macau-prefix']);
  });

  it('rejects wrong lengths and shapes of special series', () => {
    expect(code('京A123警')).toEqual(['length']);
    expect(code('京A12345挂')).toEqual(['length']);
    expect(code('使12345')).toEqual(['format']);
    expect(code('使1234567')).toEqual(['format']);
    expect(code('民航1234')).toEqual(['format']);
    expect(code('京A1234应')).toEqual(['format']);
  });

  it('does not check military or armed-police plates', () => {
    expect(code('WJ京12345')).toEqual(['military-unsupported']);
    const r = checkPlate('VA12345');
    expect(r.errors.map((e) => e.code)).toEqual(['province']);
    expect(r.errors[0]!.message).toContain('军车');
  });
});

describe('checkPlate: reasons when invalid', () => {
  it('wrong or missing province abbreviation', () => {
    expect(code('XA12345')).toEqual(['province']);
    expect(code('港A12345')).toEqual(['province']);
    expect(code('AB1234')).toEqual(['province']);
    expect(checkPlate('北A12345').errors[0]!.message).toContain('“北”');
  });

  it('letters I and O are never used', () => {
    expect(code('京I12345')).toEqual(['letter-i-o']);
    expect(code('京O12345')).toEqual(['letter-i-o']);
    expect(code('京AO1234')).toEqual(['letter-i-o']);
    expect(code('京A1234I')).toEqual(['letter-i-o']);
    expect(code('京AD1O234')).toEqual(['letter-i-o']);
  });

  it('the second character is the issuing authority’s letter', () => {
    expect(code('京112345')).toEqual(['authority']);
    expect(code('京京12345')).toEqual(['authority']);
  });

  it('wrong length', () => {
    expect(code('京A1234')).toEqual(['length']);
    expect(code('京A123456789')).toEqual(['length']);
    expect(code('京')).toEqual(['length']);
    expect(checkPlate('京A1234').errors[0]!.message).toBe('车牌号码应为 7 位（新能源 8 位），实际 6 位');
  });

  it('other characters', () => {
    expect(code('京A12#45')).toEqual(['format']);
    expect(code('京A12三45')).toEqual(['format']);
  });

  it('empty and non-text', () => {
    expect(code('')).toEqual(['empty']);
    expect(code(' · ')).toEqual(['empty']);
    expect(code(null)).toEqual(['empty']);
    expect(code(12345)).toEqual(['not-text']);
  });

  it('an invalid plate has no kind, but its cleaned spelling', () => {
    expect(checkPlate('京a·i2345')).toMatchObject({ valid: false, kind: null, normalized: '京AI2345' });
  });
});
