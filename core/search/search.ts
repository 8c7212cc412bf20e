import { QueryTypes } from 'sequelize';
import type { SessionUser } from '../auth/accounts.ts';
import type { CardStatus } from '../cards/views.ts';
import type { SensitiveData } from '../crypto/sensitive.ts';
import type { Database } from '../db/connection.ts';
import { likeEscape } from '../db/query-input.ts';
import { TesseraError } from '../errors.ts';
import type { Events } from '../events/events.ts';
import {
  checkIdNumber,
  checkPlate,
  normalizePlate,
  PLATE_PROVINCES,
  stripBlanks,
  toHalfWidth,
} from '../validation/index.ts';
import type { SearchHit, SearchKind, SearchResponse } from './views.ts';

export type * from './views.ts';

type Actor = Pick<SessionUser, 'role' | 'unit'>;

/** Roles that search; a unit user only ever sees its own unit's records. */
export const SEARCH_ROLES = ['admin', 'operator', 'reviewer', 'clerk', 'unit'] as const;

export const DEFAULT_SEARCH_LIMIT = 50;
const MAX_LIMIT = 200;
/** Fuzzy name hits share at least this part of their bigrams with the query (Jaccard). */
const MIN_SIMILARITY = 0.3;
/** Candidates a fuzzy query ranks at most (a very common pair of bigrams is cut here). */
const FUZZY_CANDIDATES = 500;
const LIVE = `('queued', 'printed', 'issued')`;
const NATURAL = new Intl.Collator('en', { numeric: true });

const CARD_NUMBER = /^[A-Z0-9][A-Z0-9-]{1,40}$/;
const PLATE_START = new RegExp(`^[${PLATE_PROVINCES}][A-HJ-NP-Z0-9]{0,6}$`);
const HAS_LETTER = /[\p{L}]/u;

/** A hit before its record is read, in the order it is shown (best first within its kind). */
interface Candidate {
  id: number;
  kind: SearchKind;
  similarity?: number;
}

/** The event, the unit a unit user is confined to, and how many hits a branch may return. */
interface Scope {
  e: number;
  u: number | null;
  cap: number;
}

/**
 * 综合查询: one box for every key an operator has at the desk — an ID number (exact, through the
 * keyed hash: the number itself is never stored or compared in clear), a card number (exact or
 * its start), a plate (exact or its start), a name (its start, then names that look alike) or a
 * unit (code or part of its name). What the text can be is decided by the same rules the forms
 * use (core/validation); every branch it can be is searched, each through its own index, so a
 * Latin name that is also a passport-like string is still found. Hits carry the record's live (or
 * latest) card and never a full ID number.
 */
export class Search {
  constructor(
    private readonly db: Database,
    private readonly events: Events,
    private readonly sensitive: SensitiveData,
  ) {}

  private query<T extends object>(sql: string, replacements: Record<string, unknown>): Promise<T[]> {
    return this.db.sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements });
  }

  async search(
    eventCode: string,
    actor: Actor,
    input: { q: string; limit?: number },
  ): Promise<SearchResponse> {
    const started = performance.now();
    if (!(SEARCH_ROLES as readonly string[]).includes(actor.role))
      throw new TesseraError('forbidden', '当前角色不能使用综合查询', 403);
    const q = input.q.trim().slice(0, 100);
    const limit = Math.min(Math.max(Math.floor(input.limit ?? DEFAULT_SEARCH_LIMIT), 1), MAX_LIMIT);
    const { event, plugin } = await this.events.find(eventCode);
    const empty: SearchResponse = {
      q,
      kinds: [],
      counts: {},
      hits: [],
      truncated: false,
      units: [],
      limit,
      tookMs: 0,
    };
    if (!q) return { ...empty, tookMs: performance.now() - started };
    // A unit user's every query is confined to its unit (another unit's record is "not found").
    const unitId = actor.role === 'unit' ? (actor.unit?.id ?? -1) : null;
    const scope = { e: event.id, u: unitId, cap: limit + 1 };
    const own = unitId === null ? '' : 'AND r.unit_id = :u';

    const compact = stripBlanks(toHalfWidth(q)).toUpperCase();
    const id = checkIdNumber(q);
    const plate = normalizePlate(q);
    const plateValid = checkPlate(q).valid;
    const digits = /\d/.test(q);
    // What the text can be. Names carry no digits; an ID number is nothing else.
    const can = {
      idNumber: id.valid,
      plate: plateValid || (plate.length >= 2 && digits && PLATE_START.test(plate)),
      cardNumber: !id.valid && CARD_NUMBER.test(compact),
      name: !id.valid && !digits && HAS_LETTER.test(q),
      unit: !id.valid && !plateValid && HAS_LETTER.test(q),
    };
    const none = Promise.resolve([] as Candidate[]);
    // Each branch is its own indexed query; they run side by side and are merged in this order.
    const [byId, byPlate, byCard, byName, byUnit] = await Promise.all([
      can.idNumber ? this.byIdNumber(id.normalized, scope, own) : none,
      can.plate ? this.byPlate(plate, scope, own) : none,
      can.cardNumber ? this.byCardNumber(compact, scope, own) : none,
      can.name ? this.byName(q, scope, own) : none,
      can.unit
        ? this.byUnit(q, compact, scope, own)
        : Promise.resolve({ units: [], hits: [] as Candidate[] }),
    ]);
    // Names that look alike only when no name is or starts like the text (a typo, a wrong
    // character): their candidates are many for common names, and the exact ones are what was
    // meant when there are any. Names are two to five characters (compound surnames, 4-character
    // minority names); a longer text is not one.
    const length = [...q].length;
    const byFuzzy =
      can.name && byName.length === 0 && length >= 2 && length <= 5
        ? await this.fuzzyNames(q, scope, own)
        : [];

    const kinds: SearchKind[] = [];
    const found: Candidate[] = [];
    const counts: Partial<Record<SearchKind, number>> = {};
    const seen = new Set<number>();
    for (const [kind, list] of [
      ['idNumber', byId],
      ['plate', byPlate],
      ['cardNumber', byCard],
      ['name', byName],
      ['nameFuzzy', byFuzzy],
      ['unit', byUnit.hits],
    ] as const) {
      if (list.length === 0) continue;
      kinds.push(kind);
      const fresh = list.filter((c) => !seen.has(c.id));
      for (const c of fresh) seen.add(c.id);
      counts[kind] = fresh.length;
      found.push(...fresh);
    }
    const units = byUnit.units;

    const truncated = Object.values(counts).some((n) => n > limit) || found.length > limit;
    const page = found.slice(0, limit);
    const hits = await this.hydrate(page, plugin.cardTypes);
    return {
      q,
      kinds,
      counts: Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, Math.min(n, limit)])),
      hits,
      truncated,
      units: units.map((u) => ({ code: u.code, name: u.name })),
      limit,
      tookMs: Math.round((performance.now() - started) * 10) / 10,
    };
  }

  private async byIdNumber(normalized: string, scope: Scope, own: string): Promise<Candidate[]> {
    const rows = await this.query<{ id: string }>(
      `SELECT r.id FROM records r
        WHERE r.id_number_hash = decode(:hash, 'hex') AND r.event_id = :e AND r.status <> 'deleted' ${own}
        ORDER BY r.id LIMIT :cap`,
      { ...scope, hash: this.sensitive.lookupHash(normalized).toString('hex') },
    );
    return rows.map((r) => ({ id: Number(r.id), kind: 'idNumber' }));
  }

  /** Exact first (records_plate), then plates that start so (records_plate_prefix). */
  private async byPlate(plate: string, scope: Scope, own: string): Promise<Candidate[]> {
    const rows = await this.query<{ id: string; plate_number: string; exact: boolean }>(
      `(SELECT r.id, r.plate_number, true AS exact FROM records r
         WHERE r.event_id = :e AND r.plate_number = :plate AND r.status <> 'deleted' ${own} LIMIT :cap)
       UNION ALL
       (SELECT r.id, r.plate_number, false FROM records r
         WHERE r.event_id = :e AND r.plate_number LIKE :prefix AND r.plate_number <> :plate
           AND r.status <> 'deleted' ${own} LIMIT :cap)`,
      { ...scope, plate, prefix: `${likeEscape(plate)}%` },
    );
    rows.sort((a, b) => Number(b.exact) - Number(a.exact) || a.plate_number.localeCompare(b.plate_number));
    return rows.map((r) => ({ id: Number(r.id), kind: 'plate' }));
  }

  /** A card number exact, or its start (cards_number_prefix); every version leads to its record. */
  private async byCardNumber(card: string, scope: Scope, own: string): Promise<Candidate[]> {
    const join = own ? 'JOIN records r ON r.id = c.record_id' : '';
    const rows = await this.query<{ record_id: string; card_number: string; exact: boolean }>(
      `(SELECT c.record_id, c.card_number, true AS exact FROM cards c ${join}
         WHERE c.event_id = :e AND c.card_number = :card ${own} LIMIT :cap)
       UNION ALL
       (SELECT c.record_id, c.card_number, false FROM cards c ${join}
         WHERE c.event_id = :e AND c.card_number LIKE :prefix AND c.card_number <> :card ${own} LIMIT :cardCap)`,
      // Versions share a number: a few more rows than hits.
      { ...scope, card, prefix: `${likeEscape(card)}%`, cardCap: scope.cap * 2 },
    );
    // Natural order: VIP-12340 … VIP-12349 before VIP-123400.
    rows.sort((a, b) => Number(b.exact) - Number(a.exact) || NATURAL.compare(a.card_number, b.card_number));
    const ids = [...new Set(rows.map((r) => Number(r.record_id)))];
    return ids.map((id) => ({ id, kind: 'cardNumber' }));
  }

  /**
   * The exact name, then names that start so (records_name_prefix); that index keeps pattern
   * order, not name order, so a page is taken and sorted here.
   */
  private async byName(name: string, scope: Scope, own: string): Promise<Candidate[]> {
    const rows = await this.query<{ id: string; name: string; exact: boolean }>(
      `(SELECT r.id, r.name, true AS exact FROM records r
         WHERE r.event_id = :e AND r.name = :name AND r.status <> 'deleted' ${own} LIMIT :cap)
       UNION ALL
       (SELECT r.id, r.name, false FROM records r
         WHERE r.event_id = :e AND r.name LIKE :prefix AND r.name <> :name
           AND r.status <> 'deleted' ${own} LIMIT :cap)`,
      { ...scope, name, prefix: `${likeEscape(name)}%` },
    );
    rows.sort((a, b) => Number(b.exact) - Number(a.exact) || a.name.localeCompare(b.name, 'zh-CN'));
    return rows.map((r) => ({ id: Number(r.id), kind: 'name' }));
  }

  /** Units by code (exact or start) or part of the name; then a page of the best ones' records. */
  private async byUnit(
    q: string,
    code: string,
    scope: Scope,
    own: string,
  ): Promise<{ units: { code: string; name: string }[]; hits: Candidate[] }> {
    const units = await this.query<{ id: string; code: string; name: string }>(
      `SELECT id, code, name FROM units
        WHERE (upper(code) = :code OR upper(code) LIKE :codePrefix OR name LIKE :contains)
          AND (:u::bigint IS NULL OR id = :u::bigint)
        ORDER BY (upper(code) = :code) DESC, (name LIKE :namePrefix) DESC, length(name), code
        LIMIT 20`,
      {
        ...scope,
        code,
        codePrefix: `${likeEscape(code)}%`,
        contains: `%${likeEscape(q)}%`,
        namePrefix: `${likeEscape(q)}%`,
      },
    );
    if (units.length === 0) return { units: [], hits: [] };
    const rows = await this.query<{ id: string }>(
      `SELECT r.id FROM records r
        WHERE r.event_id = :e AND r.unit_id IN (:units) AND r.status <> 'deleted' ${own} LIMIT :cap`,
      { ...scope, units: units.slice(0, 5).map((u) => Number(u.id)) },
    );
    return {
      units: units.map((u) => ({ code: u.code, name: u.name })),
      hits: rows.map((r) => ({ id: Number(r.id), kind: 'unit' })),
    };
  }

  /**
   * Names that look alike: at least two padded bigrams in common (tessera_name_grams, migration
   * 0008), found through records_name_grams as an OR of pairs, ranked by Jaccard similarity.
   */
  private async fuzzyNames(q: string, scope: Scope, own: string): Promise<Candidate[]> {
    const [row] = await this.query<{ grams: string[] }>('SELECT tessera_name_grams(:q) AS grams', { q });
    const grams = row?.grams ?? [];
    if (grams.length < 2) return [];
    const pairs: [string, string][] = [];
    for (let i = 0; i < grams.length; i++)
      for (let j = i + 1; j < grams.length; j++) pairs.push([grams[i]!, grams[j]!]);
    const pairParams = Object.fromEntries(pairs.map((p, i) => [`p${i}`, p]));
    const any = pairs.map((_, i) => `tessera_name_grams(r.name) @> ARRAY[:p${i}]::text[]`).join(' OR ');
    const rows = await this.query<{ id: string; similarity: number }>(
      `SELECT c.id, s.shared::float8 / (cardinality(c.g) + :n - s.shared) AS similarity
         FROM (SELECT r.id, tessera_name_grams(r.name) AS g FROM records r
                WHERE r.event_id = :e AND r.name IS NOT NULL AND r.status <> 'deleted' ${own}
                  AND r.name NOT LIKE :prefix AND (${any})
                LIMIT :candidates) c,
              LATERAL (SELECT count(*) AS shared FROM unnest(c.g) x WHERE x IN (:grams)) s
        WHERE s.shared::float8 / (cardinality(c.g) + :n - s.shared) >= :min
        ORDER BY similarity DESC, c.id
        LIMIT :cap`,
      {
        ...scope,
        ...pairParams,
        n: grams.length,
        grams,
        prefix: `${likeEscape(q)}%`,
        candidates: FUZZY_CANDIDATES,
        min: MIN_SIMILARITY,
      },
    );
    return rows.map((r) => ({
      id: Number(r.id),
      kind: 'nameFuzzy',
      similarity: Math.round(r.similarity * 100) / 100,
    }));
  }

  /** The hits' records with unit, card type and live (else latest) card: one query. */
  private async hydrate(
    page: Candidate[],
    cardTypes: readonly { code: string; name: string; important?: boolean }[],
  ): Promise<SearchHit[]> {
    if (page.length === 0) return [];
    const rows = await this.query<{
      id: string;
      kind: string;
      status: string;
      name: string | null;
      plate_number: string | null;
      id_number_masked: string | null;
      organization: string | null;
      card_type: string | null;
      unit_code: string;
      unit_name: string;
      card_id: string | null;
      card_number: string | null;
      card_version: number | null;
      card_status: CardStatus | null;
    }>(
      `SELECT r.id, r.kind, r.status, r.name, r.plate_number, r.id_number_masked, r.organization, r.card_type,
              u.code AS unit_code, u.name AS unit_name,
              c.id AS card_id, c.card_number, c.card_version, c.status AS card_status
         FROM records r
         JOIN units u ON u.id = r.unit_id
         LEFT JOIN LATERAL (
           SELECT id, card_number, card_version, status FROM cards
            WHERE record_id = r.id
            ORDER BY (status IN ${LIVE}) DESC, card_version DESC
            LIMIT 1) c ON true
        WHERE r.id IN (:ids)`,
      { ids: page.map((c) => c.id) },
    );
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    const typeOf = new Map(cardTypes.map((t) => [t.code, t]));
    return page.flatMap((c) => {
      const r = byId.get(c.id);
      if (!r) return [];
      const type = r.card_type ? typeOf.get(r.card_type) : undefined;
      const hit: SearchHit = {
        recordId: c.id,
        kind: r.kind,
        status: r.status,
        name: r.name,
        plateNumber: r.plate_number,
        idNumberMasked: r.id_number_masked,
        organization: r.organization,
        unit: { code: r.unit_code, name: r.unit_name },
        cardType: r.card_type
          ? { code: r.card_type, name: type?.name ?? r.card_type, important: type?.important === true }
          : null,
        card:
          r.card_id === null
            ? null
            : {
                id: Number(r.card_id),
                number: r.card_number!,
                version: r.card_version!,
                status: r.card_status!,
              },
        matchedBy: c.kind,
        ...(c.similarity === undefined ? {} : { similarity: c.similarity }),
      };
      return [hit];
    });
  }
}
