import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { PASSWORD_RULES } from './views.ts';

// argon2id with the library's defaults (19 MiB, t=2): hashing runs on libuv's thread pool, off the event loop.
export async function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/**
 * A hash of a password nobody knows, made once: checking against it costs what checking a real
 * account costs, so an unknown name answers as slowly as a known one.
 */
let dummyHash: Promise<string> | undefined;
export function unknownUserHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(24).toString('base64url'));
  return dummyHash;
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A password that is easy to type from a terminal: 16 characters, no look-alikes. */
export function generatePassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(16);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

export const MIN_PASSWORD_LENGTH = PASSWORD_RULES.minLength;
