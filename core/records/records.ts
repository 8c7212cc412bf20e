import { Op, QueryTypes, UniqueConstraintError, Utils, type WhereOptions } from 'sequelize';
import type { ReviewFlag } from '../review/views.ts';
import type { SessionUser } from '../auth/accounts.ts';
import type { AuditLog } from '../audit.ts';
import { maskIdNumber, type SensitiveData } from '../crypto/sensitive.ts';
import type { Database } from '../db/connection.ts';
import { likePrefix, pageNumber } from '../db/query-input.ts';
import type { EventRecord } from '../db/models.ts';
import { TesseraError } from '../errors.ts';
import { unitIdFor } from '../units.ts';
import type { Events } from '../events/events.ts';
import type { Photos } from '../photos/photos.ts';
import type { LoadedPlugin } from '../plugins/index.ts';
import { checkIdNumber, checkPlate } from '../validation/index.ts';
import { validateRecordValues, type FieldIssue } from './validate-record.ts';

/** Records counted at most for a list's total (200 pages of 50). */
export const LIST_COUNT_CAP = 10_000;

/** Standard fields kept in their own indexed columns; everything else lives in `data`. */
const COLUMN_OF: Record<string, Record<string, keyof EventRecord>> = {
  person: {
    name: 'name',
    gender: 'gender',
    birthDate: 'birthDate',
    idType: 'idType',
    organization: 'organization',
    position: 'position',
    mobile: 'mobile',
    cardType: 'cardType',
    zones: 'zones',
    photo: 'photo',
  },
  vehicle: {
    driverName: 'name',
    plateNumber: 'plateNumber',
    vehicleType: 'vehicleType',
    organization: 'organization',
    mobile: 'mobile',
    cardType: 'cardType',
    zones: 'zones',
    photo: 'photo',
  },
};
/** The sensitive number of each kind: stored encrypted + hashed + masked, never in `data`. */
export const ID_FIELD: Record<string, string> = { person: 'idNumber', vehicle: 'driverIdNumber' };

/** Roles that may still change a record once its card is printed (the change goes back to review). */
const CARD_EDIT_ROLES: readonly string[] = ['admin', 'operator'];

/** Roles that may read a full ID number (each read audited). */
export const FULL_ID_ROLES = ['admin', 'clerk', 'reviewer', 'operator'] as const;

export interface RecordView {
  id: number;
  kind: string;
  status: string;
  unit: { code: string; name: string };
  cardType: string | null;
  name: string | null;
  idNumberMasked: string | null;
  gender: string | null;
  birthDate: string | null;
  organization: string | null;
  mobile: string | null;
  plateNumber: string | null;
  /** Vehicles: the type code and the driver (kept in the `name` column). */
  vehicleType: string | null;
  driverName: string | null;
  updatedAt: Date;
  /** The latest review decision's reason (what the unit of a returned or rejected record reads). */
  decisionReason: string | null;
  version: number;
  pluginVersionId: number;
  values?: Record<string, unknown>;
}

export interface RecordInput {
  kind: string;
  unitCode?: string | undefined;
  values: Record<string, unknown>;
}

type Actor = SessionUser & { ip?: string };

export class Records {
  constructor(
    private readonly db: Database,
    private readonly events: Events,
    private readonly sensitive: SensitiveData,
    private readonly audit: AuditLog,
    /** Checks that photo fields name a photo of the event (and unit); absent, photo ids are not checked. */
    private readonly photos?: Pick<Photos, 'fieldIssues'>,
  ) {}

  private formOf(plugin: LoadedPlugin, kind: string) {
    const form = plugin.forms[kind];
    if (!form) throw new TesseraError('unknown_record_kind', `本活动没有"${kind}"类记录`, 404);
    return form;
  }

  private validate(
    plugin: LoadedPlugin,
    kind: string,
    values: Record<string, unknown>,
    extra: Record<string, FieldIssue[]> = {},
  ) {
    const result = validateRecordValues(this.formOf(plugin, kind), values, {
      kind,
      cardTypes: plugin.cardTypes,
      zones: plugin.manifest.event.zones.map((z) => z.code),
    });
    for (const [key, issues] of Object.entries(extra)) (result.fields[key] ??= []).push(...issues);
    if (!result.ok || Object.keys(extra).length > 0) {
      const count = Object.values(result.fields).reduce((n, list) => n + list.length, 0);
      throw new TesseraError('validation_failed', `有 ${count} 处需要修改`, 422, { fields: result.fields });
    }
    return result.values;
  }

  /** Columns for the validated values; the ID number sealed and hashed. */
  /** The database row of a record: standard fields as columns, the ID number sealed, the rest in `data`. */
  recordRow(kind: string, values: Record<string, unknown>): Partial<EventRecord> {
    const columnOf = COLUMN_OF[kind] ?? {};
    const idField = ID_FIELD[kind];
    const row: Record<string, unknown> = {
      name: null,
      gender: null,
      birthDate: null,
      idType: null,
      organization: null,
      position: null,
      mobile: null,
      plateNumber: null,
      vehicleType: null,
      cardType: null,
      zones: [],
      photo: null,
      idNumberEnc: null,
      idNumberHash: null,
      idNumberMasked: null,
    };
    const data: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(values)) {
      if (key === idField && typeof value === 'string') {
        row.idNumberEnc = this.sensitive.encrypt(value);
        row.idNumberHash = this.sensitive.lookupHash(value);
        row.idNumberMasked = maskIdNumber(value);
      } else if (columnOf[key]) row[columnOf[key]] = value;
      else data[key] = value;
    }
    row.data = data;
    return row as Partial<EventRecord>;
  }

  private unitFor(actor: Actor, unitCode: string | undefined): Promise<number> {
    return unitIdFor(this.db, actor, unitCode, '填报');
  }

  private duplicate(kind: string): TesseraError {
    const field = kind === 'vehicle' ? 'plateNumber' : 'idNumber';
    const message =
      kind === 'vehicle' ? '本活动已有相同车牌的车辆记录' : '本单位在本活动中已有相同证件号码的人员记录';
    return new TesseraError('validation_failed', message, 422, {
      fields: { [field]: [{ code: 'duplicate', message }] },
    });
  }

  async create(eventCode: string, actor: Actor, input: RecordInput): Promise<RecordView> {
    const { event, plugin } = await this.events.find(eventCode);
    const photoIssues = await this.photos?.fieldIssues(plugin.forms[input.kind], input.values, {
      eventId: event.id,
      actor,
    });
    const values = this.validate(plugin, input.kind, input.values, photoIssues);
    const unitId = await this.unitFor(actor, input.unitCode);
    let record: EventRecord;
    try {
      record = await this.db.models.EventRecord.create({
        ...this.recordRow(input.kind, values),
        eventId: event.id,
        unitId,
        kind: input.kind,
        pluginVersionId: event.pluginVersionId,
        createdBy: actor.id,
        updatedBy: actor.id,
      } as EventRecord);
    } catch (error) {
      if (error instanceof UniqueConstraintError) throw this.duplicate(input.kind);
      throw error;
    }
    await this.audit.record(
      'record_create',
      { userId: actor.id, username: actor.username, ip: actor.ip },
      { type: 'record', id: record.id, eventId: event.id },
      { kind: input.kind, fields: Object.keys(values) },
    );
    return this.view(record, plugin, true);
  }

  async update(
    eventCode: string,
    actor: Actor,
    id: number,
    values: Record<string, unknown>,
    version: number,
  ) {
    const { event, plugin } = await this.events.find(eventCode);
    const record = await this.load(event.id, id, actor);
    if (record.status === 'submitted') {
      throw new TesseraError('record_locked', '该记录正在审核中，审核完成前不能修改', 409);
    }
    const liveCard = await this.liveCard(id);
    if (liveCard?.inJob) {
      throw new TesseraError(
        'card_in_production',
        `该记录的证件 ${liveCard.cardNumber} 正在制作任务中，制作完成（或取消任务）后才能修改`,
        409,
      );
    }
    // A printed card shows what was approved: after printing only the office (admin, operator)
    // changes the record; the change goes back to review and the card shows it must be reprinted.
    if (liveCard && liveCard.status !== 'queued' && !CARD_EDIT_ROLES.includes(actor.role)) {
      throw new TesseraError('record_printed', '已制证，修改须由制证员补制', 409, {
        card: { id: liveCard.id, cardNumber: liveCard.cardNumber, status: liveCard.status },
      });
    }
    // The form shows the ID number masked; sent back unchanged (or left out) it means "keep the stored one".
    const idField = ID_FIELD[record.kind];
    if (
      idField &&
      record.idNumberEnc &&
      (values[idField] === undefined || values[idField] === record.idNumberMasked)
    ) {
      values = { ...values, [idField]: this.sensitive.decrypt(record.idNumberEnc) };
    }
    const before = this.valuesOf(record, false);
    const photoIssues = await this.photos?.fieldIssues(plugin.forms[record.kind], values, {
      eventId: event.id,
      actor,
      previous: before,
    });
    const normalized = this.validate(plugin, record.kind, values, photoIssues);
    const changed = Object.keys({ ...before, ...normalized }).filter(
      (k) => JSON.stringify(before[k]) !== JSON.stringify(normalized[k]),
    );
    let saved: EventRecord | undefined;
    try {
      const [count, rows] = await this.db.models.EventRecord.update(
        {
          ...this.recordRow(record.kind, normalized),
          updatedBy: actor.id,
          version: version + 1,
          pluginVersionId: event.pluginVersionId,
          // An approved record that is changed goes back to review, in the batch it came in.
          ...(record.status === 'approved' && changed.length > 0
            ? {
                status: 'submitted',
                decidedBy: null,
                decidedAt: null,
                decisionReason: null,
                reviewFlags: null,
              }
            : {}),
        },
        // The row as written comes back with the update: no second read of it.
        { where: { id, eventId: event.id, version, status: record.status }, returning: true },
      );
      saved = rows[0];
      if (count === 0 || !saved) {
        throw new TesseraError('version_conflict', '该记录已被他人修改，请重新加载后再保存', 409);
      }
    } catch (error) {
      if (error instanceof UniqueConstraintError) throw this.duplicate(record.kind);
      throw error;
    }
    const backToReview = record.status === 'approved' && changed.length > 0;
    if (backToReview && record.reviewBatchId) {
      await this.db.sequelize.query(
        `UPDATE review_batches SET status = 'open', decided_at = NULL WHERE id = :id`,
        { replacements: { id: record.reviewBatchId } },
      );
    }
    await this.audit.record(
      'record_update',
      { userId: actor.id, username: actor.username, ip: actor.ip },
      { type: 'record', id, eventId: event.id },
      {
        changed,
        ...(backToReview ? { backToReview: true } : {}),
        ...(liveCard && changed.length > 0 ? { cardToReprint: liveCard.cardNumber } : {}),
      },
    );
    return this.view(saved, plugin, true);
  }

  /** The record's live card (core/cards), and whether a print job is working on it. */
  private async liveCard(recordId: number) {
    const [row] = await this.db.sequelize.query<{
      id: string;
      card_number: string;
      status: string;
      in_job: boolean;
    }>(
      `SELECT c.id, c.card_number, c.status,
              (c.status = 'queued' AND j.status IN ('queued', 'running')) IS TRUE AS in_job
         FROM cards c LEFT JOIN print_jobs j ON j.id = c.print_job_id
        WHERE c.record_id = :recordId AND c.status IN ('queued', 'printed', 'issued')`,
      { type: QueryTypes.SELECT, replacements: { recordId } },
    );
    return row
      ? { id: Number(row.id), cardNumber: row.card_number, status: row.status, inJob: row.in_job }
      : null;
  }

  private async load(eventId: number, id: number, actor: Actor): Promise<EventRecord> {
    const where: WhereOptions<EventRecord> = { id, eventId };
    const record = await this.db.models.EventRecord.findOne({ where });
    // Another unit's record is "not found", not "forbidden": its existence is not disclosed.
    if (!record || (actor.role === 'unit' && record.unitId !== actor.unit?.id)) {
      throw new TesseraError('record_not_found', `记录 ${id} 不存在`, 404);
    }
    return record;
  }

  async get(eventCode: string, actor: Actor, id: number): Promise<RecordView> {
    const { event, plugin } = await this.events.find(eventCode);
    return this.view(await this.load(event.id, id, actor), plugin, true);
  }

  async fullIdNumber(eventCode: string, actor: Actor, id: number): Promise<string | null> {
    if (!(FULL_ID_ROLES as readonly string[]).includes(actor.role)) {
      throw new TesseraError('forbidden', '当前角色无权查看完整证件号码', 403);
    }
    const { event } = await this.events.find(eventCode);
    const record = await this.load(event.id, id, actor);
    await this.audit.record(
      'id_number_read',
      { userId: actor.id, username: actor.username, ip: actor.ip },
      { type: 'record', id, eventId: event.id },
    );
    return record.idNumberEnc ? this.sensitive.decrypt(record.idNumberEnc) : null;
  }

  async history(eventCode: string, actor: Actor, id: number) {
    const { event } = await this.events.find(eventCode);
    await this.load(event.id, id, actor);
    const entries = await this.db.models.AuditEntry.findAll({
      where: { targetType: 'record', targetId: String(id) },
      order: [['at', 'DESC']],
      limit: 200,
    });
    return entries.map((e) => ({ at: e.at, username: e.username, action: e.action, detail: e.detail }));
  }

  async list(
    eventCode: string,
    actor: Actor,
    query: { kind?: string; q?: string; status?: string; unit?: string; page?: number; pageSize?: number },
  ) {
    const { event, plugin } = await this.events.find(eventCode);
    const where: Record<string | symbol, unknown> = { eventId: event.id };
    if (query.kind) where.kind = query.kind;
    if (query.status) where.status = query.status;
    if (actor.role === 'unit') where.unitId = actor.unit?.id ?? -1;
    else if (query.unit) {
      const unit = await this.db.models.Unit.findOne({ where: { code: query.unit } });
      where.unitId = unit?.id ?? -1;
    }
    const q = query.q?.trim();
    if (q) {
      // One box for every kind of key: what the text can be (an ID number of any kind, a plate,
      // the start of a name) is searched together, so a short permit number or a Latin name that
      // also looks like a passport number is still found. Each branch uses its own index.
      const id = checkIdNumber(q);
      const plate = checkPlate(q);
      const anyOf: Record<string, unknown>[] = [{ name: { [Op.like]: likePrefix(q) } }];
      if (id.valid) anyOf.push({ idNumberHash: this.sensitive.lookupHash(id.normalized) });
      if (plate.valid) anyOf.push({ plateNumber: plate.normalized });
      where[Op.and] = [{ [Op.or]: anyOf }];
    }
    const pageSize = Math.min(Math.max(query.pageSize ?? 50, 1), 500);
    const page = pageNumber(query.page);
    const filter = where as WhereOptions<EventRecord>;
    const order: [string, string][] = [
      ['updatedAt', 'DESC'],
      ['id', 'DESC'],
    ];
    const offset = (page - 1) * pageSize;
    let rows: EventRecord[];
    let counted: { n: number; more: boolean };
    if (q) {
      // A searched name: how many match decides the plan. Few (a full name, 陈素…): all of them
      // through the name index, then sorted — walking the newest-first index to find them read
      // most of a million records (3 s under load). Many (张…): newest first finds a page at once.
      counted = await this.countUpTo(filter, LIST_COUNT_CAP);
      if (counted.more) {
        rows = await this.db.models.EventRecord.findAll({ where: filter, order, limit: pageSize, offset });
      } else {
        const ids = await this.pageIdsOfFew(filter, pageSize, offset);
        const byId = new Map(
          (ids.length ? await this.db.models.EventRecord.findAll({ where: { id: ids } }) : []).map((r) => [
            r.id,
            r,
          ]),
        );
        rows = ids.flatMap((id) => byId.get(id) ?? []);
      }
    } else {
      // The page and the total on two connections at once (findAndCountAll asks one after the other).
      [rows, counted] = await Promise.all([
        this.db.models.EventRecord.findAll({ where: filter, order, limit: pageSize, offset }),
        this.countUpTo(filter, LIST_COUNT_CAP),
      ]);
    }
    const views = await Promise.all(rows.map((r) => this.view(r, plugin, false)));
    // Past the cap the total is a floor: the list says "10,000+" and the statistics give the figure.
    return { records: views, total: counted.n, totalExact: !counted.more, page, pageSize };
  }

  /**
   * Sequelize's own SQL for a filter of records (field names, operators, escaping), so counts and
   * pages can never disagree with findAll: the builder findAll itself uses (not in the typings,
   * hence the narrow cast), after the same attribute-to-column mapping findAll does. `columns` are
   * column names, not attribute names: the builder does not map those.
   */
  private filterSql(where: WhereOptions<EventRecord>, columns: string[], limit?: number): string {
    const model = this.db.models.EventRecord;
    const generator = this.db.sequelize.getQueryInterface().queryGenerator as unknown as {
      selectQuery(table: string, options: object, model: unknown): string;
    };
    const mapped = Utils.mapWhereFieldNames(where as object, model);
    return generator
      .selectQuery(model.getTableName() as string, { attributes: columns, where: mapped, limit }, model)
      .replace(/;\s*$/, '');
  }

  /**
   * How many records match, counted no further than `cap`. An exact count of a million-record
   * event's people walks the whole index (1.9 s per list page under load, the slowest statement of
   * the load test), for a figure nobody pages through; a capped count stops after `cap` entries.
   */
  private async countUpTo(
    where: WhereOptions<EventRecord>,
    cap: number,
  ): Promise<{ n: number; more: boolean }> {
    const [row] = await this.db.sequelize.query<{ n: string }>(
      `SELECT count(*) AS n FROM (${this.filterSql(where, ['id'], cap + 1)}) capped`,
      { type: QueryTypes.SELECT },
    );
    const n = Number(row?.n ?? 0);
    return n > cap ? { n: cap, more: true } : { n, more: false };
  }

  /**
   * The ids of one page, newest first, of a filter known to match few records: the matches are
   * collected first (MATERIALIZED keeps the planner from folding the sort and limit into them and
   * walking the newest-first index instead), then sorted.
   */
  private async pageIdsOfFew(
    where: WhereOptions<EventRecord>,
    limit: number,
    offset: number,
  ): Promise<number[]> {
    const rows = await this.db.sequelize.query<{ id: string }>(
      `WITH matched AS MATERIALIZED (${this.filterSql(where, ['id', 'updated_at'])})
       SELECT id FROM matched ORDER BY updated_at DESC, id DESC LIMIT ${Math.trunc(limit)} OFFSET ${Math.trunc(offset)}`,
      { type: QueryTypes.SELECT },
    );
    return rows.map((r) => Number(r.id));
  }

  private unitCache = new Map<number, { code: string; name: string }>();

  private async unitOf(unitId: number) {
    let unit = this.unitCache.get(unitId);
    if (!unit) {
      const row = await this.db.models.Unit.findByPk(unitId);
      unit = { code: row?.code ?? '?', name: row?.name ?? '?' };
      this.unitCache.set(unitId, unit);
    }
    return unit;
  }

  /** Form values rebuilt from columns and `data`; the ID number masked. */
  private valuesOf(record: EventRecord, masked: boolean): Record<string, unknown> {
    const values: Record<string, unknown> = { ...record.data };
    for (const [field, column] of Object.entries(COLUMN_OF[record.kind] ?? {})) {
      const value = record[column];
      if (value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0))
        values[field] = value;
    }
    const idField = ID_FIELD[record.kind];
    if (idField && record.idNumberEnc) {
      values[idField] = masked ? record.idNumberMasked : this.sensitive.decrypt(record.idNumberEnc);
    }
    return values;
  }

  /**
   * A stored record's form values with the ID number decrypted, as `valuesOf` rebuilds them: the
   * reconciliation of a migration compares them with the source. The caller audits the read.
   */
  storedValues(record: EventRecord): Record<string, unknown> {
    return this.valuesOf(record, false);
  }

  /**
   * What a reviewer should look at on a stored record: the shared rules run again on its full
   * values (the ID number unmasked, so its cross-checks hold) — rules may have changed since.
   */
  reviewFlags(record: EventRecord, plugin: LoadedPlugin): ReviewFlag[] {
    const form = plugin.forms[record.kind];
    if (!form) return [];
    const result = validateRecordValues(form, this.valuesOf(record, false), {
      kind: record.kind,
      cardTypes: plugin.cardTypes,
      zones: plugin.manifest.event.zones.map((z) => z.code),
    });
    const flags: ReviewFlag[] = [];
    for (const [field, issues] of Object.entries(result.fields))
      for (const i of issues) flags.push({ field, level: 'error', message: i.message });
    const warnings = (result as { warnings?: Record<string, FieldIssue[]> }).warnings ?? {};
    for (const [field, issues] of Object.entries(warnings))
      for (const i of issues) flags.push({ field, level: 'warning', message: i.message });
    return flags;
  }

  /** A record as the API shows it (ID number masked). */
  async view(record: EventRecord, plugin: LoadedPlugin, withValues: boolean): Promise<RecordView> {
    return {
      id: record.id,
      kind: record.kind,
      status: record.status,
      unit: await this.unitOf(record.unitId),
      cardType: record.cardType,
      name: record.name,
      idNumberMasked: record.idNumberMasked,
      gender: record.gender,
      birthDate: record.birthDate,
      organization: record.organization,
      mobile: record.mobile,
      plateNumber: record.plateNumber,
      vehicleType: record.kind === 'vehicle' ? record.vehicleType : null,
      driverName: record.kind === 'vehicle' ? record.name : null,
      updatedAt: record.updatedAt,
      decisionReason: record.decisionReason ?? null,
      version: record.version,
      pluginVersionId: record.pluginVersionId,
      ...(withValues ? { values: this.valuesOf(record, true) } : {}),
    };
  }
}
