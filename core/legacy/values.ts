import { createHash } from 'node:crypto';
import { toHalfWidth, stripBlanks } from '../validation/format-result.ts';

// Small rules of the migration from the previous system: how a legacy spelling is looked up, how
// a legacy time is read in its time zone, how a card number gives back its sequence, and the one
// canonical hash that the reconciliation compares on both sides.

/** Lookup key of a legacy spelling: width, blanks and case do not make another value. */
export function looseKey(text: string): string {
  return stripBlanks(toHalfWidth(text)).toLowerCase();
}

/** A lookup table from a mapping object (`cardTypes`, `statuses`), by loose key. */
export function looseTable<T>(entries: Record<string, T | undefined>): Map<string, T> {
  const table = new Map<string, T>();
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) table.set(looseKey(k), v);
  return table;
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const LEGACY_TIME =
  /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT]+(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2}))?秒?)?$/;

/** Offset of `timeZone` from UTC at the instant `utcMs`, in ms. */
function offsetAt(utcMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second')) - utcMs;
}

/**
 * A wall-clock time of the previous system (2025-09-01 14:30, 2025/9/1 14:30:05, 2025年9月1日, a date
 * cell's ISO text) as an instant, read in `timeZone`. Null when the text is no such time.
 */
export function parseLegacyTime(text: string, timeZone: string): Date | null {
  const m = LEGACY_TIME.exec(toHalfWidth(text).trim());
  if (!m) return null;
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1);
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(wall);
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23)
    return null;
  // Twice: the offset at the guessed instant may differ across a daylight-saving change.
  let utc = wall - offsetAt(wall, timeZone);
  utc = wall - offsetAt(utc, timeZone);
  return new Date(utc);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The sequence number inside a legacy card number, read with the card type's numbering pattern
 * (`VIP-{seq:5}`, `{event}-ST-{seq:5}`, `{year}`, `{unit}`); null when the number does not follow
 * the pattern (it is then kept as it is and reported).
 */
export function sequenceOf(
  cardNumber: string,
  pattern: string,
  parts: { event: string; type: string; unit: string },
): number | null {
  let source = '';
  let last = 0;
  for (const m of pattern.matchAll(/\{(event|type|year|unit|seq)(?::(\d+))?\}/g)) {
    source += escape(pattern.slice(last, m.index));
    last = m.index + m[0].length;
    const key = m[1]!;
    if (key === 'seq') source += m[2] ? `(\\d{${m[2]},})` : '(\\d+)';
    else if (key === 'year') source += '\\d{4}';
    else source += escape(parts[key as 'event' | 'type' | 'unit']);
  }
  source += escape(pattern.slice(last));
  const found = new RegExp(`^${source}$`, 'i').exec(cardNumber.trim());
  if (!found) return null;
  const seq = Number(found[1]);
  return Number.isSafeInteger(seq) && seq <= 2_147_483_647 ? seq : null;
}

/** JSON with sorted keys, and without empty values (null, '', []) on either side. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
      out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

/** What a migrated record is: compared as a hash between the source row and the stored record. */
export interface RecordFacts {
  kind: string;
  unit: string;
  status: string;
  /** Form values, the ID number in full, the photo left out (photos have their own checksum). */
  values: Record<string, unknown>;
  card: {
    type: string;
    number: string;
    status: string;
    printedAt: string | null;
    issuedAt: string | null;
    issuedTo: string | null;
  } | null;
}

export function factsHash(facts: RecordFacts | Record<string, unknown>): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(facts)))
    .digest('hex');
}
