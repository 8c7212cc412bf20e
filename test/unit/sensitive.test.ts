import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataKeys } from '../../core/crypto/secrets.ts';
import { maskIdNumber, SensitiveData } from '../../core/crypto/sensitive.ts';

describe('sensitive data', () => {
  it('encrypts with a fresh IV each time and decrypts back', async () => {
    const keys = loadDataKeys(await mkdtemp(path.join(os.tmpdir(), 'tessera-keys-')), {});
    const data = new SensitiveData(keys);
    const a = data.encrypt('11010119900307663X');
    const b = data.encrypt('11010119900307663X');
    expect(a.equals(b)).toBe(false);
    expect(a.toString('latin1')).not.toContain('110101');
    expect(data.decrypt(a)).toBe('11010119900307663X');
  });

  it('detects tampering', async () => {
    const data = new SensitiveData(loadDataKeys(await mkdtemp(path.join(os.tmpdir(), 'tessera-keys-')), {}));
    const sealed = data.encrypt('11010119900307663X');
    sealed[sealed.length - 1] = sealed[sealed.length - 1]! ^ 1;
    expect(() => data.decrypt(sealed)).toThrow();
  });

  it('hashes equal numbers equally (case-insensitive x), and differently under another key', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-keys-'));
    const one = new SensitiveData(loadDataKeys(dir, {}));
    const again = new SensitiveData(loadDataKeys(dir, {}));
    const other = new SensitiveData(loadDataKeys(await mkdtemp(path.join(os.tmpdir(), 'tessera-keys-')), {}));
    expect(one.lookupHash('11010119900307663x').equals(again.lookupHash('11010119900307663X'))).toBe(true);
    expect(one.lookupHash('11010119900307663X').equals(other.lookupHash('11010119900307663X'))).toBe(false);
  });

  it('takes keys from the environment when given and refuses a wrong length', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const keys = loadDataKeys('/nonexistent', { TESSERA_ENCRYPTION_KEY: key, TESSERA_HASH_KEY: key });
    expect(keys.hashKey.length).toBe(32);
    expect(() =>
      loadDataKeys('/nonexistent', { TESSERA_ENCRYPTION_KEY: 'c2hvcnQ=', TESSERA_HASH_KEY: key }),
    ).toThrow(/32 字节/);
  });

  it('masks ID numbers as 110101********1234', () => {
    expect(maskIdNumber('110101199003071234')).toBe('110101********1234');
    expect(maskIdNumber('E12345678')).toBe('E1*****78');
  });
});

describe('maskIdNumbersIn', () => {
  it('masks ID-number-shaped runs inside file names and messages, and nothing else', async () => {
    const { maskIdNumbersIn } = await import('../../core/crypto/sensitive.ts');
    expect(maskIdNumbersIn('照片/11010119900307123X.jpg')).toBe('照片/110101********123X.jpg');
    expect(maskIdNumbersIn('第 4 行与 110101900307123.JPG 重名')).toBe('第 4 行与 110101*****7123.JPG 重名');
    expect(maskIdNumbersIn('13800138000.jpg')).toBe('13800138000.jpg');
    expect(maskIdNumbersIn('1101011990030712345.jpg')).toBe('1101011990030712345.jpg');
  });
});
