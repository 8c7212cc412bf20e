import { promises as fs } from 'node:fs';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { maskIdNumber, maskIdNumbersIn, type SensitiveData } from '../crypto/sensitive.ts';
import type { Database } from '../db/connection.ts';
import { TesseraError } from '../errors.ts';
import { detectHeader } from '../import/header.ts';
import { applyProfile, headerScore, matchColumns } from '../import/mapping.ts';
import { matchPhotos, type PhotoRowKeys } from '../import/photo-match.ts';
import { readWorkbook } from '../import/read/index.ts';
import {
  DEFAULT_IMPORT_LIMITS,
  ImportFileError,
  type HeaderDetection,
  type SheetRow,
  type SheetTable,
} from '../import/types.ts';
import type { LoadedPlugin } from '../plugins/index.ts';
import { ID_FIELD } from '../records/records.ts';
import { validateRecordValues, type FieldIssue } from '../records/validate-record.ts';
import type { MappingProfile, RecordSource, SheetSelector, StatusTarget } from '../types/generated/index.ts';
import { cleanContacts, unitCodeProblem } from '../units.ts';
import { toHalfWidth, trimBlanks } from '../validation/format-result.ts';
import type { LoadedMapping } from './mapping-file.ts';
import { factsHash, looseKey, looseTable, parseLegacyTime, sequenceOf, type RecordFacts } from './values.ts';
import type { LegacyProblem, LegacyReport, LegacySource, LegacySourceCount } from './views.ts';

// read → map → validate → plan. Nothing here writes: the plan is what a dry run reports and what
// the real run carries out. Every data row of every source file ends in exactly one of: planned
// (to be created), existing (migrated by an earlier run: same legacy key), rejected (with reasons).

const SKIP_REASONS: Record<HeaderDetection['skipped'][number]['reason'], string> = {
  title: '表头上方的标题或说明',
  blank: '空行',
  instructions: '表格末尾的填表说明',
  'repeated-header': '重复的表头',
};
const PHOTO_FILE = /\.(jpe?g|png|webp|heic|heif)$/i;

export interface PlannedUnit {
  file: string;
  row: number;
  code: string;
  name: string;
  contactName: string | null;
  contactPhone: string | null;
  /** The unit is in the system already (made by hand, or by an earlier run). */
  existingId: number | null;
}

export interface PlannedCard {
  type: string;
  status: NonNullable<StatusTarget['card']>;
  reason: string | null;
  /** The legacy number; null: numbered after the highest legacy number. */
  number: string | null;
  /** Its sequence by the card type's pattern; null: it does not follow the pattern. */
  seq: number | null;
  printedAt: Date | null;
  issuedAt: Date | null;
  issuedTo: string | null;
  /** Numbered by this run (the source had no number): the source's hash has none. */
  generated?: boolean;
}

export interface PlannedRecord {
  source: 'person' | 'vehicle';
  file: string;
  sheet: string;
  row: number;
  key: string;
  unitCode: string;
  status: StatusTarget['record'];
  /** Validated form values, the ID number in full, no photo. */
  values: Record<string, unknown>;
  card: PlannedCard | null;
  /** The legacy photo-file column's value (photos matched by file name). */
  photoFile: string | null;
  /** The photo file matched to the row (absolute path, and as named in the report). */
  photo: { path: string; name: string } | null;
  /** An earlier run's item with the same legacy key: nothing is created for the row. */
  existing: { recordId: number | null; hash: string } | null;
  /** The canonical hash of what the record will be (see factsHash). */
  hash: string;
}

export interface MigrationPlan {
  units: PlannedUnit[];
  records: PlannedRecord[];
  sources: LegacySourceCount[];
  problems: LegacyProblem[];
  /** The source cells of each rejected row, for the problem-row files. */
  problemRows: {
    source: LegacySource;
    file: string;
    sheet: string;
    row: number;
    headers: string[];
    cells: string[];
    reasons: string[];
  }[];
  duplicates: LegacyReport['duplicates'];
  changedSinceMigrated: LegacyReport['changedSinceMigrated'];
  photos: LegacyReport['photos'];
  cardNumbers: Omit<LegacyReport['cardNumbers'], 'counters'>;
}

export interface PlanContext {
  db: Database;
  sensitive: SensitiveData;
  plugin: LoadedPlugin;
  eventId: number;
  onProgress?: (phase: string, done: number, total: number) => void;
}

interface SheetRead {
  file: string;
  sheet: SheetTable;
}

async function readSource(
  dir: string,
  file: string,
  selector: SheetSelector | undefined,
  at: string,
): Promise<SheetRead> {
  const absolute = path.resolve(dir, file);
  const bytes = await fs.readFile(absolute);
  let sheets: SheetTable[];
  try {
    sheets = (await readWorkbook(bytes, path.basename(file), DEFAULT_IMPORT_LIMITS)).sheets;
  } catch (error) {
    if (error instanceof ImportFileError)
      throw new TesseraError(error.code, `${at}（${file}）：${error.message}`, 422);
    throw error;
  }
  let sheet: SheetTable | undefined;
  if (selector?.name) sheet = sheets.find((s) => s.name === selector.name);
  else if (selector?.pattern) sheet = sheets.find((s) => new RegExp(selector.pattern!, 'u').test(s.name));
  else sheet = sheets.find((s) => s.rows.length > 0) ?? sheets[0];
  if (!sheet)
    throw new TesseraError(
      'sheet_not_found',
      `${at}.sheet：${file} 中没有${selector?.name ? `名为“${selector.name}”的` : selector?.pattern ? `名称符合 ${selector.pattern} 的` : ''}工作表，可选：${sheets.map((s) => s.name).join('、')}`,
      422,
    );
  return { file, sheet };
}

const cellText = (row: SheetRow, col: number | undefined): string =>
  col === undefined ? '' : trimBlanks(toHalfWidth(row.cells[col]?.text ?? ''));

/** Where the mapping's own (non-form) columns are in the sheet; a named one that is missing stops the run. */
function legacyColumns(
  headers: string[],
  named: Record<string, string[] | undefined>,
  at: string,
  file: string,
): Record<string, number | undefined> {
  const entries = Object.entries(named).filter((e): e is [string, string[]] => !!e[1]);
  const profile: MappingProfile = {
    code: 'legacy',
    name: 'legacy',
    recordKind: 'legacy',
    columns: entries.map(([field, h]) => ({ headers: h, field })),
  };
  const matched = matchColumns(profile, headers);
  if (matched.missing.length > 0) {
    const m = matched.missing[0]!;
    throw new TesseraError(
      'missing_column',
      `${at}.${m.field}：${file} 的表头中找不到“${m.headers.join('/')}”列（表头：${headers.filter(Boolean).join('、')}）`,
      422,
    );
  }
  return Object.fromEntries(matched.columns.map((c) => [c.field, c.col]));
}

function sourceCount(source: LegacySource, read: SheetRead, header: HeaderDetection): LegacySourceCount {
  return {
    source,
    file: read.file,
    sheet: read.sheet.name,
    headerRow: header.headerRow,
    rows: header.dataRows.length,
    created: 0,
    existing: 0,
    rejected: 0,
    skipped: header.skipped.map((s) => ({ row: s.row, reason: SKIP_REASONS[s.reason] })),
    reconciled: false,
  };
}

export async function buildPlan(loaded: LoadedMapping, ctx: PlanContext): Promise<MigrationPlan> {
  const { mapping, dir } = loaded;
  const { db, plugin, eventId } = ctx;
  const plan: MigrationPlan = {
    units: [],
    records: [],
    sources: [],
    problems: [],
    problemRows: [],
    duplicates: [],
    changedSinceMigrated: [],
    photos: { files: 0, matched: 0, rowsWithoutPhoto: [], orphaned: [], ambiguous: [], unusable: [] },
    cardNumbers: { clashes: [], nonMatching: [], numbered: [] },
  };
  const reject = (
    count: LegacySourceCount,
    row: SheetRow,
    headers: string[],
    issues: { field: string; reason: string }[],
  ) => {
    count.rejected++;
    for (const i of issues)
      plan.problems.push({
        source: count.source,
        file: count.file,
        sheet: count.sheet,
        row: row.row,
        field: i.field,
        reason: maskIdNumbersIn(i.reason),
      });
    plan.problemRows.push({
      source: count.source,
      file: count.file,
      sheet: count.sheet,
      row: row.row,
      headers,
      cells: headers.map((_, c) => row.cells[c]?.text ?? ''),
      reasons: issues.map((i) => `${i.field}：${i.reason}`),
    });
  };

  // Units already in the system, by code and by name: records may name either.
  const knownUnits = await db.sequelize.query<{ id: string; code: string; name: string }>(
    'SELECT id, code, name FROM units',
    { type: QueryTypes.SELECT },
  );
  const unitByKey = new Map<string, string>();
  const unitIdByCode = new Map<string, number>();
  for (const u of knownUnits) {
    unitIdByCode.set(u.code, Number(u.id));
    unitByKey.set(looseKey(u.code), u.code);
    if (!unitByKey.has(looseKey(u.name))) unitByKey.set(looseKey(u.name), u.code);
  }

  // ---- Units
  if (mapping.units) {
    const spec = mapping.units;
    const read = await readSource(dir, spec.file, spec.sheet, 'units');
    const score = headerScore({ properties: {} }, [
      {
        code: 'units',
        name: 'units',
        recordKind: 'unit',
        columns: [spec.code, spec.name, spec.contactName, spec.contactPhone]
          .filter((h): h is string[] => !!h)
          .map((headers, i) => ({ headers, field: `c${i}` })),
      },
    ]);
    const header = detectHeader(read.sheet, score);
    const count = sourceCount('unit', read, header);
    plan.sources.push(count);
    const cols = legacyColumns(
      header.headers,
      { code: spec.code, name: spec.name, contactName: spec.contactName, contactPhone: spec.contactPhone },
      'units',
      spec.file,
    );
    const seen = new Map<string, number>();
    for (const row of header.dataRows) {
      const code = cellText(row, cols.code);
      const name = cellText(row, cols.name);
      const issues: { field: string; reason: string }[] = [];
      const codeProblem = code === '' ? '单位代码为空' : unitCodeProblem(code);
      if (codeProblem) issues.push({ field: 'code', reason: codeProblem });
      let contacts: { contactName?: string | null; contactPhone?: string | null } = {};
      try {
        contacts = cleanContacts({
          name,
          contactName: cellText(row, cols.contactName),
          contactPhone: cellText(row, cols.contactPhone),
        });
      } catch (error) {
        if (!(error instanceof TesseraError)) throw error;
        for (const [field, reason] of Object.entries(
          (error.details as { fields?: Record<string, string> })?.fields ?? {},
        ))
          issues.push({ field, reason });
      }
      const earlier = seen.get(looseKey(code));
      if (code && earlier !== undefined)
        issues.push({ field: 'code', reason: `与第 ${earlier} 行单位代码重复` });
      if (issues.length > 0) {
        reject(count, row, header.headers, issues);
        continue;
      }
      seen.set(looseKey(code), row.row);
      const existingId = unitIdByCode.get(code) ?? null;
      if (existingId !== null) count.existing++;
      else count.created++;
      plan.units.push({
        file: spec.file,
        row: row.row,
        code,
        name,
        contactName: contacts.contactName ?? null,
        contactPhone: contacts.contactPhone ?? null,
        existingId,
      });
      unitByKey.set(looseKey(code), code);
      unitByKey.set(looseKey(name), code);
    }
  }

  // ---- Earlier runs: items by legacy key
  const items = await db.sequelize.query<{
    source: string;
    legacy_key: string;
    record_id: string | null;
    source_sha256: string;
  }>(
    `SELECT source, legacy_key, record_id, source_sha256 FROM legacy_items WHERE event_id = :eventId AND source <> 'unit'`,
    { type: QueryTypes.SELECT, replacements: { eventId } },
  );
  const itemByKey = new Map(items.map((i) => [`${i.source}\u0000${i.legacy_key}`, i]));
  const cardTypes = looseTable(mapping.cardTypes);
  const statuses = looseTable(mapping.statuses);

  // ---- Persons and vehicles
  const sources: ['person' | 'vehicle', RecordSource, string][] = [
    ...(mapping.persons ?? []).map(
      (s, i) => ['person', s, `persons[${i}]`] as ['person', RecordSource, string],
    ),
    ...(mapping.vehicles ?? []).map(
      (s, i) => ['vehicle', s, `vehicles[${i}]`] as ['vehicle', RecordSource, string],
    ),
  ];
  const candidates: (PlannedRecord & { count: LegacySourceCount; sheetRow: SheetRow; headers: string[] })[] =
    [];
  for (const [kind, spec, at] of sources) {
    const form = plugin.forms[kind]!;
    const read = await readSource(dir, spec.file, spec.sheet, at);
    const profile: MappingProfile = {
      code: 'legacy',
      name: at,
      recordKind: kind,
      columns: spec.columns,
      ...(spec.fixed ? { fixed: spec.fixed } : {}),
    };
    const extra = {
      key: spec.key,
      unit: spec.unit,
      cardType: spec.cardType,
      status: spec.status,
      cardNumber: spec.cardNumber,
      printedAt: spec.printedAt,
      issuedAt: spec.issuedAt,
      issuedTo: spec.issuedTo,
      photoFile: spec.photoFile,
    };
    const scoring: MappingProfile = {
      ...profile,
      columns: [
        ...profile.columns,
        ...Object.entries(extra)
          .filter((e): e is [string, string[]] => !!e[1])
          .map(([field, headers]) => ({ headers, field })),
      ],
    };
    const header = detectHeader(read.sheet, headerScore(form, [scoring]));
    const count = sourceCount(kind, read, header);
    plan.sources.push(count);
    const matched = matchColumns(profile, header.headers);
    const missing = matched.missing.find((m) => m.required);
    if (missing)
      throw new TesseraError(
        'missing_column',
        `${at}.columns：${spec.file} 的表头中找不到“${missing.headers.join('/')}”列（${missing.field}）`,
        422,
      );
    const cols = legacyColumns(header.headers, extra, at, spec.file);
    const idField = ID_FIELD[kind];
    const context = {
      kind,
      cardTypes: plugin.cardTypes,
      zones: plugin.manifest.event.zones.map((z) => z.code),
    };
    const photoField = Object.entries(form.properties).find(([, f]) => f?.['x-widget'] === 'photo')?.[0];
    for (const [i, row] of header.dataRows.entries()) {
      if (i % 500 === 0) ctx.onProgress?.(`校验 ${spec.file}`, i, header.dataRows.length);
      const text = (k: string) => cellText(row, cols[k]);
      const issues: { field: string; reason: string }[] = [];
      const mapped = applyProfile(profile, matched, row, { form });
      const values: Record<string, unknown> = { ...mapped.values };
      if (photoField) delete values[photoField];
      // Card type: the legacy name or code through the mapping's table.
      const legacyType = text('cardType');
      if (legacyType) {
        const code = cardTypes.get(looseKey(legacyType));
        if (code) values.cardType = code;
        else
          issues.push({
            field: 'cardType',
            reason: `证件类型“${legacyType}”不在映射文件的 cardTypes 对照中`,
          });
      }
      const checked = validateRecordValues(form, values, context);
      const errors: Record<string, FieldIssue[]> = {};
      for (const issue of mapped.issues)
        (errors[issue.field] ??= []).push({ code: issue.code, message: issue.message });
      for (const [field, list] of Object.entries(checked.fields)) if (!errors[field]) errors[field] = list;
      for (const [field, list] of Object.entries(errors))
        if (!(field === 'cardType' && issues.some((x) => x.field === 'cardType')))
          for (const e of list) issues.push({ field, reason: e.message });
      // Status and unit.
      const statusText = text('status');
      const target: StatusTarget | undefined = statusText
        ? statuses.get(looseKey(statusText))
        : { record: 'approved' };
      if (!target)
        issues.push({ field: 'status', reason: `状态“${statusText}”不在映射文件的 statuses 对照中` });
      const unitText = text('unit');
      const unitCode = unitText ? unitByKey.get(looseKey(unitText)) : undefined;
      if (!unitText) issues.push({ field: 'unit', reason: '所属单位为空' });
      else if (!unitCode)
        issues.push({ field: 'unit', reason: `单位“${unitText}”既不在单位表中，也不是系统中已有的单位` });
      // Times, read in the mapping's time zone.
      const time = (k: 'printedAt' | 'issuedAt') => {
        const t = text(k);
        if (!t) return null;
        const at2 = parseLegacyTime(t, mapping.timeZone);
        if (!at2) issues.push({ field: k, reason: `“${t}”不是可识别的时间（如 2025-09-01 14:30）` });
        return at2;
      };
      const printedAt = time('printedAt');
      const issuedAt = time('issuedAt');
      let card: PlannedCard | null = null;
      const cardType = typeof checked.values.cardType === 'string' ? checked.values.cardType : null;
      if (target?.card) {
        const type = plugin.cardTypes.find((t) => t.code === cardType);
        if (!type) {
          if (!issues.some((x) => x.field === 'cardType'))
            issues.push({ field: 'cardType', reason: `状态“${statusText}”表示已有证件，但没有证件类型` });
        } else {
          const number = text('cardNumber') || null;
          card = {
            type: type.code,
            status: target.card,
            reason: target.reason ?? null,
            number,
            seq:
              number && unitCode
                ? sequenceOf(number, type.numbering.pattern, {
                    event: mapping.event,
                    type: type.code,
                    unit: unitCode,
                  })
                : null,
            printedAt,
            issuedAt,
            issuedTo: text('issuedTo') || null,
          };
        }
      }
      const id =
        idField && typeof checked.values[idField] === 'string' ? (checked.values[idField] as string) : null;
      const plate = typeof checked.values.plateNumber === 'string' ? checked.values.plateNumber : null;
      const key =
        text('key') || (kind === 'vehicle' ? (plate ?? '') : unitCode && id ? `${unitCode}:${id}` : '');
      if (!key && issues.length === 0)
        issues.push({ field: 'key', reason: '没有旧系统编号，也无法由证件号码或车牌识别这一行' });
      if (issues.length > 0) {
        reject(count, row, header.headers, issues);
        continue;
      }
      const facts: RecordFacts = {
        kind,
        unit: unitCode!,
        status: target!.record,
        values: checked.values,
        card: card && {
          type: card.type,
          number: card.number ?? '',
          status: card.status,
          printedAt: card.printedAt?.toISOString() ?? null,
          issuedAt: card.issuedAt?.toISOString() ?? null,
          issuedTo: card.issuedTo,
        },
      };
      const earlier = itemByKey.get(`${kind}\u0000${key}`);
      candidates.push({
        source: kind,
        file: spec.file,
        sheet: read.sheet.name,
        row: row.row,
        key,
        unitCode: unitCode!,
        status: target!.record,
        values: checked.values,
        card,
        photoFile: text('photoFile') || null,
        photo: null,
        existing: earlier
          ? {
              recordId: earlier.record_id === null ? null : Number(earlier.record_id),
              hash: earlier.source_sha256,
            }
          : null,
        hash: factsHash(facts),
        count,
        sheetRow: row,
        headers: header.headers,
      });
    }
    ctx.onProgress?.(`校验 ${spec.file}`, header.dataRows.length, header.dataRows.length);
  }

  await screenDuplicates(candidates, plan, ctx, reject);

  for (const c of candidates) {
    if (c.existing) {
      c.count.existing++;
      // A number the system generated last time is not in the source: compare without it.
      if (c.existing.hash !== c.hash)
        plan.changedSinceMigrated.push({ file: c.file, row: c.row, key: maskIdNumbersIn(c.key) });
    } else c.count.created++;
    const { count: _c, sheetRow: _r, headers: _h, ...record } = c;
    plan.records.push(record);
  }
  for (const s of plan.sources) s.reconciled = s.rows === s.created + s.existing + s.rejected;
  await matchLegacyPhotos(loaded, plan, plugin);
  return plan;
}

type Reject = (
  count: LegacySourceCount,
  row: SheetRow,
  headers: string[],
  issues: { field: string; reason: string }[],
) => void;
type Candidate = PlannedRecord & { count: LegacySourceCount; sheetRow: SheetRow; headers: string[] };

/**
 * Duplicates and clashes, in source order: the same legacy key twice; the same person twice in one
 * unit, or the same plate twice (the database allows neither); a person or plate already in the
 * event (not from an earlier run); card numbers used twice or already used. The first row wins,
 * later ones are rejected naming it. One person in two units is imported twice and listed.
 */
async function screenDuplicates(
  candidates: Candidate[],
  plan: MigrationPlan,
  ctx: PlanContext,
  reject: Reject,
) {
  const { db, sensitive, eventId } = ctx;
  const drop = new Set<Candidate>();
  const byKey = new Map<string, Candidate>();
  const byIdentity = new Map<string, Candidate>();
  const byPerson = new Map<string, Candidate[]>();
  const byNumber = new Map<string, Candidate>();
  const where = (c: Candidate) => `${c.file} 第 ${c.row} 行`;
  const fail = (c: Candidate, field: string, reason: string) => {
    drop.add(c);
    reject(c.count, c.sheetRow, c.headers, [{ field, reason }]);
  };
  // Numbers and people already in the event, except those an earlier run put there.
  const numbers = candidates.flatMap((c) => (c.card?.number && !c.existing ? [c.card.number] : []));
  const usedNumbers = new Map<string, string>();
  if (numbers.length > 0) {
    const rows = await db.sequelize.query<{ card_number: string; card_type: string; seq: number }>(
      `SELECT card_number, card_type, seq FROM cards WHERE event_id = :eventId AND card_number IN (:numbers)`,
      { type: QueryTypes.SELECT, replacements: { eventId, numbers } },
    );
    for (const r of rows) usedNumbers.set(r.card_number, r.card_type);
  }
  const usedSeqs = new Set(
    (
      await db.sequelize.query<{ card_type: string; seq: number }>(
        'SELECT DISTINCT card_type, seq FROM cards WHERE event_id = :eventId AND seq > 0',
        { type: QueryTypes.SELECT, replacements: { eventId } },
      )
    ).map((r) => `${r.card_type}\u0000${r.seq}`),
  );
  for (const c of candidates) {
    const idField = ID_FIELD[c.source];
    const id = idField ? (c.values[idField] as string | undefined) : undefined;
    const identity =
      c.source === 'vehicle'
        ? `v\u0000${String(c.values.plateNumber)}`
        : id
          ? `p\u0000${c.unitCode}\u0000${id.toUpperCase()}`
          : null;
    const sameKey = byKey.get(`${c.source}\u0000${c.key}`);
    if (sameKey) {
      fail(c, 'key', `与${where(sameKey)}的旧系统编号“${c.key}”重复`);
      continue;
    }
    byKey.set(`${c.source}\u0000${c.key}`, c);
    if (identity) {
      const same = byIdentity.get(identity);
      if (same && !c.existing) {
        const what = c.source === 'vehicle' ? '车牌' : '同一单位中证件号码';
        fail(
          c,
          c.source === 'vehicle' ? 'plateNumber' : (idField ?? 'idNumber'),
          `与${where(same)}${what}相同（重复申报）`,
        );
        plan.duplicates.push({
          kind: 'same-unit',
          key: maskIdNumbersIn(identity.split('\u0000').slice(1).join(' ')),
          rows: [same, c].map((x) => ({ file: x.file, row: x.row, unit: x.unitCode })),
        });
        continue;
      }
      byIdentity.set(identity, c);
    }
    if (c.card?.number && !c.existing) {
      const sameNumber = byNumber.get(c.card.number);
      const note = { file: c.file, row: c.row, cardType: c.card.type, cardNumber: c.card.number };
      if (sameNumber) {
        plan.cardNumbers.clashes.push({ ...note, note: `与${where(sameNumber)}的证件编号相同` });
        fail(c, 'cardNumber', `证件编号 ${c.card.number} 与${where(sameNumber)}重复`);
        continue;
      }
      if (
        usedNumbers.has(c.card.number) ||
        (c.card.seq !== null && usedSeqs.has(`${c.card.type}\u0000${c.card.seq}`))
      ) {
        plan.cardNumbers.clashes.push({ ...note, note: '系统中已有这个编号（或同一流水号）的证件' });
        fail(c, 'cardNumber', `证件编号 ${c.card.number} 在系统中已被使用`);
        continue;
      }
      byNumber.set(c.card.number, c);
      if (c.card.seq === null)
        plan.cardNumbers.nonMatching.push({ ...note, note: '不符合该证件类型的编号规则，按原样保留' });
    }
    if (c.source === 'person' && id) {
      const list = byPerson.get(id.toUpperCase()) ?? [];
      list.push(c);
      byPerson.set(id.toUpperCase(), list);
    }
  }
  // One person in several units: imported in each, listed for the reviewers.
  for (const [id, list] of byPerson) {
    const units = new Set(list.filter((c) => !drop.has(c)).map((c) => c.unitCode));
    if (units.size > 1)
      plan.duplicates.push({
        kind: 'across-units',
        key: maskIdNumber(id),
        rows: list.filter((c) => !drop.has(c)).map((c) => ({ file: c.file, row: c.row, unit: c.unitCode })),
      });
  }
  // Against records already in the event that no earlier run made.
  const fresh = candidates.filter((c) => !drop.has(c) && !c.existing);
  const persons = fresh.filter((c) => c.source === 'person' && typeof c.values.idNumber === 'string');
  if (persons.length > 0) {
    const hashes = persons.map((c) => sensitive.lookupHash(c.values.idNumber as string));
    const rows = await db.sequelize.query<{ id_number_hash: Buffer; code: string }>(
      `SELECT r.id_number_hash, u.code FROM records r JOIN units u ON u.id = r.unit_id
        WHERE r.event_id = :eventId AND r.kind = 'person' AND r.status <> 'deleted'
          AND r.id_number_hash = ANY(ARRAY[:hashes]::bytea[])`,
      { type: QueryTypes.SELECT, replacements: { eventId, hashes } },
    );
    const units = new Map<string, Set<string>>();
    for (const r of rows)
      units.set(
        r.id_number_hash.toString('hex'),
        (units.get(r.id_number_hash.toString('hex')) ?? new Set()).add(r.code),
      );
    persons.forEach((c, i) => {
      const found = units.get(hashes[i]!.toString('hex'));
      if (found?.has(c.unitCode)) {
        fail(c, 'idNumber', `本单位在本活动中已有此人的记录（证件号码相同）`);
        plan.duplicates.push({
          kind: 'existing-record',
          key: maskIdNumber(c.values.idNumber as string),
          rows: [{ file: c.file, row: c.row, unit: c.unitCode }],
        });
      }
    });
  }
  const vehicles = fresh.filter((c) => c.source === 'vehicle' && !drop.has(c));
  if (vehicles.length > 0) {
    const rows = await db.sequelize.query<{ plate_number: string }>(
      `SELECT plate_number FROM records WHERE event_id = :eventId AND kind = 'vehicle' AND status <> 'deleted' AND plate_number IN (:plates)`,
      {
        type: QueryTypes.SELECT,
        replacements: { eventId, plates: vehicles.map((c) => c.values.plateNumber) },
      },
    );
    const plates = new Set(rows.map((r) => r.plate_number));
    for (const c of vehicles)
      if (plates.has(c.values.plateNumber as string)) fail(c, 'plateNumber', '本活动已有该车牌的记录');
  }
  for (let i = candidates.length - 1; i >= 0; i--) if (drop.has(candidates[i]!)) candidates.splice(i, 1);
}

async function listPhotos(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (folder: string) => {
    for (const entry of await fs.readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && PHOTO_FILE.test(entry.name)) out.push(full);
    }
  };
  await walk(root);
  return out.sort();
}

/**
 * Photos by the folder's rule (core/import/photo-match.ts decides, as for an import). Rows of one
 * person (the same ID number in two units) share the photo: they are matched as one.
 */
async function matchLegacyPhotos(loaded: LoadedMapping, plan: MigrationPlan, plugin: LoadedPlugin) {
  const withPhotoField = (kind: string) =>
    Object.values(plugin.forms[kind]?.properties ?? {}).some((f) => f?.['x-widget'] === 'photo');
  const rows = plan.records.filter((r) => withPhotoField(r.source));
  for (const folder of loaded.mapping.photos ?? []) {
    const root = path.resolve(loaded.dir, folder.folder);
    const files = await listPhotos(root);
    plan.photos.files += files.length;
    const names = files.map((f) =>
      path.join(folder.folder, path.relative(root, f)).split(path.sep).join('/'),
    );
    const pending = rows.filter((r) => !r.photo);
    const groups = new Map<string, PlannedRecord[]>();
    for (const r of pending) {
      const id = (r.values.idNumber ?? r.values.driverIdNumber) as string | undefined;
      const name = (r.values.name ?? r.values.driverName) as string | undefined;
      const key =
        folder.match === 'idNumber'
          ? (id ?? null)
          : folder.match === 'fileColumn'
            ? r.photoFile
            : name
              ? `${name}\u0000${id ?? ''}`
              : null;
      if (key === null) continue;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const keys = [...groups.keys()];
    const review = matchPhotos(
      keys.map((k, i): PhotoRowKeys => {
        const first = groups.get(k)![0]!;
        return {
          row: i,
          idNumber: folder.match === 'idNumber' ? k : null,
          fileName: folder.match === 'fileColumn' ? k : null,
          name: folder.match === 'name' ? ((first.values.name ?? first.values.driverName) as string) : null,
        };
      }),
      names,
    );
    for (const m of review.matched) {
      const name = m.file!;
      for (const r of groups.get(keys[m.row]!)!) r.photo = { path: files[names.indexOf(name)]!, name };
    }
    for (const a of review.ambiguous)
      for (const r of groups.get(keys[a.row]!)!)
        plan.photos.ambiguous.push({
          file: r.file,
          row: r.row,
          files: a.files.map(maskIdNumbersIn),
          reason: maskIdNumbersIn(a.reason),
        });
    plan.photos.orphaned.push(...review.unmatchedFiles.map(maskIdNumbersIn));
  }
  for (const r of rows) {
    if (r.photo) plan.photos.matched++;
    else
      plan.photos.rowsWithoutPhoto.push({
        file: r.file,
        row: r.row,
        name: (r.values.name ?? r.values.driverName ?? null) as string | null,
      });
  }
}
