/**
 * A masked ID number as the server shows it (core/crypto/sensitive.ts maskIdNumber):
 * `110101********1234` — up to six leading and four trailing letters or digits around a run of
 * `*`. Browser-safe. Sent back unchanged, it means "keep the stored number"; it is never a
 * number to store.
 */
const MASKED = /^[0-9A-Za-z]{0,6}\*+[0-9A-Za-z]{0,4}$/;

export function isMaskedIdNumber(value: unknown): value is string {
  return typeof value === 'string' && MASKED.test(value.trim());
}
