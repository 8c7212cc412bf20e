import { QueryTypes, type Transaction } from 'sequelize';
import type { AuditLog } from '../audit.ts';
import type { SessionUser } from '../auth/accounts.ts';
import type { Database } from '../db/connection.ts';
import { TesseraError } from '../errors.ts';
import { unitIdFor } from '../units.ts';
import type { Events } from '../events/events.ts';
import type { LoadedPlugin } from '../plugins/index.ts';
import type { Records } from '../records/records.ts';
import { keptPlusDeltas } from '../reports/kept-counts.ts';
import type {
  CardTypeSummary,
  DecisionEntry,
  DecisionResult,
  DeclarationSummary,
  Decision,
  DuplicateHint,
  ReviewBatchView,
  ReviewList,
} from './views.ts';

export type * from './views.ts';

type Actor = SessionUser & { ip?: string };

const SUBMIT_ROLES = ['admin', 'clerk', 'unit'];
const DECIDE_ROLES = ['admin', 'reviewer'];
const STATUS_OF: Record<Decision, string> = { approve: 'approved', reject: 'rejected', return: 'returned' };
const VERB: Record<Decision, string> = { approve: '通过', reject: '不通过', return: '退回修改' };

/**
 * Review (数据审核): a unit submits records as a batch; reviewers decide each record with the
 * unit's declaration context beside it — per card type what the unit applied for, what is
 * approved, rejected, pending and printed, its quota and what remains — read fresh from the
 * records at every display, so another reviewer's decision a second ago is in it.
 */
export class Review {
  constructor(
    private readonly db: Database,
    private readonly events: Events,
    private readonly records: Records,
    private readonly audit: AuditLog,
  ) {}

  // ---------------------------------------------------------------------------------------
  // Submission

  /**
   * Submits a unit's records for review as one batch: the given ones, or every draft and
   * returned record of the unit (of a kind). Records under review are locked for editing.
   */
  async submit(
    eventCode: string,
    input: { unitCode?: string; recordIds?: number[]; kind?: string; note?: string },
    actor: Actor,
  ): Promise<ReviewBatchView> {
    if (!SUBMIT_ROLES.includes(actor.role)) throw new TesseraError('forbidden', '当前角色不能提交审核', 403);
    const { event, plugin } = await this.events.find(eventCode);
    const unitId = await this.unitFor(actor, input.unitCode);
    const batchId = await this.db.sequelize.transaction(async (transaction) => {
      const candidates = await this.db.sequelize.query<{
        id: string;
        status: string;
        card_type: string | null;
      }>(
        `SELECT id, status, card_type FROM records
          WHERE event_id = :eventId AND unit_id = :unitId
            AND (:ids::bigint[] IS NULL OR id = ANY(:ids::bigint[]))
            AND (:kind::text IS NULL OR kind = :kind)
            AND (:ids::bigint[] IS NOT NULL OR status IN ('draft', 'returned'))
          ORDER BY id FOR UPDATE`,
        {
          type: QueryTypes.SELECT,
          transaction,
          replacements: {
            eventId: event.id,
            unitId,
            ids: input.recordIds ? `{${input.recordIds.map(Number).join(',')}}` : null,
            kind: input.kind ?? null,
          },
        },
      );
      if (input.recordIds) {
        const found = new Set(candidates.map((c) => Number(c.id)));
        const missing = input.recordIds.filter((id) => !found.has(Number(id)));
        if (missing.length > 0)
          throw new TesseraError('record_not_found', `记录 ${missing.join('、')} 不存在或不属于该单位`, 404);
        const locked = candidates.filter((c) => !['draft', 'returned'].includes(c.status));
        if (locked.length > 0) {
          throw new TesseraError(
            'not_submittable',
            `记录 ${locked.map((c) => c.id).join('、')} 已在审核中或已有结论，不能再次提交`,
            409,
          );
        }
      }
      if (candidates.length === 0)
        throw new TesseraError('nothing_to_submit', '没有可提交的记录（草稿或退回修改的记录）', 422);
      const types = [...new Set(candidates.map((c) => c.card_type).filter((t): t is string => !!t))];
      const important = plugin.cardTypes.filter((t) => types.includes(t.code) && t.important);
      const levels = plugin.cardTypes
        .filter((t) => types.includes(t.code) && t.importanceLevel !== undefined)
        .map((t) => t.importanceLevel as number);
      const [row] = await this.db.sequelize.query<{ id: string }>(
        `INSERT INTO review_batches (event_id, unit_id, note, record_count, card_types, top_importance, has_important, submitted_by)
         VALUES (:eventId, :unitId, :note, :count, :types::text[], :top, :important, :userId) RETURNING id`,
        {
          type: QueryTypes.SELECT,
          transaction,
          replacements: {
            eventId: event.id,
            unitId,
            note: input.note?.slice(0, 500) ?? null,
            count: candidates.length,
            types: `{${types.map((t) => JSON.stringify(t)).join(',')}}`,
            top: levels.length ? Math.min(...levels) : null,
            important: important.length > 0,
            userId: actor.id,
          },
        },
      );
      const id = Number(row!.id);
      // The rules run once here: the records cannot change while under review, and the review
      // screen of a 500-record batch then only reads what they found.
      const loaded = await this.db.models.EventRecord.findAll({
        where: { id: candidates.map((c) => Number(c.id)) },
        transaction,
      });
      const flags = loaded.map((r) => ({ id: r.id, flags: this.records.reviewFlags(r, plugin) }));
      await this.db.sequelize.query(
        `UPDATE records r SET status = 'submitted', review_batch_id = :batch, submitted_at = now(),
                decided_by = NULL, decided_at = NULL, decision_reason = NULL, version = r.version + 1,
                review_flags = f.flags
           FROM jsonb_to_recordset(:flags::jsonb) AS f(id bigint, flags jsonb)
          WHERE r.id = f.id`,
        { transaction, replacements: { batch: id, flags: JSON.stringify(flags) } },
      );
      await this.audit.record(
        'review_submit',
        { userId: actor.id, username: actor.username, ip: actor.ip },
        { type: 'review_batch', id, eventId: event.id },
        { records: candidates.length, resubmitted: candidates.filter((c) => c.status === 'returned').length },
      );
      return id;
    });
    return this.batchView(batchId, actor);
  }

  private unitFor(actor: Actor, unitCode: string | undefined): Promise<number> {
    return unitIdFor(this.db, actor, unitCode, '提交审核');
  }

  // ---------------------------------------------------------------------------------------
  // Lists

  /** Review batches of an event, oldest waiting first; a unit user sees its own. */
  async list(
    eventCode: string,
    actor: Actor,
    filter: {
      status?: string;
      unit?: string;
      cardType?: string;
      important?: boolean;
      olderThanHours?: number;
    } = {},
  ): Promise<ReviewList> {
    const { event } = await this.events.find(eventCode);
    const unitId = actor.role === 'unit' ? (actor.unit?.id ?? -1) : null;
    const rows = await this.db.sequelize.query<{ id: string }>(
      `SELECT b.id FROM review_batches b JOIN units u ON u.id = b.unit_id
        WHERE b.event_id = :eventId
          AND (:status::text IS NULL OR b.status = :status)
          AND (:unitId::bigint IS NULL OR b.unit_id = :unitId)
          AND (:unit::text IS NULL OR u.code = :unit)
          AND (:cardType::text IS NULL OR :cardType = ANY(b.card_types))
          AND (:important::boolean IS NULL OR b.has_important = :important)
          AND (:hours::numeric IS NULL OR b.submitted_at < now() - make_interval(secs => :hours::numeric * 3600))
        ORDER BY b.has_important DESC, b.submitted_at ASC LIMIT 500`,
      {
        type: QueryTypes.SELECT,
        replacements: {
          eventId: event.id,
          status: filter.status ?? null,
          unitId,
          unit: filter.unit ?? null,
          cardType: filter.cardType ?? null,
          important: filter.important ?? null,
          hours: filter.olderThanHours ?? null,
        },
      },
    );
    // Records waiting for a decision come from the trigger-kept report counts (migrations 0008,
    // 0015), exact, instead of counting the submitted records of a million-record event: a unit's
    // from its own counts, the whole event's from the totals per card type, status and zones (a few
    // dozen rows instead of the ~60,000 count rows of 2,000 units: 16 ms a request under load).
    const [counts] = await this.db.sequelize.query<{ open: string; pending: string; important: string }>(
      `SELECT (SELECT count(*) FROM review_batches WHERE event_id = :eventId AND status = 'open'
                 AND (:unitId::bigint IS NULL OR unit_id = :unitId)) AS open,
              coalesce(sum(amount), 0) AS pending,
              coalesce(sum(amount) FILTER (WHERE card_type = ANY(:important::text[])), 0) AS important
         FROM (${keptPlusDeltas(
           unitId === null ? 'report_record_zone_totals' : 'report_record_counts',
           'report_record_deltas',
           'card_type',
           `event_id = :eventId${unitId === null ? '' : ' AND unit_id = :unitId'} AND status = 'submitted'`,
         )}) c`,
      {
        type: QueryTypes.SELECT,
        replacements: {
          eventId: event.id,
          unitId,
          important: `{${(await this.importantCodes(eventCode)).map((c) => JSON.stringify(c)).join(',')}}`,
        },
      },
    );
    return {
      batches: await this.batchViews(
        rows.map((r) => Number(r.id)),
        actor,
      ),
      counts: {
        open: Number(counts?.open ?? 0),
        pendingRecords: Number(counts?.pending ?? 0),
        importantPending: Number(counts?.important ?? 0),
      },
    };
  }

  private async importantCodes(eventCode: string): Promise<string[]> {
    const { plugin } = await this.events.find(eventCode);
    return plugin.cardTypes.filter((t) => t.important).map((t) => t.code);
  }

  async batchView(batchId: number, actor: Actor): Promise<ReviewBatchView> {
    const [view] = await this.batchViews([batchId], actor);
    if (!view) throw new TesseraError('review_batch_not_found', `审核批次 ${batchId} 不存在`, 404);
    return view;
  }

  /**
   * Batches in the order given, in one query (the queue lists up to 500: one query each made the
   * page slower with every open batch). Another unit's batches are left out for a unit user.
   */
  private async batchViews(
    batchIds: number[],
    actor: Actor,
    /** Filled with each batch's unit id (the view shows the unit's code and name only). */
    unitIdOf?: Map<number, number>,
  ): Promise<ReviewBatchView[]> {
    if (batchIds.length === 0) return [];
    const found = await this.db.sequelize.query<Record<string, unknown>>(
      `SELECT b.*, e.code AS event_code, u.code AS unit_code, u.name AS unit_name, su.username AS submitted_by_name,
              (SELECT json_object_agg(status, n) FROM (
                 SELECT status, count(*) AS n FROM records WHERE review_batch_id = b.id GROUP BY status) s) AS by_status
         FROM review_batches b JOIN events e ON e.id = b.event_id JOIN units u ON u.id = b.unit_id
         LEFT JOIN users su ON su.id = b.submitted_by
        WHERE b.id = ANY(:ids::bigint[])`,
      { type: QueryTypes.SELECT, replacements: { ids: `{${batchIds.join(',')}}` } },
    );
    const byId = new Map(found.map((b) => [Number(b.id), b]));
    const views: ReviewBatchView[] = [];
    for (const id of batchIds) {
      const b = byId.get(id);
      if (!b || (actor.role === 'unit' && Number(b.unit_id) !== actor.unit?.id)) continue;
      unitIdOf?.set(id, Number(b.unit_id));
      const byStatus = (b.by_status as Record<string, number> | null) ?? {};
      views.push({
        id: Number(b.id),
        eventCode: b.event_code as string,
        unit: { code: b.unit_code as string, name: b.unit_name as string },
        status: b.status as ReviewBatchView['status'],
        note: (b.note as string | null) ?? null,
        recordCount: b.record_count as number,
        cardTypes: b.card_types as string[],
        hasImportant: b.has_important as boolean,
        topImportance: (b.top_importance as number | null) ?? null,
        submittedBy: (b.submitted_by_name as string | null) ?? null,
        submittedAt: (b.submitted_at as Date).toISOString(),
        decidedAt: (b.decided_at as Date | null)?.toISOString() ?? null,
        counts: {
          pending: Number(byStatus.submitted ?? 0),
          approved: Number(byStatus.approved ?? 0),
          rejected: Number(byStatus.rejected ?? 0),
          returned: Number(byStatus.returned ?? 0),
        },
      });
    }
    return views;
  }

  // ---------------------------------------------------------------------------------------
  // The declaration context

  /**
   * Per card type of the unit in the event: applied (everything submitted at least once),
   * approved, rejected, returned, pending, printed; the quota and what remains. Important card
   * types first. Counted from the records at the moment of asking.
   */
  async declarationSummary(
    eventCode: string,
    unitCode: string,
    actor: Actor,
    transaction?: Transaction,
  ): Promise<DeclarationSummary> {
    const { event, plugin } = await this.events.find(eventCode);
    const unit = await this.db.models.Unit.findOne({ where: { code: unitCode }, transaction });
    if (!unit || (actor.role === 'unit' && actor.unit?.id !== unit.id))
      throw new TesseraError('unit_not_found', `单位 "${unitCode}" 不存在`, 404);
    const rows = await this.db.sequelize.query<{
      card_type: string | null;
      status: string;
      n: string;
      printed: string;
    }>(
      `SELECT card_type, status, count(*) AS n, count(printed_at) AS printed FROM records
        WHERE event_id = :eventId AND unit_id = :unitId GROUP BY card_type, status`,
      { type: QueryTypes.SELECT, transaction, replacements: { eventId: event.id, unitId: unit.id } },
    );
    const cardTypes = summarise(plugin, unit.code, rows);
    const history = await this.db.sequelize.query<{
      code: string;
      name: string;
      applied: string;
      approved: string;
      rejected: string;
    }>(
      `SELECT e.code, e.name, count(*) FILTER (WHERE r.status <> 'draft') AS applied,
              count(*) FILTER (WHERE r.status = 'approved') AS approved,
              count(*) FILTER (WHERE r.status = 'rejected') AS rejected
         FROM records r JOIN events e ON e.id = r.event_id
        WHERE r.unit_id = :unitId AND r.event_id <> :eventId
        GROUP BY e.id, e.code, e.name ORDER BY e.id DESC LIMIT 20`,
      { type: QueryTypes.SELECT, transaction, replacements: { eventId: event.id, unitId: unit.id } },
    );
    return {
      event: event.code,
      unit: { code: unit.code, name: unit.name },
      at: new Date().toISOString(),
      cardTypes,
      history: history.map((h) => ({
        event: h.code,
        name: h.name,
        applied: Number(h.applied),
        approved: Number(h.approved),
        rejected: Number(h.rejected),
      })),
    };
  }

  // ---------------------------------------------------------------------------------------
  // The review screen

  /** A batch with its records (photo, fields, flags), the unit's context and duplicate hints. */
  async screen(batchId: number, actor: Actor) {
    const batch = await this.batchView(batchId, actor);
    const { event, plugin } = await this.events.find(batch.eventCode);
    const records = await this.db.models.EventRecord.findAll({
      where: { reviewBatchId: batchId },
      order: [['id', 'ASC']],
    });
    const summary = await this.declarationSummary(batch.eventCode, batch.unit.code, actor);
    const inBatch = new Map<string, number>();
    for (const r of records)
      if (r.status === 'submitted' && r.cardType) inBatch.set(r.cardType, (inBatch.get(r.cardType) ?? 0) + 1);
    const context = {
      ...summary,
      cardTypes: summary.cardTypes.map((t) => {
        const pendingHere = inBatch.get(t.code) ?? 0;
        return {
          ...t,
          inBatch: pendingHere,
          remainingAfterBatch: t.quota === null ? null : t.quota - t.approved - pendingHere,
        };
      }),
    };
    const duplicates = await this.duplicateHints(
      event.id,
      records.map((r) => ({ id: r.id, unitId: r.unitId, hash: r.idNumberHash })),
    );
    const views = await Promise.all(
      records.map(async (r) => {
        const view = await this.records.view(r, plugin, true);
        return {
          ...view,
          reviewStatus: r.status,
          decisionReason: r.decisionReason,
          decidedAt: r.decidedAt?.toISOString() ?? null,
          flags: r.reviewFlags ?? this.records.reviewFlags(r, plugin),
          duplicates: duplicates.get(r.id) ?? [],
        };
      }),
    );
    return { batch, records: views, context };
  }

  /**
   * People of these records who also appear, by ID-number hash, in another unit's application
   * in this event, or were rejected before (any event).
   */
  private async duplicateHints(
    eventId: number,
    records: { id: number; unitId: number; hash: Buffer | null }[],
  ): Promise<Map<number, DuplicateHint[]>> {
    const out = new Map<number, DuplicateHint[]>();
    const withHash = records.filter((r) => r.hash);
    if (withHash.length === 0) return out;
    const byHash = new Map<string, (typeof withHash)[number][]>();
    for (const r of withHash) {
      const key = r.hash!.toString('hex');
      byHash.set(key, [...(byHash.get(key) ?? []), r]);
    }
    const rows = await this.db.sequelize.query<{
      id: string;
      hash: Buffer;
      unit_id: string;
      unit_code: string;
      unit_name: string;
      event_id: string;
      event_code: string;
      status: string;
      card_type: string | null;
      decision_reason: string | null;
    }>(
      `SELECT r.id, r.id_number_hash AS hash, r.unit_id, u.code AS unit_code, u.name AS unit_name,
              r.event_id, e.code AS event_code, r.status, r.card_type, r.decision_reason
         FROM records r JOIN units u ON u.id = r.unit_id JOIN events e ON e.id = r.event_id
        WHERE r.id_number_hash IN (:hashes)
          AND ((r.event_id = :eventId AND r.status <> 'draft') OR r.status = 'rejected')
        LIMIT 5000`,
      { type: QueryTypes.SELECT, replacements: { hashes: withHash.map((r) => r.hash!), eventId } },
    );
    for (const row of rows) {
      for (const r of byHash.get(row.hash.toString('hex')) ?? []) {
        if (Number(row.id) === r.id) continue;
        const sameEvent = Number(row.event_id) === eventId;
        const otherUnit = Number(row.unit_id) !== r.unitId;
        const kind: DuplicateHint['kind'] | null =
          row.status === 'rejected' ? 'rejected-before' : sameEvent && otherUnit ? 'other-unit' : null;
        if (!kind) continue;
        const list = out.get(r.id) ?? [];
        list.push({
          kind,
          recordId: Number(row.id),
          event: row.event_code,
          unit: { code: row.unit_code, name: row.unit_name },
          status: row.status,
          cardType: row.card_type,
          reason: row.decision_reason,
        });
        out.set(r.id, list);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // Decisions

  /**
   * Decides records of a batch (some, or every pending one). Each record named must still be
   * the version the reviewer saw: a record someone else decided or changed meanwhile is a
   * conflict, and nothing of the request is written. Approvals past a unit's quota are refused
   * unless the reviewer overrides them with a reason, which is recorded.
   */
  async decide(
    batchId: number,
    input: {
      decision: Decision;
      records?: { id: number; version: number }[];
      all?: boolean;
      reason?: string;
      overrideQuota?: boolean;
    },
    actor: Actor,
  ): Promise<DecisionResult> {
    if (!DECIDE_ROLES.includes(actor.role)) throw new TesseraError('forbidden', '当前角色不能审核', 403);
    if (!STATUS_OF[input.decision])
      throw new TesseraError('invalid_decision', '审核结论应为 approve、reject 或 return', 422);
    const reason = input.reason?.trim() || null;
    if (input.decision !== 'approve' && !reason)
      throw new TesseraError('reason_required', `${VERB[input.decision]}须填写原因（申报单位会看到）`, 422);
    if (input.overrideQuota && !reason)
      throw new TesseraError('reason_required', '超出配额通过须填写原因', 422);
    const unitIdOf = new Map<number, number>();
    const [batch] = await this.batchViews([batchId], actor, unitIdOf);
    if (!batch) throw new TesseraError('review_batch_not_found', `审核批次 ${batchId} 不存在`, 404);
    const { event, plugin } = await this.events.find(batch.eventCode);
    const unitId = unitIdOf.get(batchId)!;

    const decided = await this.db.sequelize.transaction(async (transaction) => {
      // One decision at a time per unit of an event: quota counts cannot race.
      await this.db.sequelize.query('SELECT pg_advisory_xact_lock(:a, :b)', {
        transaction,
        replacements: { a: event.id, b: unitId },
      });
      const current = await this.db.sequelize.query<{
        id: string;
        version: number;
        status: string;
        card_type: string | null;
      }>(
        `SELECT id, version, status, card_type FROM records
          WHERE review_batch_id = :batchId
            AND (:ids::bigint[] IS NULL OR id = ANY(:ids::bigint[]))
            AND (:ids::bigint[] IS NOT NULL OR status = 'submitted')
          ORDER BY id FOR UPDATE`,
        {
          type: QueryTypes.SELECT,
          transaction,
          replacements: {
            batchId,
            ids: input.all ? null : `{${(input.records ?? []).map((r) => Number(r.id)).join(',')}}`,
          },
        },
      );
      if (!input.all) {
        const seen = new Map((input.records ?? []).map((r) => [Number(r.id), Number(r.version)]));
        if (seen.size === 0) throw new TesseraError('nothing_selected', '请选择要审核的记录', 422);
        const found = new Set(current.map((c) => Number(c.id)));
        const missing = [...seen.keys()].filter((id) => !found.has(id));
        if (missing.length > 0)
          throw new TesseraError('record_not_found', `记录 ${missing.join('、')} 不在这个审核批次中`, 404);
        const stale = current.filter((c) => c.status !== 'submitted' || c.version !== seen.get(Number(c.id)));
        if (stale.length > 0) {
          throw new TesseraError(
            'decision_conflict',
            `记录 ${stale.map((c) => c.id).join('、')} 刚被他人审核或修改，请刷新后再决定`,
            409,
            { records: stale.map((c) => ({ id: Number(c.id), status: c.status, version: c.version })) },
          );
        }
      }
      if (current.length === 0) throw new TesseraError('nothing_pending', '这个批次没有待审核的记录', 409);

      let overQuota: { cardType: string; quota: number; approved: number; adding: number }[] = [];
      if (input.decision === 'approve') {
        const approved = await this.db.sequelize.query<{ card_type: string; n: string }>(
          `SELECT card_type, count(*) AS n FROM records
            WHERE event_id = :eventId AND unit_id = :unitId AND status = 'approved' GROUP BY card_type`,
          { type: QueryTypes.SELECT, transaction, replacements: { eventId: event.id, unitId } },
        );
        const adding = new Map<string, number>();
        for (const c of current) if (c.card_type) adding.set(c.card_type, (adding.get(c.card_type) ?? 0) + 1);
        overQuota = [...adding].flatMap(([code, n]) => {
          const quota = quotaOf(plugin, code, batch.unit.code);
          const already = Number(approved.find((a) => a.card_type === code)?.n ?? 0);
          return quota !== null && already + n > quota
            ? [{ cardType: code, quota, approved: already, adding: n }]
            : [];
        });
        if (overQuota.length > 0 && !input.overrideQuota) {
          const names = overQuota.map((o) => {
            const t = plugin.cardTypes.find((c) => c.code === o.cardType);
            return `${t?.name ?? o.cardType}配额 ${o.quota}，已通过 ${o.approved}，本次 ${o.adding}`;
          });
          throw new TesseraError(
            'quota_exceeded',
            `超出配额：${names.join('；')}。如确需通过，请选择“超配额通过”并填写原因`,
            409,
            {
              overQuota,
            },
          );
        }
      }
      const status = STATUS_OF[input.decision];
      const ids = `{${current.map((c) => c.id).join(',')}}`;
      const overridden = new Set(overQuota.map((o) => o.cardType));
      // One statement for the records, their decisions (each keeps the version written), the audit
      // entries and the batch's status: under load every round trip inside this transaction holds
      // the unit's lock while it waits its turn for the CPU. The batch is still open when any of its
      // records other than these is pending (the statement sees the records as they were before it).
      await this.db.sequelize.query(
        `WITH decided AS (
           UPDATE records SET status = :status, decided_by = :userId, decided_at = now(), decision_reason = :reason,
                  version = version + 1, updated_at = now()
            WHERE id = ANY(:ids::bigint[])
            RETURNING id, card_type, version, card_type = ANY(:overridden::text[]) AS overridden),
         noted AS (
           INSERT INTO review_decisions (event_id, batch_id, record_id, decision, reason, quota_override, record_version, decided_by)
           SELECT :eventId, :batchId, d.id, :status, :reason, d.overridden, d.version, :userId FROM decided d),
         audited AS (
           INSERT INTO audit_log (at, user_id, username, action, target_type, target_id, event_id, ip, detail)
           SELECT now(), :userId, :username, :action, 'record', d.id::text, :eventId, :ip,
                  jsonb_build_object('batch', :batchId::bigint, 'reason', :reason::text)
                    || CASE WHEN d.overridden THEN '{"quotaOverride": true}'::jsonb ELSE '{}'::jsonb END
             FROM decided d ORDER BY d.id)
         UPDATE review_batches SET
                status = CASE WHEN pending.any THEN 'open' ELSE 'decided' END,
                decided_at = CASE WHEN pending.any THEN NULL ELSE now() END
           FROM (SELECT EXISTS (SELECT 1 FROM records WHERE review_batch_id = :batchId AND status = 'submitted'
                                   AND id <> ALL(:ids::bigint[])) AS any) pending
          WHERE id = :batchId`,
        {
          transaction,
          replacements: {
            eventId: event.id,
            batchId,
            status,
            reason,
            overridden: `{${[...overridden].map((c) => JSON.stringify(c)).join(',')}}`,
            userId: actor.id,
            username: actor.username,
            ip: actor.ip ?? null,
            action: `review_${status}`,
            ids,
          },
        },
      );
      return { ids: current.map((c) => Number(c.id)), overQuota };
    });
    return {
      decision: input.decision,
      records: decided.ids,
      quotaOverride: decided.overQuota,
      batch: await this.batchView(batchId, actor),
    };
  }

  /** The decisions on a record, newest first (what the unit sees as the reason). */
  async decisionsOf(recordId: number): Promise<DecisionEntry[]> {
    return this.db.sequelize.query<DecisionEntry>(
      `SELECT d.decision, d.reason, d.quota_override, d.decided_at, u.username AS decided_by
         FROM review_decisions d LEFT JOIN users u ON u.id = d.decided_by
        WHERE d.record_id = :recordId ORDER BY d.decided_at DESC, d.id DESC`,
      { type: QueryTypes.SELECT, replacements: { recordId } },
    );
  }
}

function quotaOf(plugin: LoadedPlugin, cardType: string, unitCode: string): number | null {
  const t = plugin.cardTypes.find((c) => c.code === cardType);
  return t?.quota?.byUnit?.[unitCode] ?? t?.quota?.perUnit ?? null;
}

/** Rows of (card type, status, count, printed) → one line per card type, important first. */
export function summarise(
  plugin: LoadedPlugin,
  unitCode: string,
  rows: readonly { card_type: string | null; status: string; n: string | number; printed: string | number }[],
): CardTypeSummary[] {
  const lines = plugin.cardTypes.map((t): CardTypeSummary => {
    const of = (status: string) =>
      Number(rows.find((r) => r.card_type === t.code && r.status === status)?.n ?? 0);
    const approved = of('approved');
    const quota = quotaOf(plugin, t.code, unitCode);
    return {
      code: t.code,
      name: t.name,
      recordKind: t.recordKind,
      important: t.important === true,
      importanceLevel: t.importanceLevel ?? null,
      applied: of('submitted') + approved + of('rejected') + of('returned'),
      approved,
      rejected: of('rejected'),
      returned: of('returned'),
      pending: of('submitted'),
      drafts: of('draft'),
      printed: rows.filter((r) => r.card_type === t.code).reduce((n, r) => n + Number(r.printed), 0),
      quota,
      remaining: quota === null ? null : quota - approved,
    };
  });
  return lines.sort(
    (a, b) =>
      Number(b.important) - Number(a.important) ||
      (a.importanceLevel ?? 99) - (b.importanceLevel ?? 99) ||
      plugin.cardTypes.findIndex((t) => t.code === a.code) -
        plugin.cardTypes.findIndex((t) => t.code === b.code),
  );
}
