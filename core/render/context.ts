/**
 * What a card template sees: the record's own fields plus the system fields every card has
 * (core/plugins/system-fields.ts) — card number, card type, event, unit, zone names, verify
 * token, issue date — and the card type's colour for bands.
 */
import type { CardType, FormSchema, PluginManifest } from '../types/generated/index.ts';
import type { ZoneInfo } from './template.ts';

export type CardRecord = Record<string, unknown>;

export interface CardContextOptions {
  manifest: PluginManifest;
  cardType: CardType;
  /** 0-based position in the batch: the sequence number for cards that have no number yet. */
  index: number;
  /** Issue date (YYYY-MM-DD) for cards whose record does not say. */
  issueDate: string;
}

/**
 * A card number from the card type's pattern: `{event}`, `{type}`, `{year}`, `{unit}`, `{seq}`
 * and `{seq:N}` (zero-padded to N digits).
 */
export function formatCardNumber(
  pattern: string,
  parts: { event: string; type: string; year: string; unit: string; seq: number },
): string {
  return pattern.replace(/\{(event|type|year|unit|seq)(?::(\d+))?\}/g, (_, key: string, width?: string) => {
    if (key === 'seq') return width ? String(parts.seq).padStart(Number(width), '0') : String(parts.seq);
    return parts[key as 'event' | 'type' | 'year' | 'unit'];
  });
}

/** Zone codes from a record: an array, or text such as `A,B` / `A、B` / `A B` from a sheet. */
export function zoneCodesOf(value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,，、;；]+/) : [];
  return list.map((z) => String(z).trim()).filter(Boolean);
}

export function eventZones(manifest: PluginManifest): ZoneInfo[] {
  return manifest.event.zones.map((z) => ({ code: z.code, name: z.name, color: z.color }));
}

/** Option titles of every option field of a form: `gender` → `M` → `男`. */
export function optionLabels(form: FormSchema | undefined): Record<string, Map<string, string>> {
  const out: Record<string, Map<string, string>> = {};
  for (const [key, raw] of Object.entries(form?.properties ?? {})) {
    const field = raw as {
      oneOf?: Array<{ const?: unknown; title?: string }>;
      items?: { oneOf?: Array<{ const?: unknown; title?: string }> };
    };
    const options = field.oneOf ?? field.items?.oneOf;
    if (!options) continue;
    const map = new Map<string, string>();
    for (const o of options) if (o.const !== undefined && o.title) map.set(String(o.const), o.title);
    if (map.size) out[key] = map;
  }
  return out;
}

/** Today in the event's time zone, as YYYY-MM-DD. */
export function todayIn(timeZone: string | undefined): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: timeZone || 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date());
  return parts;
}

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

/** The template context of one card. The record's own values win where it has them. */
export function cardContext(record: CardRecord, o: CardContextOptions): CardRecord {
  const { manifest, cardType } = o;
  const event = manifest.event;
  const zoneCodes = present(record.zones) ? zoneCodesOf(record.zones) : [...(cardType.zones ?? [])];
  const zoneNames = zoneCodes.map((c) => event.zones.find((z) => z.code === c)?.name ?? c).join('、');
  const issueDate = present(record.issueDate) ? String(record.issueDate) : o.issueDate;
  const unitCode = present(record.unitCode) ? String(record.unitCode) : '';
  const cardNumber = present(record.cardNumber)
    ? String(record.cardNumber)
    : formatCardNumber(cardType.numbering.pattern, {
        event: event.code,
        type: cardType.code,
        year: issueDate.slice(0, 4),
        unit: unitCode,
        seq: (cardType.numbering.start ?? 1) + o.index,
      });
  return {
    ...record,
    cardType: cardType.code,
    zones: zoneCodes,
    cardNumber,
    cardTypeCode: cardType.code,
    cardTypeName: cardType.name,
    cardTypeShortName: cardType.shortName ?? cardType.name,
    cardTypeColor: cardType.color,
    eventCode: event.code,
    eventName: event.name,
    eventShortName: event.shortName ?? event.name,
    unitCode,
    unitName: present(record.unitName) ? String(record.unitName) : '',
    zoneNames,
    // Without a signed token (a print job gives each card one: core/cards/verify.ts), as in
    // previews and proofs, the QR carries the card number.
    verifyToken: present(record.verifyToken) ? String(record.verifyToken) : cardNumber,
    verifyUrl: present(record.verifyUrl)
      ? String(record.verifyUrl)
      : present(record.verifyToken)
        ? String(record.verifyToken)
        : cardNumber,
    issueDate,
    validFrom: cardType.validFrom ?? event.startDate,
    validTo: cardType.validTo ?? event.endDate,
  };
}
