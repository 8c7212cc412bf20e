/** Independent MOD 11-2 (GB 11643-1999) so tests do not trust the code they test. */
export function withCheckDigit(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * weights[i]!, 0);
  return first17 + '10X98765432'[sum % 11];
}

/** A valid resident ID number: region, birth date YYYYMMDD, 3-digit sequence (odd = male). */
export function residentId(region: string, birthDate: string, sequence: string): string {
  return withCheckDigit(region + birthDate + sequence);
}
