import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { DataKeys } from './secrets.ts';

/**
 * Sensitive values (ID numbers): encrypted at rest, found by a keyed hash, shown masked.
 * Format of the ciphertext: version byte 1 | 12-byte IV | 16-byte tag | ciphertext.
 */
export class SensitiveData {
  constructor(private readonly keys: DataKeys) {}

  encrypt(plain: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.encryptionKey, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([1]), iv, cipher.getAuthTag(), body]);
  }

  decrypt(sealed: Buffer): string {
    if (sealed[0] !== 1) throw new Error('unknown ciphertext version');
    const decipher = createDecipheriv('aes-256-gcm', this.keys.encryptionKey, sealed.subarray(1, 13));
    decipher.setAuthTag(sealed.subarray(13, 29));
    return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString('utf8');
  }

  /** HMAC-SHA256 of the normalised value: equal numbers hash equal, without the key nobody can test guesses. */
  lookupHash(normalized: string): Buffer {
    return createHmac('sha256', this.keys.hashKey).update(normalized.toUpperCase()).digest();
  }
}

/** `110101********1234`: the first six and last four stay, so a clerk can tell records apart. */
/** Every ID-number-shaped run of digits in a text (a photo named 11010119900307123X.jpg …) masked. */
export function maskIdNumbersIn(text: string): string {
  return text.replace(/(?<![0-9])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])/g, (id) => maskIdNumber(id));
}

export function maskIdNumber(value: string): string {
  if (value.length <= 8) return '*'.repeat(value.length);
  if (value.length < 15) return value.slice(0, 2) + '*'.repeat(value.length - 4) + value.slice(-2);
  return value.slice(0, 6) + '*'.repeat(value.length - 10) + value.slice(-4);
}
