import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

/** GB 11643-1999 MOD 11-2, independent of the code under test. */
function withCheck(first17: string): string {
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * (2 ** (17 - i) % 11), 0);
  return first17 + '10X98765432'[sum % 11]!;
}
const toFullWidth = (s: string) =>
  s.replace(/[0-9A-Za-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

interface Line {
  input: string;
  valid: boolean;
  normalized: string;
  kind: string;
  birthDate: string | null;
  gender: 'M' | 'F' | null;
  region: string | null;
  errors: { code: string; message: string }[];
  warnings: { code: string; message: string }[];
}
const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

const resident = withCheck('11010519491231002'); // …X
const hongKong = withCheck('81000019900307123');
const macau = withCheck('82000019851111002');
const taiwan = withCheck('83000020000229005');

describe('tessera idcard check', () => {
  it('--json: one object per input, exit 0 when all are valid', async () => {
    const inputs = [
      resident.toLowerCase(),
      toFullWidth(resident),
      '110105 491231002',
      hongKong,
      macau,
      taiwan,
      '932682198501010017',
      'KAZ110090123105',
      'E12345678',
    ];
    const r = await runCli(['idcard', 'check', ...inputs, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(inputs.length);
    expect(out.map((l) => l.input)).toEqual(inputs);
    expect(out.every((l) => l.valid)).toBe(true);
    expect(out[0]).toEqual({
      input: resident.toLowerCase(),
      valid: true,
      normalized: resident,
      kind: 'resident',
      birthDate: '1949-12-31',
      gender: 'F',
      region: '北京市',
      errors: [],
      warnings: [],
    });
    expect(out[1]).toMatchObject({ normalized: resident, kind: 'resident' });
    expect(out[2]).toMatchObject({
      normalized: resident,
      kind: 'resident-legacy15',
      birthDate: '1949-12-31',
      gender: 'F',
    });
    expect(out[2]!.warnings.map((w) => w.code)).toEqual(['legacy-15-converted']);
    expect(out.slice(3, 6)).toEqual([
      expect.objectContaining({
        normalized: hongKong,
        kind: 'hk-macau-tw-residence',
        region: '香港特别行政区',
        gender: 'M',
      }),
      expect.objectContaining({
        normalized: macau,
        kind: 'hk-macau-tw-residence',
        region: '澳门特别行政区',
        gender: 'F',
      }),
      expect.objectContaining({
        normalized: taiwan,
        kind: 'hk-macau-tw-residence',
        region: '台湾',
        birthDate: '2000-02-29',
      }),
    ]);
    expect(out[6]).toMatchObject({
      kind: 'foreign-permanent-2023',
      region: '江苏省',
      birthDate: '1985-01-01',
    });
    expect(out[7]).toMatchObject({
      kind: 'foreign-permanent-2017',
      region: '北京市',
      birthDate: '1990-12-31',
    });
    expect(out[8]).toMatchObject({ kind: 'passport', birthDate: null, gender: null, region: null });
  });

  it('--json: exit 1 when any is invalid; mangled and wrong numbers say why', async () => {
    const wrong = `${resident.slice(0, 17)}3`;
    const r = await runCli([
      'idcard',
      'check',
      resident,
      '1.10101199003E+17',
      '110101199003070000',
      wrong,
      '--json',
    ]);
    expect(r.code).toBe(1);
    const out = lines(r.stdout);
    expect(out.map((l) => [l.valid, l.errors.map((e) => e.code)])).toEqual([
      [true, []],
      [false, ['excel-mangled']],
      [false, ['excel-mangled']],
      [false, ['check-digit']],
    ]);
    expect(out[1]!.errors[0]!.message).toContain('文本');
    expect(out[3]).toMatchObject({ normalized: wrong, birthDate: null, gender: null, region: null });
    expect(out[3]!.errors[0]!.message).not.toContain('应为');
  });

  it('without --json: a readable Chinese line per input', async () => {
    const r = await runCli(['idcard', 'check', resident.toLowerCase(), '110101199003070000']);
    expect(r.code).toBe(1);
    const [ok, bad] = r.stdout.trim().split('\n');
    expect(ok).toBe(`✓ ${resident}  居民身份证  出生日期 1949-12-31  女  北京市`);
    expect(bad).toMatch(/^✗ 110101199003070000（居民身份证）：.*Excel.*文本/);
  });

  it('--id-type checks the number against the document type', async () => {
    const r = await runCli(['idcard', 'check', 'E12345678', '--id-type', '1', '--json']);
    expect(r.code).toBe(1);
    expect(lines(r.stdout)[0]!.errors.map((e) => e.code)).toEqual(['id-type-mismatch']);
    const passport = await runCli(['idcard', 'check', 'X1234567', '--id-type', '护照']);
    expect(passport.code).toBe(0);
    expect(passport.stdout).toMatch(/^✓ X1234567 {2}护照/);
  });
});
