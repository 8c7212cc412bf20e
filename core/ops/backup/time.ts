import { TesseraError } from '../../errors.ts';

/**
 * Times in microseconds since the epoch as bigint: PostgreSQL's clock has microseconds and file
 * mtimes nanoseconds, and a point-in-time restore compares them; JavaScript's Date keeps only ms.
 */
export type Micros = bigint;

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Parses an ISO-8601 time (`2026-01-05T10:00:00+08:00`, `2026-01-05 10:00`, `…Z`, with up to
 * nine fraction digits). Without an offset it is local time of this machine, as people type it.
 */
export function parseTime(text: string): Micros {
  const m = ISO.exec(text.trim());
  if (!m) {
    throw new TesseraError(
      'invalid_time',
      `无法识别的时间“${text}”：请写成 ISO 格式，如 2026-01-05T10:30:00+08:00 或 2026-01-05 10:30`,
    );
  }
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone] = m;
  const base = `${y}-${mo}-${d}T${h}:${mi}:${s}`;
  const ms = zone
    ? Date.parse(`${base}${zone.toUpperCase() === 'Z' ? 'Z' : normaliseOffset(zone)}`)
    : new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)).getTime();
  if (!Number.isFinite(ms)) throw new TesseraError('invalid_time', `无效的时间“${text}”`);
  const micros = BigInt((fraction + '000000').slice(0, 6));
  return BigInt(ms) * 1000n + micros;
}

function normaliseOffset(zone: string): string {
  const digits = zone.slice(1).replace(':', '');
  return `${zone[0]}${digits.slice(0, 2)}:${(digits.slice(2) || '00').padEnd(2, '0')}`;
}

/** 2026-01-05T02:30:00.123456Z */
export function formatMicros(value: Micros): string {
  const ms = value / 1000n;
  const iso = new Date(Number(ms)).toISOString(); // …T02:30:00.123Z
  const micros = ((value % 1_000_000n) + 1_000_000n) % 1_000_000n;
  return `${iso.slice(0, 19)}.${micros.toString().padStart(6, '0')}Z`;
}

export const nsToMicros = (ns: string | bigint): Micros => BigInt(ns) / 1000n;

/** A readable local time for messages (the office reads Beijing time, not UTC). */
export function describeTime(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Backup ids start with the start time, so folder names sort in time order. */
export function idTime(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('.', '');
}
