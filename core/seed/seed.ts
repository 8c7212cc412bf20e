import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { QueryTypes } from 'sequelize';
import type { TesseraConfig } from '../config.ts';
import type { Database } from '../db/connection.ts';
import { TesseraError } from '../errors.ts';
import type { Events } from '../events/events.ts';
import type { Records } from '../records/records.ts';
import type { Reports } from '../reports/reports.ts';
import { formatCardNumber } from '../render/context.ts';
import { idNumberCheckChar, PLATE_PROVINCES } from '../validation/index.ts';
import {
  ADDRESS_CODES,
  AGENCIES,
  BRANDS,
  CITIES,
  ETHNICITIES,
  FEMALE_CHARS,
  INDUSTRIES,
  MALE_CHARS,
  MEDIA,
  PLATE_LETTERS,
  POSITIONS,
  SURNAMES,
} from './names.ts';

/**
 * A realistic database for load tests and demos (`tessera seed`): units, people and vehicles
 * with valid ID numbers and plates, sealed and hashed exactly as the records service stores them
 * (`Records.recordRow`), statuses across the review, and cards for most approved records —
 * printed, issued, lost, revoked, returned, replaced by a reprint — with print and issue dates
 * spread over the weeks around the event, and their history. Everything goes in with COPY.
 *
 * Each record is a pure function of (seed, index), so the cards pass can recompute what the
 * records pass wrote without keeping a million objects, and a second run appends new people
 * (indexes continue after the records already there) instead of colliding with the first.
 */
export interface SeedOptions {
  /** Event code (EXPO2026) or plugin code (demo-expo). */
  event: string;
  persons: number;
  vehicles?: number;
  /** Units to spread the records over (default: one per 500 records, at least 20). */
  units?: number;
  /** PRNG seed: the same seed and counts give the same database. */
  seed?: number;
  onProgress?: (progress: SeedProgress) => void;
}

export interface SeedProgress {
  phase: 'units' | 'records' | 'cards' | 'history' | 'analyze';
  done: number;
  total: number;
}

export interface SeedResult {
  event: string;
  units: number;
  persons: number;
  vehicles: number;
  cards: number;
  history: number;
  ms: number;
}

type Services = {
  config: Pick<TesseraConfig, 'databaseUrl'>;
  db: Database;
  events: Events;
  records: Pick<Records, 'recordRow'>;
  /** When given, the report counts take in the seeded rows at the end (else the first report does). */
  reports?: Pick<Reports, 'fold'>;
};

const DAY = 86_400_000;
const CHUNK = 5_000;
/** Birth days 1961-01-01 … 2005-12-31: people of working age at the event. */
const BIRTH_FROM = Date.UTC(1961, 0, 1);
const BIRTH_DAYS = Math.floor((Date.UTC(2005, 11, 31) - BIRTH_FROM) / DAY);
/** Size of the ID-number space an index is spread over (address × birth day × sequence pair). */
const ID_SPACE = ADDRESS_CODES.length * BIRTH_DAYS * 500;
const PLATE_SPACE = PLATE_PROVINCES.length * PLATE_LETTERS.length * 100_000;
/** Large primes, coprime with the spaces: index × prime mod space is a permutation. */
const ID_STRIDE = 2_654_435_761;
const PLATE_STRIDE = 1_000_003;

const STATUS_WEIGHTS: readonly (readonly [string, number])[] = [
  ['draft', 7],
  ['submitted', 10],
  ['approved', 72],
  ['rejected', 6],
  ['returned', 5],
];

/** What became of an approved record's card (none: not printed yet). */
type CardOutcome = 'none' | 'printed' | 'issued' | 'replaced' | 'lost' | 'damaged' | 'revoked' | 'returned';
const CARD_WEIGHTS: readonly (readonly [CardOutcome, number])[] = [
  ['none', 8],
  ['printed', 18],
  ['issued', 56],
  ['replaced', 5],
  ['lost', 4],
  ['damaged', 2],
  ['revoked', 3],
  ['returned', 4],
];

const REASONS: Record<string, string> = {
  rejected: '不符合该证件类型的申领范围',
  returned: '照片不符合要求，请重新上传后提交',
  replaced: '证件污损，补制',
  lost: '持证人报失',
  damaged: '证件损坏',
  revoked: '违规转借，注销',
  returned_card: '活动结束收回',
};

/** mulberry32: small, fast, good enough to spread test data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A picker over weights: `pick(r)` with r in [0, 1). */
function weighted<T>(entries: readonly (readonly [T, number])[]): (r: number) => T {
  const cumulative: number[] = [];
  let sum = 0;
  for (const [, w] of entries) cumulative.push((sum += w));
  return (r) => {
    const x = r * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return entries[lo]![0];
  };
}

const pickOf = <T>(list: readonly T[], r: number): T => list[Math.floor(r * list.length)]!;
const MALE = [...MALE_CHARS];
const FEMALE = [...FEMALE_CHARS];
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** `YYYY-MM-DD` → the day's midnight in China (UTC+8), as epoch ms. */
const chinaDay = (iso: string) => Date.parse(`${iso}T00:00:00+08:00`);

/** A valid resident ID number for index `n` of the ID space; distinct n give distinct numbers. */
export function seededIdNumber(n: number, male: boolean): string {
  const slot = Number((BigInt(n) * BigInt(ID_STRIDE)) % BigInt(ID_SPACE));
  const address = ADDRESS_CODES[slot % ADDRESS_CODES.length]!;
  const rest = Math.floor(slot / ADDRESS_CODES.length);
  const birth = isoDay(BIRTH_FROM + (rest % BIRTH_DAYS) * DAY).replace(/-/g, '');
  const pair = Math.floor(rest / BIRTH_DAYS);
  const sequence = String(pair * 2 + (male ? 1 : 0)).padStart(3, '0');
  const first17 = address + birth + sequence;
  return first17 + idNumberCheckChar(first17);
}

/** A valid ordinary plate for index `n`; distinct n give distinct plates. */
export function seededPlate(n: number): string {
  const slot = (n * PLATE_STRIDE) % PLATE_SPACE;
  const province = PLATE_PROVINCES[slot % PLATE_PROVINCES.length]!;
  const rest = Math.floor(slot / PLATE_PROVINCES.length);
  const letter = PLATE_LETTERS[rest % PLATE_LETTERS.length]!;
  return province + letter + String(Math.floor(rest / PLATE_LETTERS.length)).padStart(5, '0');
}

interface UnitInfo {
  id: number;
  code: string;
  name: string;
  category: 'agency' | 'media' | 'company';
}

interface Plan {
  kind: 'person' | 'vehicle';
  unit: UnitInfo;
  cardType: string;
  status: string;
  name: string;
  male: boolean;
  createdAt: number;
  submittedAt: number | null;
  decidedAt: number | null;
  card: CardOutcome;
  /** Card dates (ms): printed, issued, the event that ended it, the reprint and its issue. */
  printedAt: number;
  issuedAt: number;
  endedAt: number;
  reprintAt: number;
  reissuedAt: number;
  /** The reprint is issued (else still waiting at the desk). */
  reissued: boolean;
  /** A lost card was reprinted for its holder. */
  lostReprinted: boolean;
  r: () => number;
}

/** The first card ended in a way that brought a reprint (version 2, printed or issued). */
const reprintedCard = (p: Plan): boolean =>
  p.card === 'replaced' || p.card === 'damaged' || (p.card === 'lost' && p.lostReprinted);

/**
 * A live card holds the record (records.card_held, migration 0016): its first card still printed or
 * issued, or a reprint. Written with the record, so the cards go in without the trigger that keeps
 * the flag afterwards (it would update most of a million records a second time: seeding took twice
 * as long).
 */
const cardHeld = (p: Plan): boolean => p.card === 'printed' || p.card === 'issued' || reprintedCard(p);

/** COPY text format: tab-separated, `\N` for null, backslash escapes. */
function copyValue(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (Buffer.isBuffer(v)) return `\\\\x${v.toString('hex')}`;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v))
    return copyValue(`{${v.map((x) => `"${String(x).replace(/["\\]/g, '\\$&')}"`).join(',')}}`);
  if (typeof v === 'object') return copyValue(JSON.stringify(v));
  return String(v).replace(
    /[\\\t\n\r]/g,
    (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!,
  );
}
const copyLine = (values: unknown[]) => `${values.map(copyValue).join('\t')}\n`;

async function copyInto(client: pg.Client, sql: string, lines: Iterable<string>): Promise<void> {
  // Lines are grouped into chunks so the stream moves tens of kilobytes at a time, not one row.
  function* chunks() {
    let buffer = '';
    for (const line of lines) {
      buffer += line;
      if (buffer.length > 256_000) {
        yield buffer;
        buffer = '';
      }
    }
    if (buffer) yield buffer;
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(sql)));
}

export async function seed(services: Services, options: SeedOptions): Promise<SeedResult> {
  const started = Date.now();
  const { db } = services;
  const persons = Math.max(0, Math.floor(options.persons));
  const vehicles = Math.max(0, Math.floor(options.vehicles ?? 0));
  const total = persons + vehicles;
  const progress = options.onProgress ?? (() => undefined);
  const seedValue = options.seed ?? 20_261_015;

  const [found] = await db.sequelize.query<{ code: string }>(
    `SELECT code FROM events WHERE code = :e OR plugin_code = :e ORDER BY (code = :e) DESC, id LIMIT 1`,
    { type: QueryTypes.SELECT, replacements: { e: options.event } },
  );
  if (!found)
    throw new TesseraError(
      'event_not_found',
      `活动 "${options.event}" 不存在（请填写活动代码或插件代码）`,
      404,
    );
  const { event, plugin } = await services.events.find(found.code);
  const manifest = plugin.manifest.event;
  const personTypes = plugin.cardTypes.filter((t) => t.recordKind === 'person');
  const vehicleTypes = plugin.cardTypes.filter((t) => t.recordKind === 'vehicle');
  if (persons > 0 && personTypes.length === 0)
    throw new TesseraError('no_card_type', `活动 ${event.code} 没有人员证件类型，无法生成人员`, 422);
  if (vehicles > 0 && vehicleTypes.length === 0)
    throw new TesseraError('no_card_type', `活动 ${event.code} 没有车辆证件类型，无法生成车辆`, 422);

  // Units: an existing seed's units are reused, so a second run spreads over the same ones.
  const unitCount = Math.max(1, options.units ?? Math.max(20, Math.round(total / 500)));
  progress({ phase: 'units', done: 0, total: unitCount });
  const unitRng = rng(seedValue);
  const unitRows: [string, string][] = [];
  for (let k = 0; k < unitCount; k++) {
    const city = pickOf(CITIES, unitRng());
    const category = k % 10 < 3 ? 'agency' : k % 10 === 3 ? 'media' : 'company';
    const name =
      category === 'agency'
        ? city + pickOf(AGENCIES, unitRng())
        : category === 'media'
          ? city.replace(/市$/, '') + pickOf(MEDIA, unitRng())
          : `${city.replace(/市$/, '')}${pickOf(BRANDS, unitRng())}${pickOf(INDUSTRIES, unitRng())}有限公司`;
    unitRows.push([`S${String(k + 1).padStart(4, '0')}`, name]);
  }
  for (let k = 0; k < unitRows.length; k += 1000) {
    const slice = unitRows.slice(k, k + 1000);
    await db.sequelize.query(
      `INSERT INTO units (code, name) SELECT * FROM unnest(:codes::text[], :names::text[]) ON CONFLICT (code) DO NOTHING`,
      {
        replacements: {
          codes: `{${slice.map((u) => u[0]).join(',')}}`,
          names: `{${slice.map((u) => `"${u[1]}"`).join(',')}}`,
        },
      },
    );
  }
  const unitIds = await db.sequelize.query<{ id: string; code: string; name: string }>(
    `SELECT id, code, name FROM units WHERE code = ANY(:codes::text[]) ORDER BY code`,
    { type: QueryTypes.SELECT, replacements: { codes: `{${unitRows.map((u) => u[0]).join(',')}}` } },
  );
  const units: UnitInfo[] = unitIds.map((u, k) => ({
    id: Number(u.id),
    code: u.code,
    name: u.name,
    category: k % 10 < 3 ? 'agency' : k % 10 === 3 ? 'media' : 'company',
  }));
  progress({ phase: 'units', done: units.length, total: unitCount });
  // Unit sizes follow a gentle power law: the organiser's big departments next to small firms.
  const pickUnit = weighted(units.map((u, k) => [u, 1 / Math.sqrt(k + 1)] as const));

  const typePickers = new Map<string, (r: number) => string>();
  const typePicker = (kind: 'person' | 'vehicle', category: UnitInfo['category']) => {
    const key = `${kind}/${category}`;
    let picker = typePickers.get(key);
    if (!picker) {
      const types = kind === 'person' ? personTypes : vehicleTypes;
      const least = Math.max(...types.map((t) => t.importanceLevel ?? 0));
      picker = weighted(
        types.map((t) => {
          let w = t.important ? 0.03 : 1;
          if (category === 'agency' && t.important) w *= 3;
          if (category === 'media' && /记者|媒体|PRESS|MEDIA/i.test(t.code + t.name)) w = 12;
          if (category === 'company' && (t.importanceLevel ?? 0) === least) w *= 3;
          return [t.code, w] as const;
        }),
      );
      typePickers.set(key, picker);
    }
    return picker;
  };
  const pickSurname = weighted(SURNAMES);
  const pickStatus = weighted(STATUS_WEIGHTS);
  const pickCard = weighted(CARD_WEIGHTS);
  const pickEthnicity = weighted(ETHNICITIES);

  const eventStart = chinaDay(manifest.startDate);
  const eventEnd = chinaDay(manifest.endDate);
  const opens = manifest.collection?.opensOn ? chinaDay(manifest.collection.opensOn) : eventStart - 75 * DAY;
  const closes = manifest.collection?.closesOn
    ? chinaDay(manifest.collection.closesOn)
    : eventStart - 15 * DAY;
  // Cards are printed and handed out from three weeks before the event to its last day, more
  // of them as the opening nears.
  const issueFrom = eventStart - 21 * DAY;
  const issueDays = Math.max(1, Math.round((eventEnd - issueFrom) / DAY) + 1);
  /** 20:00 on the event's last day. */
  const lastMoment = eventEnd + 20 * 3_600_000;
  const workHour = (r: () => number) => (8 + Math.floor(r() * 11)) * 3_600_000 + Math.floor(r() * 3_600_000);
  const dayIn = (from: number, days: number, r: number) => from + Math.floor(r * days) * DAY;

  const [existing] = await db.sequelize.query<{ n: string }>(
    `SELECT count(*) AS n FROM records WHERE event_id = :eventId`,
    { type: QueryTypes.SELECT, replacements: { eventId: event.id } },
  );
  const base = Number(existing?.n ?? 0);

  function plan(i: number): Plan {
    const r = rng(seedValue ^ Math.imul(base + i + 1, 0x9e3779b1));
    const kind = i < persons ? 'person' : 'vehicle';
    const unit = pickUnit(r());
    const cardType = typePicker(kind, unit.category)(r());
    const status = pickStatus(r());
    const male = r() < 0.55;
    const chars = male ? MALE : FEMALE;
    const given = r() < 0.14 ? pickOf(chars, r()) : pickOf(chars, r()) + pickOf(chars, r());
    const name = pickSurname(r()) + given;
    const createdAt = dayIn(opens, Math.max(1, (closes - opens) / DAY), r()) - 8 * 3_600_000 + workHour(r);
    const submittedAt = status === 'draft' ? null : createdAt + Math.floor(r() * 5 * DAY);
    const decidedAt =
      status === 'approved' || status === 'rejected' || status === 'returned'
        ? Math.min(submittedAt! + Math.floor(r() * 7 * DAY), eventStart - DAY)
        : null;
    const card = status === 'approved' ? pickCard(r()) : 'none';
    const printedDay = dayIn(issueFrom, issueDays, 1 - (1 - r()) ** 2);
    const printedAt = Math.min(
      Math.max(printedDay - 8 * 3_600_000 + workHour(r), (decidedAt ?? 0) + 3_600_000),
      lastMoment - 4 * 3_600_000,
    );
    // Each later step happens a little after the one before, never after the event's last day.
    const after = (t: number, most: number) =>
      t + 60_000 + Math.floor(r() * Math.max(0, Math.min(most, lastMoment - t - 60_000)));
    const issuedAt = after(printedAt, 3 * DAY);
    const endedAt = after(issuedAt, 4 * DAY);
    const reprintAt = after(endedAt, DAY);
    const reissuedAt = after(reprintAt, DAY);
    return {
      kind,
      unit,
      cardType,
      status,
      name,
      male,
      createdAt,
      submittedAt,
      decidedAt,
      card,
      printedAt,
      issuedAt,
      endedAt,
      reprintAt,
      reissuedAt,
      reissued: r() < 0.8,
      lostReprinted: r() < 0.6,
      r,
    };
  }

  const zonesOf = new Map(plugin.cardTypes.map((t) => [t.code, t.zones ?? []]));
  function values(i: number, p: Plan): Record<string, unknown> {
    const r = p.r;
    const zones = zonesOf.get(p.cardType) ?? [];
    // One in five declares fewer zones than the card type's default.
    const declared = zones.length > 1 && r() < 0.2 ? zones.slice(0, zones.length - 1) : zones;
    const mobile = `1${pickOf(['39', '38', '37', '36', '35', '58', '59', '86', '87', '88', '50', '77', '99'], r())}${String(Math.floor(r() * 1e8)).padStart(8, '0')}`;
    if (p.kind === 'person') {
      const idNumber = seededIdNumber(base + i, p.male);
      const birth = idNumber.slice(6, 14);
      return {
        name: p.name,
        gender: p.male ? 'M' : 'F',
        ethnicity: pickEthnicity(r()),
        birthDate: `${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}`,
        idType: '1',
        idNumber,
        organization: p.unit.name,
        position: pickOf(POSITIONS, r()),
        mobile,
        cardType: p.cardType,
        zones: declared,
      };
    }
    return {
      plateNumber: seededPlate(base + i),
      vehicleType: pickOf(['SMALL', 'SMALL', 'SMALL', 'MEDIUM', 'LARGE', 'VAN'], r()),
      organization: p.unit.name,
      driverName: p.name,
      driverIdNumber: seededIdNumber(base + i, p.male),
      mobile,
      cardType: p.cardType,
      zones: declared,
    };
  }

  // COPY needs a connection of its own (Sequelize's pool has no streaming API).
  const client = new pg.Client({
    connectionString: services.config.databaseUrl ?? db.embedded!.url,
    application_name: 'tessera seed',
  });
  await client.connect();
  let cards = 0;
  let history = 0;
  try {
    // Records: ids reserved as one block while writers wait (the table is locked, readers are not).
    await client.query('BEGIN');
    await client.query('LOCK TABLE records IN EXCLUSIVE MODE');
    const firstRecord = total
      ? Number((await client.query(`SELECT nextval('records_id_seq') AS id`)).rows[0].id)
      : 0;
    if (total) await client.query(`SELECT setval('records_id_seq', $1)`, [firstRecord + total - 1]);
    const recordLines = function* (): Generator<string> {
      for (let i = 0; i < total; i++) {
        const p = plan(i);
        const row = services.records.recordRow(p.kind, values(i, p)) as Record<string, unknown>;
        const at = new Date(p.createdAt);
        const updated = new Date(
          Math.max(p.createdAt, p.decidedAt ?? 0, p.card !== 'none' ? p.printedAt : 0),
        );
        yield copyLine([
          firstRecord + i,
          event.id,
          p.unit.id,
          p.kind,
          p.status,
          row.cardType,
          event.pluginVersionId,
          row.name,
          row.gender,
          row.birthDate,
          row.idType,
          row.idNumberHash,
          row.idNumberEnc,
          row.idNumberMasked,
          row.organization,
          row.position,
          row.mobile,
          row.plateNumber,
          row.vehicleType,
          row.zones,
          row.data,
          at,
          updated,
          p.submittedAt === null ? null : new Date(p.submittedAt),
          p.decidedAt === null ? null : new Date(p.decidedAt),
          p.status === 'rejected' || p.status === 'returned' ? REASONS[p.status] : null,
          p.card === 'none' ? null : new Date(p.printedAt),
          cardHeld(p),
        ]);
        if ((i + 1) % CHUNK === 0 || i + 1 === total) progress({ phase: 'records', done: i + 1, total });
      }
    };
    await copyInto(
      client,
      `COPY records (id, event_id, unit_id, kind, status, card_type, plugin_version_id, name, gender, birth_date,
        id_type, id_number_hash, id_number_enc, id_number_masked, organization, position, mobile, plate_number,
        vehicle_type, zones, data, created_at, updated_at, submitted_at, decided_at, decision_reason, printed_at,
        card_held)
       FROM STDIN`,
      recordLines(),
    );
    await client.query('COMMIT');

    // Cards and their history, in one transaction; numbers continue the event's counters.
    await client.query('BEGIN');
    await client.query('LOCK TABLE cards, card_number_counters IN EXCLUSIVE MODE');
    // card_held was written with the records (cardHeld); back on before this transaction ends.
    await client.query('ALTER TABLE cards DISABLE TRIGGER records_card_held_i');
    const counters = new Map<string, number>();
    for (const row of (
      await client.query<{ card_type: string; last_seq: number }>(
        'SELECT card_type, last_seq FROM card_number_counters WHERE event_id = $1',
        [event.id],
      )
    ).rows)
      counters.set(row.card_type, row.last_seq);
    const firstSeq: ReadonlyMap<string, number> = counters;
    const firstCard = Number((await client.query(`SELECT nextval('cards_id_seq') AS id`)).rows[0].id);

    /** Walks the cards in one fixed order; called twice (cards, then history) with the same ids. */
    let lastSeqs = firstSeq;
    function* cardWalk(): Generator<{ index: number; cardLine: string; historyLines: string[] }> {
      let nextId = firstCard;
      const seqs = new Map(firstSeq);
      lastSeqs = seqs;
      for (let i = 0; i < total; i++) {
        const p = plan(i);
        if (p.card === 'none') continue;
        const type = plugin.cardTypes.find((t) => t.code === p.cardType)!;
        const seq = (seqs.get(type.code) ?? (type.numbering.start ?? 1) - 1) + 1;
        seqs.set(type.code, seq);
        const number = formatCardNumber(type.numbering.pattern, {
          event: event.code,
          type: type.code,
          year: isoDay(p.printedAt).slice(0, 4),
          unit: p.unit.code,
          seq,
        });
        const recordId = firstRecord + i;
        const reprinted = reprintedCard(p);
        const id = nextId++;
        const v2 = reprinted ? nextId++ : null;
        const status = p.card === 'returned' ? 'returned' : p.card;
        const issued = p.card !== 'printed';
        const ended = !['printed', 'issued'].includes(p.card);
        const reason = !ended
          ? null
          : ((p.card === 'returned' ? REASONS.returned_card : REASONS[p.card]) ?? null);
        const card = (
          cardId: number,
          version: number,
          s: string,
          printed: number,
          issuedAt: number | null,
          why: string | null,
          replacedBy: number | null,
          updated: number,
        ) =>
          copyLine([
            cardId,
            event.id,
            recordId,
            p.unit.id,
            type.code,
            number,
            seq,
            version,
            s,
            1,
            new Date(printed),
            issuedAt === null ? null : new Date(issuedAt),
            issuedAt === null ? null : p.name,
            why,
            replacedBy,
            new Date(printed - 3_600_000),
            new Date(updated),
          ]);
        const hist = (
          cardId: number,
          action: string,
          from: string | null,
          to: string,
          at: number,
          why: string | null = null,
        ) => copyLine([event.id, cardId, recordId, action, from, to, why, new Date(at)]);
        const historyLines = [hist(id, 'print', 'queued', 'printed', p.printedAt)];
        if (issued) historyLines.push(hist(id, 'issue', 'printed', 'issued', p.issuedAt));
        const endAction = {
          replaced: 'replace',
          lost: 'lost',
          damaged: 'damaged',
          revoked: 'revoke',
          returned: 'return',
        } as Record<string, string>;
        if (ended) historyLines.push(hist(id, endAction[p.card]!, 'issued', status, p.endedAt, reason));
        let lines = card(
          id,
          1,
          status,
          p.printedAt,
          issued ? p.issuedAt : null,
          reason,
          v2,
          ended ? p.endedAt : issued ? p.issuedAt : p.printedAt,
        );
        if (v2 !== null) {
          // A lost card is reprinted only when the holder asks (then it is collected); other reprints may still wait at the desk.
          const reissued = p.reissued || p.card === 'lost';
          lines += card(
            v2,
            2,
            reissued ? 'issued' : 'printed',
            p.reprintAt,
            reissued ? p.reissuedAt : null,
            null,
            null,
            reissued ? p.reissuedAt : p.reprintAt,
          );
          historyLines.push(hist(v2, 'reprint', null, 'printed', p.reprintAt, reason));
          if (reissued) historyLines.push(hist(v2, 'issue', 'printed', 'issued', p.reissuedAt));
        }
        yield { index: i, cardLine: lines, historyLines };
      }
    }
    const cardLines = function* (): Generator<string> {
      let n = 0;
      for (const c of cardWalk()) {
        yield c.cardLine;
        // Progress in records walked: the number of cards is known only at the end.
        if (++n % CHUNK === 0) progress({ phase: 'cards', done: c.index + 1, total });
      }
      cards = n;
      progress({ phase: 'cards', done: total, total });
    };
    await copyInto(
      client,
      `COPY cards (id, event_id, record_id, unit_id, card_type, card_number, seq, card_version, status, record_version,
        printed_at, issued_at, issued_to, status_reason, replaced_by, created_at, updated_at) FROM STDIN`,
      cardLines(),
    );
    const historyLines = function* (): Generator<string> {
      let n = 0;
      for (const c of cardWalk()) {
        for (const line of c.historyLines) yield line;
        history += c.historyLines.length;
        if (++n % CHUNK === 0 || n === cards) progress({ phase: 'history', done: n, total: cards });
      }
    };
    await copyInto(
      client,
      `COPY card_history (event_id, card_id, record_id, action, from_status, to_status, reason, at) FROM STDIN`,
      historyLines(),
    );
    // The counters and the id sequence continue after the seeded cards.
    for (const [type, seq] of lastSeqs) {
      await client.query(
        `INSERT INTO card_number_counters (event_id, card_type, last_seq) VALUES ($1, $2, $3)
         ON CONFLICT (event_id, card_type) DO UPDATE SET last_seq = EXCLUDED.last_seq`,
        [event.id, type, seq],
      );
    }
    const used = (
      await client.query<{ n: string }>('SELECT count(*) AS n FROM cards WHERE id >= $1', [firstCard])
    ).rows[0]!;
    await client.query(`SELECT setval('cards_id_seq', $1)`, [firstCard + Math.max(Number(used.n), 1) - 1]);
    await client.query('ALTER TABLE cards ENABLE TRIGGER records_card_held_i');
    await client.query('COMMIT');

    // Fresh statistics and visibility maps: the planner and index-only scans see the new rows.
    progress({ phase: 'analyze', done: 0, total: 1 });
    await services.reports?.fold(event.id);
    await client.query(
      'VACUUM (ANALYZE) records, cards, card_history, units, report_record_counts, report_record_deltas, report_card_counts, report_card_deltas, report_issue_counts, report_issue_deltas',
    );
    progress({ phase: 'analyze', done: 1, total: 1 });
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
  return {
    event: event.code,
    units: units.length,
    persons,
    vehicles,
    cards,
    history,
    ms: Date.now() - started,
  };
}
