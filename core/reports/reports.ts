import { QueryTypes } from 'sequelize';
import type { AuditLog } from '../audit.ts';
import type { SessionUser } from '../auth/accounts.ts';
import type { CardStatus } from '../cards/views.ts';
import type { Database } from '../db/connection.ts';
import { Coalescer } from '../concurrency.ts';
import { TesseraError } from '../errors.ts';
import type { Events } from '../events/events.ts';
import { keptPlusDeltas } from './kept-counts.ts';
import { statisticsWorkbook } from './xlsx.ts';
import {
  REPORT_CARD_STATUSES,
  REPORT_RECORD_STATUSES,
  type ReportCardType,
  type ReportCounts,
  type ReportRecordStatus,
  type StatisticsFilter,
  type StatisticsShape,
  type StatisticsReport,
} from './views.ts';

export type * from './views.ts';

/** Statistics are the office's view of the whole event: not for units, clerks or designers. */
export const REPORT_ROLES = ['admin', 'operator', 'reviewer'] as const;

type Actor = Pick<SessionUser, 'role'>;

/** Arbitrary constant: one folder of report deltas at a time. */
const FOLD_LOCK = 7_241_008;

/** Where each delta table's rows go when folded: the counts (0008) and the totals above them (0015). */
const FOLDS: readonly {
  deltas: string;
  columns: string;
  into: readonly { table: string; key: string; where?: string }[];
}[] = [
  {
    deltas: 'report_record_deltas',
    columns: 'event_id, unit_id, card_type, status, zones',
    into: [
      { table: 'report_record_counts', key: 'event_id, unit_id, card_type, status, zones' },
      { table: 'report_record_zone_totals', key: 'event_id, card_type, status, zones' },
      {
        table: 'report_record_unit_totals',
        key: 'event_id, unit_id, card_type',
        where: "status <> 'deleted'",
      },
    ],
  },
  {
    deltas: 'report_card_deltas',
    columns: 'event_id, unit_id, card_type, status',
    into: [
      { table: 'report_card_counts', key: 'event_id, unit_id, card_type, status' },
      { table: 'report_card_type_totals', key: 'event_id, card_type, status' },
      { table: 'report_card_unit_totals', key: 'event_id, unit_id, card_type' },
    ],
  },
  {
    deltas: 'report_issue_deltas',
    columns: 'event_id, card_type, hour',
    into: [{ table: 'report_issue_counts', key: 'event_id, card_type, hour' }],
  },
];

export function emptyCounts(): ReportCounts {
  const records = { total: 0 } as ReportCounts['records'];
  for (const s of REPORT_RECORD_STATUSES) records[s] = 0;
  const cards = { total: 0 } as ReportCounts['cards'];
  for (const s of REPORT_CARD_STATUSES) cards[s] = 0;
  return { records, cards };
}

function addRecords(into: ReportCounts, status: string, n: number): void {
  if (!(REPORT_RECORD_STATUSES as readonly string[]).includes(status)) return;
  into.records[status as ReportRecordStatus] += n;
  into.records.total += n;
}

function addCards(into: ReportCounts, status: string, n: number): void {
  if (!(REPORT_CARD_STATUSES as readonly string[]).includes(status)) return;
  into.cards[status as CardStatus] += n;
  into.cards.total += n;
}

/**
 * 统计报表: per unit × card type × status (the records' review status and the cards' states),
 * per access zone, cards issued per day, the important card types apart — read from the
 * counts the database keeps (migration 0008: triggers append deltas on every write of records
 * and cards; a report folds them in, then groups a few thousand count rows instead of a million
 * records — see test/perf/search-reports.bench.ts).
 */
export class Reports {
  constructor(
    private readonly db: Database,
    private readonly events: Events,
    private readonly audit?: AuditLog,
  ) {}

  /** The statistics as an .xlsx download; a workbook leaves the system, so the export is audited. */
  async statisticsWorkbook(
    eventCode: string,
    actor: SessionUser & { ip: string },
    filter: StatisticsFilter = {},
  ): Promise<{ report: StatisticsReport; bytes: Uint8Array }> {
    const report = await this.statistics(eventCode, actor, filter);
    const bytes = await statisticsWorkbook(report);
    const event = await this.events.find(eventCode);
    await this.audit?.record(
      'report_export',
      { userId: actor.id, username: actor.username, ip: actor.ip },
      { type: 'report', id: 'statistics', eventId: event.event.id },
      { format: 'xlsx', filter },
    );
    return { report, bytes };
  }

  private query<T extends object>(sql: string, replacements: Record<string, unknown>): Promise<T[]> {
    return this.db.sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements });
  }

  /**
   * Folds the deltas the triggers appended (migration 0008) into the counts and the totals above
   * them (0015): one folder at a time (another report meanwhile reads counts or totals + deltas,
   * which is just as exact). One round trip: a DO block is one statement and one transaction, and
   * under load each round trip of a report waits its turn for the CPU (the fold was a dozen).
   */
  async fold(eventId: number): Promise<void> {
    const e = Math.trunc(eventId);
    const statements = FOLDS.flatMap(({ deltas, columns, into }) => {
      const insert = ({ table, key, where }: (typeof into)[number]) =>
        `INSERT INTO ${table} (${key}, amount)
           SELECT ${key}, sum(amount) FROM moved ${where ? `WHERE ${where} ` : ''}GROUP BY ${key}
           ON CONFLICT (${key}) DO UPDATE SET amount = ${table}.amount + EXCLUDED.amount`;
      const last = into[into.length - 1]!;
      const others = into.slice(0, -1).map((target, i) => `t${i} AS (${insert(target)})`);
      return [
        `WITH moved AS (DELETE FROM ${deltas} WHERE event_id = ${e} RETURNING ${columns}, amount)
              ${others.map((o) => `, ${o}`).join('\n')}
         ${insert(last)}`,
        // Rows brought to zero (partial indexes: cheap when there are none).
        ...into.map(({ table }) => `DELETE FROM ${table} WHERE event_id = ${e} AND amount = 0`),
      ];
    });
    await this.db.sequelize.query(
      `DO $fold$ BEGIN
         IF pg_try_advisory_xact_lock(${FOLD_LOCK}) THEN
           ${statements.join(';\n')};
         END IF;
       END $fold$`,
    );
  }

  async statistics(
    eventCode: string,
    actor: Actor,
    filter: StatisticsFilter = {},
    shape: StatisticsShape = {},
  ): Promise<StatisticsReport> {
    if (!(REPORT_ROLES as readonly string[]).includes(actor.role))
      throw new TesseraError('forbidden', '当前角色不能查看统计报表', 403);
    // The whole event's report is the heaviest read there is (~0.1 s of both cores at a million
    // records); several operators asking at once share one computation (never an older one).
    const key = JSON.stringify([
      eventCode,
      filter.unit ?? '',
      filter.cardType ?? '',
      filter.important === true,
      shape.topUnits ?? 0,
    ]);
    return this.computing.run(key, () => this.compute(eventCode, filter, shape));
  }

  private readonly computing = new Coalescer<StatisticsReport>();

  private async compute(
    eventCode: string,
    filter: StatisticsFilter,
    shape: StatisticsShape,
  ): Promise<StatisticsReport> {
    const started = performance.now();
    const { event, plugin } = await this.events.find(eventCode);
    const manifest = plugin.manifest.event;
    const timezone = manifest.timezone ?? 'Asia/Shanghai';

    const cardTypes: ReportCardType[] = [...plugin.cardTypes]
      .sort(
        (a, b) =>
          Number(b.important === true) - Number(a.important === true) ||
          (a.importanceLevel ?? 99) - (b.importanceLevel ?? 99),
      )
      .map((t) => ({
        code: t.code,
        name: t.name,
        recordKind: t.recordKind,
        important: t.important === true,
        importanceLevel: t.importanceLevel ?? null,
        color: t.color ?? null,
      }));
    if (filter.cardType && !cardTypes.some((t) => t.code === filter.cardType))
      throw new TesseraError('unknown_card_type', `本活动没有证件类型 "${filter.cardType}"`, 422);
    let unitId: number | null = null;
    if (filter.unit) {
      const unit = await this.db.models.Unit.findOne({ where: { code: filter.unit } });
      if (!unit) throw new TesseraError('unit_not_found', `单位 "${filter.unit}" 不存在`, 422);
      unitId = unit.id;
    }
    const chosen = cardTypes.filter(
      (t) => (!filter.cardType || t.code === filter.cardType) && (!filter.important || t.important),
    );
    const shown = chosen.map((t) => t.code);
    const r = { e: event.id, u: unitId, types: shown.length ? shown : [''], tz: timezone };
    // `card_type IN (…)` also leaves out records without a card type, which no report line shows.
    const where = `card_type IN (:types) AND (:u::bigint IS NULL OR unit_id = :u::bigint)`;

    await this.fold(event.id);
    /** A kept table plus the deltas not folded into it yet (the fold just ran: these are few). */
    const plus = (kept: string, deltas: string, columns: string, deltasWhere = 'TRUE') =>
      keptPlusDeltas(kept, deltas, columns, 'event_id = :e', `event_id = :e AND ${deltasWhere}`);
    const both = (table: string, columns: string) =>
      plus(`report_${table}_counts`, `report_${table}_deltas`, columns);
    // The whole event's figures come from the totals (0015); one unit's from its own counts.
    const whole = unitId === null;
    const types = 'card_type IN (:types)';
    // The screen's ask (topUnits) is answered in SQL: a million records make about a hundred
    // thousand count rows per unit, card type and status, and parsing them all to send 500 units'
    // lines cost the server's one thread ~0.3 s per report (load test, CPU profile).
    const top = shape.topUnits && unitId === null ? shape.topUnits : 0;
    /** Records' or cards' counts by `keys` and status (of the top units only: `topOnly`). */
    const perStatus = (table: 'record' | 'card', keys: string, topOnly: boolean) =>
      `SELECT ${keys}, status, sum(amount)::int AS n FROM (${both(table, 'unit_id, card_type, status')}) x
        WHERE ${where}${table === 'record' ? ` AND status <> 'deleted'` : ''}${topOnly ? ' AND unit_id = ANY(ARRAY(SELECT unit_id FROM top_units))' : ''}
        GROUP BY ${keys}, status HAVING sum(amount) <> 0`;
    // The units with a line (records or cards), and the `top` of them with the most records
    // (ties: the lower unit code) — the same units and order the screen shows.
    const ranking = top
      ? `r AS (SELECT unit_id, sum(amount) AS n
                 FROM (${plus('report_record_unit_totals', 'report_record_deltas', 'unit_id, card_type', "status <> 'deleted'")}) x
                WHERE ${types} GROUP BY unit_id HAVING sum(amount) <> 0),
         c AS (SELECT unit_id FROM (${plus('report_card_unit_totals', 'report_card_deltas', 'unit_id, card_type')}) x
                WHERE ${types} GROUP BY unit_id HAVING sum(amount) <> 0),
         lined AS (SELECT unit_id FROM r UNION SELECT unit_id FROM c),
         top_units AS (SELECT l.unit_id FROM lined l JOIN units u ON u.id = l.unit_id
                         LEFT JOIN r ON r.unit_id = l.unit_id
                        ORDER BY coalesce(r.n, 0) DESC, u.code LIMIT :top),`
      : '';
    /** One JSON array of arrays per part (one value to parse instead of thousands of rows). */
    const json = (columns: string, sql: string) =>
      `(SELECT json_agg(json_build_array(${columns})) FROM (${sql}) g)`;
    // Every part in one statement: one round trip and one connection instead of three rounds of
    // up to four (under load each round trip waited its turn for the CPU and the pool).
    const [answer] = await this.query<{
      type_cards: [string, string, number][] | null;
      zones: [string, string, string[], number][] | null;
      daily: [string, string, number][] | null;
      records: [number, string, string, number][] | null;
      cards: [number, string, string, number][] | null;
      units: [number, string, string][] | null;
      unit_count: number | null;
    }>(
      `WITH ${ranking}
            rec AS (${perStatus('record', 'unit_id, card_type', top > 0)}),
            crd AS (${perStatus('card', 'unit_id, card_type', top > 0)})
       SELECT ${json(
         'card_type, status, n',
         whole
           ? `SELECT card_type, status, sum(amount)::int AS n
                FROM (${plus('report_card_type_totals', 'report_card_deltas', 'card_type, status')}) x
               WHERE ${types} GROUP BY 1, 2 HAVING sum(amount) <> 0`
           : perStatus('card', 'card_type', false),
       )} AS type_cards,
              -- Records by card type and status are the zone rows summed over zones (one pass less).
              ${json(
                'card_type, status, zones, n',
                `SELECT card_type, status, zones, sum(amount)::int AS n
                   FROM (${
                     whole
                       ? plus('report_record_zone_totals', 'report_record_deltas', 'card_type, status, zones')
                       : both('record', 'unit_id, card_type, status, zones')
                   }) x
                  WHERE ${whole ? types : where} AND status <> 'deleted' GROUP BY 1, 2, 3 HAVING sum(amount) <> 0`,
              )} AS zones,
              -- Issuance is kept per card type and hour; one unit's is counted from its own cards.
              ${json(
                'day, card_type, n',
                whole
                  ? `SELECT (hour AT TIME ZONE :tz)::date AS day, card_type, sum(amount)::int AS n
                       FROM (${both('issue', 'card_type, hour')}) x
                      WHERE card_type IN (:types) GROUP BY 1, 2 HAVING sum(amount) <> 0`
                  : `SELECT (issued_at AT TIME ZONE :tz)::date AS day, card_type, count(*)::int AS n
                       FROM cards WHERE event_id = :e AND unit_id = :u AND card_type IN (:types) AND issued_at IS NOT NULL
                      GROUP BY 1, 2`,
              )} AS daily,
              ${json('unit_id, card_type, status, n', 'SELECT * FROM rec')} AS records,
              ${json('unit_id, card_type, status, n', 'SELECT * FROM crd')} AS cards,
              ${json('id, code, name', 'SELECT id, code, name FROM units WHERE id IN (SELECT unit_id FROM rec UNION SELECT unit_id FROM crd)')} AS units,
              ${top ? '(SELECT count(*) FROM lined)::int' : 'NULL::int'} AS unit_count`,
      { ...r, top },
    );
    const typeCardRows = answer?.type_cards ?? [];
    const zoneRows = answer?.zones ?? [];
    const dailyRows = answer?.daily ?? [];
    const recordRows = answer?.records ?? [];
    const cardRows = answer?.cards ?? [];
    const unitOf = new Map((answer?.units ?? []).map(([id, code, name]) => [String(id), { code, name }]));

    const totals = emptyCounts();
    const important = emptyCounts();
    const importantCodes = new Set(cardTypes.filter((t) => t.important).map((t) => t.code));
    const byType = new Map(shown.map((code) => [code, emptyCounts()]));
    const byUnit = new Map<
      string,
      { unit: { code: string; name: string }; cardType: string } & ReportCounts
    >();
    const unitLine = (unitIdValue: string | number, cardType: string) => {
      const unitIdText = String(unitIdValue);
      const key = `${unitIdText}/${cardType}`;
      let line = byUnit.get(key);
      if (!line) {
        line = { unit: unitOf.get(unitIdText) ?? { code: '?', name: '?' }, cardType, ...emptyCounts() };
        byUnit.set(key, line);
      }
      return line;
    };
    const typeRecordRows = new Map<string, [string, string, number]>();
    for (const [cardType, status, , n] of zoneRows) {
      const key = `${cardType}\u0000${status}`;
      const row = typeRecordRows.get(key);
      if (row) row[2] += n;
      else typeRecordRows.set(key, [cardType, status, n]);
    }
    for (const [cardType, status, n] of typeRecordRows.values()) {
      for (const into of [totals, byType.get(cardType)]) if (into) addRecords(into, status, n);
      if (importantCodes.has(cardType)) addRecords(important, status, n);
    }
    for (const [cardType, status, n] of typeCardRows) {
      for (const into of [totals, byType.get(cardType)]) if (into) addCards(into, status, n);
      if (importantCodes.has(cardType)) addCards(important, status, n);
    }
    for (const [unitId, cardType, status, n] of recordRows) addRecords(unitLine(unitId, cardType), status, n);
    for (const [unitId, cardType, status, n] of cardRows) addCards(unitLine(unitId, cardType), status, n);

    const defaultZones = new Map(plugin.cardTypes.map((t) => [t.code, t.zones ?? []]));
    const zones = manifest.zones.map((z) => ({
      zone: { code: z.code, name: z.name, color: z.color ?? null },
      records: { ...emptyCounts().records },
      approvedByCardType: Object.fromEntries(shown.map((c) => [c, 0])) as Record<string, number>,
    }));
    const zoneLine = new Map(zones.map((z) => [z.zone.code, z]));
    for (const [cardType, status, declared, n] of zoneRows) {
      if (!(REPORT_RECORD_STATUSES as readonly string[]).includes(status)) continue;
      const codes = declared.length > 0 ? declared : (defaultZones.get(cardType) ?? []);
      for (const code of new Set(codes)) {
        const line = zoneLine.get(code);
        if (!line) continue;
        line.records[status as ReportRecordStatus] += n;
        line.records.total += n;
        if (status === 'approved')
          line.approvedByCardType[cardType] = (line.approvedByCardType[cardType] ?? 0) + n;
      }
    }

    const days = new Map<string, { day: string; total: number; byCardType: Record<string, number> }>();
    for (const [day, cardType, n] of dailyRows) {
      let line = days.get(day);
      if (!line) {
        line = { day, total: 0, byCardType: Object.fromEntries(shown.map((c) => [c, 0])) };
        days.set(day, line);
      }
      line.byCardType[cardType] = (line.byCardType[cardType] ?? 0) + n;
      line.total += n;
    }

    const typeOrder = new Map(cardTypes.map((t, i) => [t.code, i]));
    const lines = [...byUnit.values()];
    const unitCount = answer?.unit_count ?? new Set(lines.map((l) => l.unit.code)).size;
    return {
      event: {
        code: event.code,
        name: event.name,
        startDate: manifest.startDate,
        endDate: manifest.endDate,
        timezone,
      },
      filter: {
        ...(filter.unit ? { unit: filter.unit } : {}),
        ...(filter.cardType ? { cardType: filter.cardType } : {}),
        ...(filter.important ? { important: true } : {}),
      },
      generatedAt: new Date().toISOString(),
      tookMs: Math.round(performance.now() - started),
      cardTypes: chosen,
      totals,
      important,
      byCardType: shown.map((code) => ({ cardType: code, ...byType.get(code)! })),
      byUnit: lines.sort(
        (a, b) =>
          unitOrder.compare(a.unit.code, b.unit.code) ||
          (typeOrder.get(a.cardType) ?? 99) - (typeOrder.get(b.cardType) ?? 99),
      ),
      unitCount,
      byZone: zones,
      daily: [...days.values()].sort((a, b) => a.day.localeCompare(b.day)),
    };
  }
}

/** One collator for the unit lines' order: localeCompare sets one up on every call, per comparison. */
const unitOrder = new Intl.Collator();
