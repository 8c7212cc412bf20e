import { describe, expect, it } from 'vitest';
import { checkMobile, normalizeMobile } from '../../core/validation/index.ts';

const code = (input: unknown) => checkMobile(input).errors.map((e) => e.code);

describe('checkMobile', () => {
  it.each([
    '13812345678',
    '+86 138 1234 5678',
    '+8613812345678',
    '0086 13812345678',
    '008613812345678',
    '8613812345678',
    '86-138-1234-5678',
    '138-1234-5678',
    '138 1234 5678',
    '(+86) 138 1234 5678',
    '（+86）13812345678',
    '138.1234.5678',
    '１３８１２３４５６７８',
    '＋８６ １３８１２３４５６７８',
    '\u00a013812345678\u200b',
    '138\u30001234\u30005678',
  ])('%j → 13812345678', (input) => {
    expect(checkMobile(input)).toEqual({ valid: true, normalized: '13812345678', errors: [] });
  });

  it('accepts every 1[3-9] prefix', () => {
    for (const p of ['13', '14', '15', '16', '17', '18', '19'])
      expect(checkMobile(`${p}012345678`).valid).toBe(true);
  });

  it('accepts a number cell', () => {
    expect(checkMobile(13812345678)).toEqual({ valid: true, normalized: '13812345678', errors: [] });
    expect(normalizeMobile(13812345678)).toBe('13812345678');
  });

  it('rejects with a reason', () => {
    expect(code('12812345678')).toEqual(['prefix']);
    expect(code('10012345678')).toEqual(['prefix']);
    expect(code('23812345678')).toEqual(['prefix']);
    expect(code('1381234567')).toEqual(['length']);
    expect(code('138123456789')).toEqual(['length']);
    expect(code('+86 138123456')).toEqual(['charset']);
    expect(code('1381234567a')).toEqual(['charset']);
    expect(code('010-12345678')).toEqual(['prefix']); // a landline
    expect(code('+852 9123 4567')).toEqual(['not-mainland']);
    expect(code('001 2025550123')).toEqual(['not-mainland']);
    expect(checkMobile('1381234567').errors[0]!.message).toBe('手机号码应为 11 位，实际 10 位');
  });

  it('empty and non-text', () => {
    expect(code('')).toEqual(['empty']);
    expect(code('  - ')).toEqual(['empty']);
    expect(code(null)).toEqual(['empty']);
    expect(code(undefined)).toEqual(['empty']);
    expect(code({})).toEqual(['not-text']);
    expect(code(1.5e20)).toEqual(['not-text']);
    expect(code(13812345678.5)).toEqual(['not-text']);
  });
});
