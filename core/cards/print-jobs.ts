/**
 * Print jobs (证件制作): the operator chooses approved records; one transaction gives each a card
 * (status `queued`, its number from the counters), records the job, its task and its message on
 * the print queue. A worker — this process or another on the same database — renders the cards
 * with the card type's layout from the event's active plugin version, stores the PDF in the blob
 * store, and only then, in one transaction, marks the cards printed and the job succeeded.
 *
 * Cards are never deleted, so numbers stay gap-free and are never reused:
 * - a failed job keeps its cards `queued` and attached: 重试 renders the same cards, same numbers;
 * - a cancelled job lets go of its cards: they stay `queued` (排队制作) with no job and are offered
 *   again in the printable list; the next job that chooses them prints them with their numbers;
 * - a record printed before (all its cards no longer live) gets the next version of its number.
 *
 * Two operators choosing the same record: the partial unique index cards_live_per_record lets
 * one transaction through; the other gets 409 `cards-busy`.
 *
 * A job survives a restart: the worker holds a PostgreSQL advisory lock on the job while it renders
 * (on a connection of its own, released when the process dies); a sweep in every worker process
 * puts jobs that are `running` without a lock holder back on the queue (after MAX_ATTEMPTS
 * interrupted attempts the job fails with a message saying so), and jobs `queued` whose queue
 * message is gone (a restored database) are sent again. A server that stops puts its running job
 * back on the queue at once.
 */
import { hostname } from 'node:os';
import pg from 'pg';
import { QueryTypes, UniqueConstraintError, type Transaction } from 'sequelize';
import type { AuditLog } from '../audit.ts';
import type { Database } from '../db/connection.ts';
import type { EventRecord } from '../db/models.ts';
import { TesseraError } from '../errors.ts';
import type { Events } from '../events/events.ts';
import type { BlobStore } from '../photos/blob-store.ts';
import type { LoadedPlugin } from '../plugins/index.ts';
import type { Records } from '../records/records.ts';
import { todayIn } from '../render/context.ts';
import { renderForEvent } from '../render/event.ts';
import type { RenderOutput, RenderReport } from '../render/job.ts';
import type { SharedRenderBrowser } from '../render/shared.ts';
import type { TaskProgress, Tasks } from '../tasks/tasks.ts';
import { checkIdNumber, checkPlate } from '../validation/index.ts';
import type { SensitiveData } from '../crypto/sensitive.ts';
import { allocateCardNumbers } from './numbering.ts';
import type { PrintQueue } from './print-queue.ts';
import {
  cardTypeRef,
  idArray,
  isCardStaff,
  LIVE_SQL,
  writeHistory,
  type Actor,
  type HistoryEntry,
} from './store.ts';
import { verifyUrlOf, type CardSigner } from './verify.ts';
import type {
  PrintableList,
  PrintableRecord,
  PrintJobRequest,
  PrintJobStatus,
  PrintJobView,
  PrintOptions,
} from './views.ts';

/** Cards one job may hold: a day's batch of a big event; more is split into several jobs. */
export const MAX_JOB_CARDS = 5000;
/** Attempts a job gets when the process rendering it goes away; then it fails with the reason. */
export const MAX_ATTEMPTS = 3;
/** Advisory-lock namespace of running print jobs (with the job id): held while a worker renders it. */
const RUN_LOCK = 7_241_007;
/** Advisory lock of the sweep: one process at a time looks for abandoned jobs. */
const SWEEP_LOCK = 7_241_008;
const SWEEP_INTERVAL_MS = 10_000;

const SHUTDOWN = 'shutdown';
const CANCELLED = 'cancelled';

interface JobRow {
  id: string;
  event_id: string;
  card_type: string;
  status: PrintJobStatus;
  options: PrintOptions;
  selection: Record<string, unknown>;
  card_count: number;
  task_id: string | null;
  pdf_blob: string | null;
  pdf_bytes: string | null;
  report: StoredReport | null;
  error: string | null;
  attempts: number;
  queue_job_id: string | null;
  worker: string | null;
  created_by: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  event_code: string;
  task_done: number | null;
  task_phase: string | null;
  created_by_name: string | null;
}

/** What a job keeps of the render report. */
interface StoredReport {
  pages: number;
  pageSizeMm: RenderReport['pageSizeMm'];
  notes: string[];
  timings: RenderReport['timings'];
  problems: PrintJobView['problems'];
}

const JOB_SELECT = `
  SELECT j.*, e.code AS event_code, t.done AS task_done, t.phase AS task_phase,
         COALESCE(NULLIF(us.display_name, ''), us.username) AS created_by_name
    FROM print_jobs j JOIN events e ON e.id = j.event_id
    LEFT JOIN tasks t ON t.id = j.task_id LEFT JOIN users us ON us.id = j.created_by`;

const SHEETS = ['A4', 'A3'] as const;

/** The options as sent, checked; a bad one is named. */
export function checkPrintOptions(raw: unknown): PrintOptions {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const sheet = o.sheet === undefined || o.sheet === null || o.sheet === '' ? null : o.sheet;
  if (sheet !== null && !SHEETS.includes(sheet as 'A4')) {
    throw new TesseraError(
      'invalid_options',
      `纸张 "${String(sheet)}" 无效：只能是单张（null）、A4 或 A3`,
      422,
    );
  }
  const bleed = o.bleedMm === undefined ? 0 : Number(o.bleedMm);
  if (!Number.isFinite(bleed) || bleed < 0 || bleed > 5) {
    throw new TesseraError('invalid_options', `出血 ${String(o.bleedMm)} mm 无效：应在 0–5 mm 之间`, 422);
  }
  const flag = (v: unknown, fallback: boolean) => (typeof v === 'boolean' ? v : fallback);
  return {
    sheet: sheet as PrintOptions['sheet'],
    duplex: flag(o.duplex, false),
    bleedMm: Math.round(bleed * 10) / 10,
    marks: flag(o.marks, false),
    backs: flag(o.backs, true),
  };
}

function renderOutput(o: PrintOptions): RenderOutput {
  return o.sheet === null
    ? { kind: 'cards', bleedMm: o.bleedMm, marks: o.marks }
    : { kind: 'sheets', sheet: o.sheet, bleedMm: o.bleedMm, duplex: o.duplex, marks: o.marks };
}

interface Candidate {
  id: string;
  unit_code: string;
  version: number;
  live_id: string | null;
  live_status: string | null;
  live_job: string | null;
  prev_number: string | null;
  prev_seq: number | null;
  prev_version: number | null;
}

export class PrintJobs {
  private readonly running = new Map<number, AbortController>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private working = false;
  readonly workerName = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;

  constructor(
    private readonly db: Database,
    private readonly events: Events,
    private readonly records: Records,
    private readonly sensitive: SensitiveData,
    private readonly blobs: BlobStore,
    private readonly audit: AuditLog,
    private readonly tasks: Tasks,
    private readonly renderer: SharedRenderBrowser,
    private readonly queue: PrintQueue,
    private readonly signer: CardSigner,
    private readonly publicUrl: string | undefined,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  private requireStaff(actor: Actor, doing: string): void {
    if (!isCardStaff(actor)) throw new TesseraError('forbidden', `当前角色不能${doing}`, 403);
  }

  // ---------------------------------------------------------------------------------------
  // What can be printed

  /**
   * Approved records of the event that no card holds: no live card, or only a queued card that no
   * job holds (its job was cancelled, or a reprint waits to be printed) — records.card_held, kept
   * by a trigger on cards (migration 0016), read through the partial index records_printable.
   */
  async printable(
    eventCode: string,
    actor: Actor,
    query: {
      cardType?: string;
      unit?: string;
      reviewBatch?: number;
      q?: string;
      offset?: number;
      limit?: number;
    },
  ): Promise<PrintableList> {
    this.requireStaff(actor, '查看待制证记录');
    const { event, plugin } = await this.events.find(eventCode);
    const q = query.q?.trim() ?? '';
    const id = q ? checkIdNumber(q) : null;
    const plate = q ? checkPlate(q) : null;
    const replacements = {
      eventId: event.id,
      unit: query.unit ?? null,
      batch: query.reviewBatch ?? null,
      name: q ? `${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null,
      hash: id?.valid ? this.sensitive.lookupHash(id.normalized) : null,
      plate: plate?.valid ? plate.normalized : null,
      cardType: query.cardType ?? null,
      offset: Math.max(0, query.offset ?? 0),
      limit: Math.min(Math.max(query.limit ?? 100, 1), 1000),
    };
    const waiting = `
      r.event_id = :eventId AND r.status = 'approved' AND r.card_type IS NOT NULL AND NOT r.card_held
      AND (:batch::bigint IS NULL OR r.review_batch_id = :batch)
      AND (:name::text IS NULL OR r.name LIKE :name OR r.id_number_hash = :hash OR r.plate_number = :plate)`;
    const ofUnit = '(:unit::text IS NULL OR u.code = :unit)';
    // Unit by unit in code order, each unit's records by id from records_printable: a page is read
    // from the first units on, never by sorting every waiting record of the event.
    const rows = await this.db.sequelize.query<{
      id: string;
      name: string | null;
      plate_number: string | null;
      id_number_masked: string | null;
      unit_code: string;
      unit_name: string;
      card_type: string;
      review_batch_id: string | null;
      decided_at: Date | null;
      previous: string;
    }>(
      `SELECT r.id, r.name, r.plate_number, r.id_number_masked, u.code AS unit_code, u.name AS unit_name,
              r.card_type, r.review_batch_id, r.decided_at,
              (SELECT count(*) FROM cards pc WHERE pc.record_id = r.id AND pc.status NOT IN ${LIVE_SQL}) AS previous
         FROM units u CROSS JOIN LATERAL (
                SELECT r.* FROM records r
                 WHERE r.unit_id = u.id AND ${waiting} AND (:cardType::text IS NULL OR r.card_type = :cardType)
                 ORDER BY r.id) r
        WHERE ${ofUnit}
        ORDER BY u.code, r.id OFFSET :offset LIMIT :limit`,
      { type: QueryTypes.SELECT, replacements },
    );
    // The unit as a looked-up id, not a join: without one the counts are an index-only scan of
    // records_printable alone (20 ms at a million records against 48 ms hashed against units).
    const counts = await this.db.sequelize.query<{ card_type: string; n: string }>(
      `SELECT r.card_type, count(*) AS n FROM records r
        WHERE ${waiting} AND (:unit::text IS NULL OR r.unit_id = (SELECT id FROM units WHERE code = :unit))
        GROUP BY r.card_type`,
      { type: QueryTypes.SELECT, replacements },
    );
    const total = counts
      .filter((c) => !query.cardType || c.card_type === query.cardType)
      .reduce((sum, c) => sum + Number(c.n), 0);
    return {
      records: rows.map((r): PrintableRecord => ({
        recordId: Number(r.id),
        name: r.name,
        plateNumber: r.plate_number,
        idNumberMasked: r.id_number_masked,
        unit: { code: r.unit_code, name: r.unit_name },
        cardType: r.card_type,
        reviewBatchId: r.review_batch_id === null ? null : Number(r.review_batch_id),
        approvedAt: r.decided_at?.toISOString() ?? null,
        previousCards: Number(r.previous),
      })),
      total,
      byCardType: plugin.cardTypes.map((t) => ({
        code: t.code,
        name: t.name,
        count: Number(counts.find((c) => c.card_type === t.code)?.n ?? 0),
      })),
    };
  }

  // ---------------------------------------------------------------------------------------
  // Creating a job

  async create(eventCode: string, request: PrintJobRequest, actor: Actor): Promise<PrintJobView> {
    this.requireStaff(actor, '制作证件');
    const { event, plugin } = await this.events.find(eventCode);
    const options = checkPrintOptions(request.options);
    const cardType = plugin.cardTypes.find((t) => t.code === request.cardType);
    if (!cardType) {
      throw new TesseraError(
        'card_type_not_found',
        `活动 ${eventCode} 没有证件类型 "${String(request.cardType)}"（可选：${plugin.cardTypes.map((t) => t.code).join('、')}）`,
        422,
      );
    }
    const ids = (v: unknown) =>
      Array.isArray(v)
        ? [...new Set(v.map(Number).filter((n) => Number.isSafeInteger(n) && n > 0))]
        : undefined;
    const selection = {
      recordIds: ids(request.recordIds),
      units: Array.isArray(request.units) ? request.units.map(String) : undefined,
      reviewBatchIds: ids(request.reviewBatchIds),
    };
    const jobId = await this.inTransaction((transaction) =>
      this.createIn(transaction, { event, plugin, cardType: cardType.code, options, selection }, actor),
    );
    this.queue.nudge();
    return this.get(eventCode, jobId, actor);
  }

  /** Runs `work` in a transaction, turning a second live card for a record into 409 `cards-busy`. */
  async inTransaction<T>(work: (transaction: Transaction) => Promise<T>): Promise<T> {
    try {
      return await this.db.sequelize.transaction(work);
    } catch (error) {
      if (error instanceof UniqueConstraintError) {
        const index = (error.parent as { constraint?: string } | undefined)?.constraint;
        if (index === 'cards_live_per_record') {
          throw new TesseraError(
            'cards-busy',
            '所选记录中有证件刚被其他制证员加入制作任务，请刷新列表后重新选择',
            409,
            { recordIds: [] },
          );
        }
        if (index === 'cards_number_version' || index === 'cards_seq') {
          throw new TesseraError(
            'card_number_taken',
            '证件编号已被占用：两个证件类型的编号规则生成了相同的编号，请在活动设置中让编号规则包含 {type} 或不同的前缀',
            409,
          );
        }
      }
      throw error;
    }
  }

  /**
   * The job's rows inside `transaction`: cards for the chosen records (new numbers, next versions of
   * earlier numbers, or queued cards that no job holds), the job, its task, its queue message.
   */
  async createIn(
    transaction: Transaction,
    o: {
      event: { id: number; code: string };
      plugin: LoadedPlugin;
      cardType: string;
      options: PrintOptions;
      selection: { recordIds?: number[]; units?: string[]; reviewBatchIds?: number[] };
      reason?: string;
    },
    actor: Actor,
  ): Promise<number> {
    const { event, plugin, selection } = o;
    const cardType = plugin.cardTypes.find((t) => t.code === o.cardType)!;
    // Locked for update, not shared: inserting their cards updates these records (card_held, 0016), and
    // two jobs choosing one record would each wait for the other's share lock, a deadlock. So the
    // second waits here and then meets cards_live_per_record (409 cards-busy).
    const candidates = await this.db.sequelize.query<Candidate>(
      `SELECT r.id, u.code AS unit_code, r.version,
              lc.id AS live_id, lc.status AS live_status, lc.print_job_id AS live_job,
              pc.card_number AS prev_number, pc.seq AS prev_seq, pc.card_version AS prev_version
         FROM records r JOIN units u ON u.id = r.unit_id
         LEFT JOIN cards lc ON lc.record_id = r.id AND lc.status IN ${LIVE_SQL}
         LEFT JOIN LATERAL (SELECT card_number, seq, card_version FROM cards
                             WHERE record_id = r.id ORDER BY card_version DESC LIMIT 1) pc ON true
        WHERE r.event_id = :eventId AND r.status = 'approved' AND r.card_type = :cardType
          AND (:ids::bigint[] IS NULL OR r.id = ANY(:ids::bigint[]))
          AND (:units::text[] IS NULL OR u.code = ANY(:units::text[]))
          AND (:batches::bigint[] IS NULL OR r.review_batch_id = ANY(:batches::bigint[]))
        ORDER BY u.code, r.id
        FOR NO KEY UPDATE OF r`,
      {
        type: QueryTypes.SELECT,
        transaction,
        replacements: {
          eventId: event.id,
          cardType: cardType.code,
          ids: selection.recordIds ? idArray(selection.recordIds) : null,
          units: selection.units ? `{${selection.units.map((u) => JSON.stringify(u)).join(',')}}` : null,
          batches: selection.reviewBatchIds ? idArray(selection.reviewBatchIds) : null,
        },
      },
    );
    const waiting = (c: Candidate) => c.live_status === 'queued' && c.live_job === null;
    const busy = candidates.filter((c) => c.live_id !== null && !waiting(c)).map((c) => Number(c.id));
    if (selection.recordIds) {
      const found = new Set(candidates.map((c) => Number(c.id)));
      const missing = selection.recordIds.filter((id) => !found.has(id));
      if (missing.length > 0) {
        throw new TesseraError(
          'not_printable',
          `记录 ${missing.slice(0, 20).join('、')}${missing.length > 20 ? ` 等 ${missing.length} 条` : ''} 不能制证：不存在、未审核通过，或不是${cardType.name}`,
          422,
          { recordIds: missing },
        );
      }
      if (busy.length > 0) {
        throw new TesseraError(
          'cards-busy',
          `记录 ${busy.slice(0, 20).join('、')}${busy.length > 20 ? ` 等 ${busy.length} 条` : ''} 已有证件在制作或已制证（可能是其他制证员刚加入了制作任务），请刷新后重新选择`,
          409,
          { recordIds: busy },
        );
      }
    }
    const chosen = candidates.filter((c) => c.live_id === null || waiting(c));
    if (chosen.length === 0) {
      throw new TesseraError(
        'nothing-to-print',
        `所选范围内没有待制作的${cardType.name}（已审核通过且尚未制证的记录）`,
        422,
      );
    }
    if (chosen.length > MAX_JOB_CARDS) {
      throw new TesseraError(
        'too_many_cards',
        `一个制作任务最多 ${MAX_JOB_CARDS} 张证件，所选有 ${chosen.length} 张：请按单位或审核批次分开制作`,
        422,
      );
    }

    const [job] = await this.db.sequelize.query<{ id: string }>(
      `INSERT INTO print_jobs (event_id, card_type, status, options, selection, card_count, created_by)
       VALUES (:eventId, :cardType, 'queued', :options::jsonb, :selection::jsonb, :count, :userId) RETURNING id`,
      {
        type: QueryTypes.SELECT,
        transaction,
        replacements: {
          eventId: event.id,
          cardType: cardType.code,
          options: JSON.stringify(o.options),
          selection: JSON.stringify(selection),
          count: chosen.length,
          userId: actor.id,
        },
      },
    );
    const jobId = Number(job!.id);
    const history: HistoryEntry[] = [];

    // Queued cards that no job holds (a cancelled job's, a reprint's): this job takes them.
    const adopt = chosen.filter(waiting);
    if (adopt.length > 0) {
      const taken = await this.db.sequelize.query<{ id: string; record_id: string }>(
        // The record as approved now is what prints (it may have been corrected since the card was queued).
        `UPDATE cards c SET print_job_id = :jobId, updated_at = now(), record_version = r.version
           FROM records r
          WHERE r.id = c.record_id AND c.id = ANY(:ids::bigint[]) AND c.status = 'queued' AND c.print_job_id IS NULL
          RETURNING c.id, c.record_id`,
        {
          type: QueryTypes.SELECT,
          transaction,
          replacements: { jobId, ids: idArray(adopt.map((c) => Number(c.live_id))) },
        },
      );
      if (taken.length !== adopt.length) {
        const got = new Set(taken.map((t) => Number(t.record_id)));
        const lost = adopt.map((c) => Number(c.id)).filter((id) => !got.has(id));
        throw new TesseraError(
          'cards-busy',
          `记录 ${lost.join('、')} 的证件刚被其他制作任务选中，请刷新后重新选择`,
          409,
          {
            recordIds: lost,
          },
        );
      }
      // A reprint sent straight to print: its own history row (补制, with the reason) says it.
      for (const t of o.reason ? [] : taken) {
        history.push({
          eventId: event.id,
          cardId: Number(t.id),
          recordId: Number(t.record_id),
          action: 'queue',
          from: 'queued',
          to: 'queued',
          detail: { printJob: jobId },
          actorId: actor.id,
        });
      }
    }

    // New numbers for records never printed; the next version of their number for the others.
    const fresh = chosen.filter((c) => c.live_id === null && c.prev_number === null);
    const numbers = await allocateCardNumbers(this.db.sequelize, transaction, {
      eventId: event.id,
      eventCode: event.code,
      cardType,
      unitCodes: fresh.map((c) => c.unit_code),
      year: todayIn(plugin.manifest.event.timezone).slice(0, 4),
    });
    const freshNumber = new Map(fresh.map((c, i) => [c.id, numbers[i]!]));
    const rows = chosen
      .filter((c) => c.live_id === null)
      .map((c) => {
        const n = freshNumber.get(c.id);
        return {
          record_id: Number(c.id),
          card_number: n ? n.cardNumber : c.prev_number!,
          seq: n ? n.seq : c.prev_seq!,
          card_version: n ? 1 : c.prev_version! + 1,
          record_version: c.version,
        };
      });
    if (rows.length > 0) {
      const inserted = await this.db.sequelize.query<{ id: string; record_id: string; card_version: number }>(
        `INSERT INTO cards (event_id, record_id, unit_id, card_type, card_number, seq, card_version, status,
                            print_job_id, record_version, created_by)
         SELECT :eventId, x.record_id, r.unit_id, :cardType, x.card_number, x.seq, x.card_version, 'queued',
                :jobId, x.record_version, :userId
           FROM jsonb_to_recordset(:rows::jsonb) AS x(record_id bigint, card_number text, seq integer,
                card_version integer, record_version integer)
           JOIN records r ON r.id = x.record_id
         RETURNING id, record_id, card_version`,
        {
          type: QueryTypes.SELECT,
          transaction,
          replacements: {
            eventId: event.id,
            cardType: cardType.code,
            jobId,
            userId: actor.id,
            rows: JSON.stringify(rows),
          },
        },
      );
      for (const c of inserted) {
        history.push({
          eventId: event.id,
          cardId: Number(c.id),
          recordId: Number(c.record_id),
          action: c.card_version > 1 ? 'reprint' : 'queue',
          from: null,
          to: 'queued',
          reason: c.card_version > 1 ? (o.reason ?? null) : null,
          detail: { printJob: jobId },
          actorId: actor.id,
        });
      }
    }
    await writeHistory(this.db, transaction, history);
    await this.enqueue(transaction, jobId, { eventId: event.id, createdBy: actor.id });
    await this.audit.record(
      'print_job_create',
      { userId: actor.id, username: actor.username, ip: actor.ip },
      { type: 'print_job', id: jobId, eventId: event.id },
      { cardType: cardType.code, cards: chosen.length, options: o.options, selection },
    );
    return jobId;
  }

  /** A fresh task and queue message for the job (creation, retry, resume), inside `transaction`. */
  private async enqueue(
    transaction: Transaction,
    jobId: number,
    owner: { eventId: number; createdBy: number | null },
  ): Promise<void> {
    const task = await this.tasks.create(
      { type: 'print', eventId: owner.eventId, createdBy: owner.createdBy },
      transaction,
    );
    const queueJobId = await this.queue.send(this.db.sequelize, transaction, { printJobId: jobId });
    await this.db.sequelize.query(
      `UPDATE print_jobs SET status = 'queued', task_id = :taskId, queue_job_id = :queueJobId, worker = NULL
        WHERE id = :jobId`,
      { transaction, replacements: { jobId, taskId: task.id, queueJobId } },
    );
  }

  // ---------------------------------------------------------------------------------------
  // Reading jobs

  private view(row: JobRow, plugin: LoadedPlugin): PrintJobView {
    return {
      id: Number(row.id),
      eventCode: row.event_code,
      cardType: cardTypeRef(plugin, row.card_type),
      status: row.status,
      options: row.options,
      cardCount: row.card_count,
      done: row.status === 'succeeded' ? row.card_count : Math.min(row.card_count, row.task_done ?? 0),
      phase: row.status === 'running' || row.status === 'queued' ? row.task_phase : null,
      taskId: row.task_id,
      pdfBytes: row.pdf_bytes === null ? null : Number(row.pdf_bytes),
      problems: row.report?.problems ?? [],
      error: row.error,
      attempts: row.attempts,
      createdBy: row.created_by_name,
      createdAt: row.created_at.toISOString(),
      startedAt: row.started_at?.toISOString() ?? null,
      finishedAt: row.finished_at?.toISOString() ?? null,
    };
  }

  private async row(eventId: number, jobId: number, transaction?: Transaction): Promise<JobRow> {
    const [row] = await this.db.sequelize.query<JobRow>(
      `${JOB_SELECT} WHERE j.id = :jobId AND j.event_id = :eventId`,
      {
        type: QueryTypes.SELECT,
        transaction,
        replacements: { jobId, eventId },
      },
    );
    if (!row) throw new TesseraError('print_job_not_found', `制作任务 ${jobId} 不存在`, 404);
    return row;
  }

  async get(eventCode: string, jobId: number, actor: Actor): Promise<PrintJobView> {
    this.requireStaff(actor, '查看制作任务');
    const { event, plugin } = await this.events.find(eventCode);
    return this.view(await this.row(event.id, jobId), plugin);
  }

  async list(
    eventCode: string,
    actor: Actor,
    query: { status?: string; offset?: number; limit?: number },
  ): Promise<{ jobs: PrintJobView[]; total: number }> {
    this.requireStaff(actor, '查看制作任务');
    const { event, plugin } = await this.events.find(eventCode);
    const rows = await this.db.sequelize.query<JobRow & { total: string }>(
      `${JOB_SELECT.replace('SELECT j.*,', 'SELECT j.*, count(*) OVER () AS total,')}
        WHERE j.event_id = :eventId AND (:status::text IS NULL OR j.status = :status)
        ORDER BY j.created_at DESC, j.id DESC OFFSET :offset LIMIT :limit`,
      {
        type: QueryTypes.SELECT,
        replacements: {
          eventId: event.id,
          status: query.status ?? null,
          offset: Math.max(0, query.offset ?? 0),
          limit: Math.min(Math.max(query.limit ?? 50, 1), 500),
        },
      },
    );
    return { jobs: rows.map((r) => this.view(r, plugin)), total: Number(rows[0]?.total ?? 0) };
  }

  /** The finished PDF, for download. */
  async pdf(
    eventCode: string,
    jobId: number,
    actor: Actor,
  ): Promise<{ stream: NodeJS.ReadableStream; bytes: number; fileName: string }> {
    this.requireStaff(actor, '下载证件 PDF');
    const { event } = await this.events.find(eventCode);
    const row = await this.row(event.id, jobId);
    if (row.status !== 'succeeded' || !row.pdf_blob) {
      throw new TesseraError('pdf_not_ready', `制作任务 ${jobId} 尚未完成，还没有 PDF`, 409);
    }
    if (!(await this.blobs.exists(row.pdf_blob))) {
      throw new TesseraError(
        'pdf_missing',
        `制作任务 ${jobId} 的 PDF 文件丢失（数据目录不完整），请联系管理员从备份恢复`,
        500,
      );
    }
    await this.audit.record(
      'print_job_download',
      { userId: actor.id, username: actor.username, ip: actor.ip },
      { type: 'print_job', id: jobId, eventId: event.id },
    );
    return {
      stream: this.blobs.stream(row.pdf_blob),
      bytes: Number(row.pdf_bytes),
      fileName: `${row.event_code}-${row.card_type}-job${jobId}.pdf`,
    };
  }

  // ---------------------------------------------------------------------------------------
  // Cancel and retry

  /**
   * Cancels a job that has not succeeded: its cards stay `queued` (their numbers kept) without a
   * job and are offered for printing again. A running render stops within a second.
   */
  async cancel(eventCode: string, jobId: number, actor: Actor): Promise<PrintJobView> {
    this.requireStaff(actor, '取消制作任务');
    const { event, plugin } = await this.events.find(eventCode);
    const queueJobId = await this.db.sequelize.transaction(async (transaction) => {
      const [row] = await this.db.sequelize.query<{ status: PrintJobStatus; queue_job_id: string | null }>(
        'SELECT status, queue_job_id FROM print_jobs WHERE id = :jobId AND event_id = :eventId FOR UPDATE',
        { type: QueryTypes.SELECT, transaction, replacements: { jobId, eventId: event.id } },
      );
      if (!row) throw new TesseraError('print_job_not_found', `制作任务 ${jobId} 不存在`, 404);
      if (!['queued', 'running', 'failed'].includes(row.status)) {
        throw new TesseraError(
          'print_job_finished',
          `制作任务 ${jobId} ${row.status === 'succeeded' ? '已完成' : '已取消'}，不能取消`,
          409,
        );
      }
      await this.db.sequelize.query(
        `UPDATE print_jobs SET status = 'cancelled', finished_at = now(), error = NULL WHERE id = :jobId`,
        { transaction, replacements: { jobId } },
      );
      const released = await this.db.sequelize.query<{ id: string; record_id: string }>(
        `UPDATE cards SET print_job_id = NULL, updated_at = now()
          WHERE print_job_id = :jobId AND status = 'queued' RETURNING id, record_id`,
        { type: QueryTypes.SELECT, transaction, replacements: { jobId } },
      );
      await writeHistory(
        this.db,
        transaction,
        released.map((c) => ({
          eventId: event.id,
          cardId: Number(c.id),
          recordId: Number(c.record_id),
          action: 'print-failed' as const,
          from: 'queued' as const,
          to: 'queued' as const,
          reason: `制作任务 #${jobId} 已取消`,
          detail: { printJob: jobId, cancelled: true },
          actorId: actor.id,
        })),
      );
      await this.audit.record(
        'print_job_cancel',
        { userId: actor.id, username: actor.username, ip: actor.ip },
        { type: 'print_job', id: jobId, eventId: event.id },
        { was: row.status, cards: released.length },
      );
      return row.queue_job_id;
    });
    this.running.get(jobId)?.abort(CANCELLED);
    if (queueJobId) await this.queue.cancel(queueJobId);
    return this.view(await this.row(event.id, jobId), plugin);
  }

  /** Puts a failed job back on the queue: the same cards, the same numbers. */
  async retry(eventCode: string, jobId: number, actor: Actor): Promise<PrintJobView> {
    this.requireStaff(actor, '重试制作任务');
    const { event, plugin } = await this.events.find(eventCode);
    await this.db.sequelize.transaction(async (transaction) => {
      const [row] = await this.db.sequelize.query<{ status: PrintJobStatus }>(
        'SELECT status FROM print_jobs WHERE id = :jobId AND event_id = :eventId FOR UPDATE',
        { type: QueryTypes.SELECT, transaction, replacements: { jobId, eventId: event.id } },
      );
      if (!row) throw new TesseraError('print_job_not_found', `制作任务 ${jobId} 不存在`, 404);
      if (row.status !== 'failed') {
        throw new TesseraError(
          'print_job_not_failed',
          `只有失败的制作任务可以重试（任务 ${jobId} 现为 ${row.status}）`,
          409,
        );
      }
      await this.db.sequelize.query(
        `UPDATE print_jobs SET error = NULL, finished_at = NULL, attempts = 0 WHERE id = :jobId`,
        { transaction, replacements: { jobId } },
      );
      await this.enqueue(transaction, jobId, { eventId: event.id, createdBy: actor.id });
      await this.audit.record(
        'print_job_retry',
        { userId: actor.id, username: actor.username, ip: actor.ip },
        { type: 'print_job', id: jobId, eventId: event.id },
      );
    });
    this.queue.nudge();
    return this.view(await this.row(event.id, jobId), plugin);
  }

  // ---------------------------------------------------------------------------------------
  // The worker

  /** Takes jobs off the queue in this process, and looks for abandoned ones now and every 10 s. */
  async startWorker(): Promise<void> {
    if (this.working) return;
    this.working = true;
    await this.queue.work((message) => this.run(message.printJobId));
    await this.sweep().catch((error: Error) => this.log(`检查中断的制作任务出错：${error.message}`));
    this.sweepTimer = setInterval(() => {
      void this.sweep().catch((error: Error) => this.log(`检查中断的制作任务出错：${error.message}`));
    }, SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  /** Stops taking jobs; a job rendering here goes back on the queue for the next worker. */
  async stopWorker(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const controller of this.running.values()) controller.abort(SHUTDOWN);
    await this.queue.stop();
    this.working = false;
  }

  /** Renders one print job, if it still needs it and no other worker holds it. */
  async run(jobId: number): Promise<void> {
    const lock = new pg.Client({ connectionString: this.db.url, application_name: 'tessera-print-lock' });
    await lock.connect();
    lock.on('error', () => undefined);
    try {
      const got = await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [
        RUN_LOCK,
        jobId,
      ]);
      // Another worker is rendering it (a message delivered twice): nothing to do here.
      if (!got.rows[0]?.ok) return;
      await this.runLocked(jobId);
    } finally {
      await lock.end().catch(() => undefined);
    }
  }

  private async runLocked(jobId: number): Promise<void> {
    const claim = await this.db.sequelize.transaction(async (transaction) => {
      const [job] = await this.db.sequelize.query<{
        status: PrintJobStatus;
        attempts: number;
        event_id: string;
        task_id: string | null;
        task_status: string | null;
        created_by: string | null;
      }>(
        `SELECT j.status, j.attempts, j.event_id, j.task_id, t.status AS task_status, j.created_by
           FROM print_jobs j LEFT JOIN tasks t ON t.id = j.task_id WHERE j.id = :jobId FOR UPDATE OF j`,
        { type: QueryTypes.SELECT, transaction, replacements: { jobId } },
      );
      if (!job || (job.status !== 'queued' && job.status !== 'running')) return null;
      if (job.attempts >= MAX_ATTEMPTS) {
        await this.failIn(
          transaction,
          jobId,
          `制作任务已尝试 ${job.attempts} 次，每次都因服务停止或崩溃而中断，已停止：请检查服务器（内存、Chromium）后点击重试`,
        );
        return null;
      }
      let taskId = job.task_id;
      if (!taskId || job.task_status !== 'queued') {
        taskId = (
          await this.tasks.create(
            {
              type: 'print',
              eventId: Number(job.event_id),
              createdBy: job.created_by === null ? null : Number(job.created_by),
            },
            transaction,
          )
        ).id;
      }
      await this.db.sequelize.query(
        `UPDATE print_jobs SET status = 'running', attempts = attempts + 1, started_at = now(), worker = :worker,
                task_id = :taskId, error = NULL
          WHERE id = :jobId`,
        { transaction, replacements: { jobId, worker: this.workerName, taskId } },
      );
      return { taskId };
    });
    if (!claim) return;

    const controller = new AbortController();
    this.running.set(jobId, controller);
    // A cancel from any process shows in the job's row: checked every second while rendering.
    const watch = setInterval(() => {
      void this.db.sequelize
        .query<{ status: string }>('SELECT status FROM print_jobs WHERE id = :jobId', {
          type: QueryTypes.SELECT,
          replacements: { jobId },
        })
        .then(([row]) => {
          if (row?.status !== 'running') controller.abort(CANCELLED);
        })
        .catch(() => undefined);
    }, 1000);
    let failure: unknown;
    try {
      await this.tasks.attach(claim.taskId, async (progress) => {
        try {
          return await this.render(jobId, progress, controller.signal);
        } catch (error) {
          failure = error;
          if (controller.signal.aborted) {
            throw controller.signal.reason === SHUTDOWN
              ? new TesseraError('interrupted', '服务停止，制作任务已放回队列，将由下一个工作进程继续')
              : new TesseraError('print_job_cancelled', '制作任务已取消');
          }
          throw error;
        }
      });
    } finally {
      clearInterval(watch);
      this.running.delete(jobId);
    }
    if (failure === undefined) return;
    if (controller.signal.aborted && controller.signal.reason === SHUTDOWN) {
      await this.requeue(jobId);
      return;
    }
    if (controller.signal.aborted) return;
    const message =
      failure instanceof TesseraError
        ? failure.message
        : `制作出错：${(failure as Error).message ?? String(failure)}`;
    await this.db.sequelize.transaction((transaction) => this.failIn(transaction, jobId, message));
    this.log(`制作任务 ${jobId} 失败：${message}`);
  }

  /** Back on the queue (this process is stopping): the next worker starts it again. */
  private async requeue(jobId: number): Promise<void> {
    await this.db.sequelize.transaction(async (transaction) => {
      const [row] = await this.db.sequelize.query<{ event_id: string; created_by: string | null }>(
        `SELECT event_id, created_by FROM print_jobs WHERE id = :jobId AND status = 'running' FOR UPDATE`,
        { type: QueryTypes.SELECT, transaction, replacements: { jobId } },
      );
      if (!row) return;
      await this.enqueue(transaction, jobId, {
        eventId: Number(row.event_id),
        createdBy: row.created_by === null ? null : Number(row.created_by),
      });
    });
  }

  /** Marks a job failed with the reason; its cards stay queued in it (retry prints them). */
  private async failIn(transaction: Transaction, jobId: number, message: string): Promise<void> {
    const [job] = await this.db.sequelize.query<{ event_id: string }>(
      `UPDATE print_jobs SET status = 'failed', error = :message, finished_at = now(), worker = NULL
        WHERE id = :jobId AND status IN ('queued', 'running') RETURNING event_id`,
      { type: QueryTypes.SELECT, transaction, replacements: { jobId, message } },
    );
    if (!job) return;
    const cards = await this.db.sequelize.query<{ id: string; record_id: string }>(
      `SELECT id, record_id FROM cards WHERE print_job_id = :jobId AND status = 'queued'`,
      { type: QueryTypes.SELECT, transaction, replacements: { jobId } },
    );
    await writeHistory(
      this.db,
      transaction,
      cards.map((c) => ({
        eventId: Number(job.event_id),
        cardId: Number(c.id),
        recordId: Number(c.record_id),
        action: 'print-failed' as const,
        from: 'queued' as const,
        to: 'queued' as const,
        reason: message.slice(0, 500),
        detail: { printJob: jobId },
        actorId: null,
      })),
    );
    await this.audit.record(
      'print_job_failed',
      {},
      { type: 'print_job', id: jobId, eventId: Number(job.event_id) },
      {
        error: message,
      },
    );
  }

  /** The render itself, then the PDF stored, then — only then — the cards printed. */
  private async render(jobId: number, progress: TaskProgress, signal: AbortSignal) {
    progress.progress(0, null, '准备数据');
    const [job] = await this.db.sequelize.query<{
      event_code: string;
      card_type: string;
      options: PrintOptions;
    }>(
      `SELECT e.code AS event_code, j.card_type, j.options FROM print_jobs j JOIN events e ON e.id = j.event_id
        WHERE j.id = :jobId`,
      { type: QueryTypes.SELECT, replacements: { jobId } },
    );
    const { event, plugin } = await this.events.find(job!.event_code);
    const cards = await this.db.sequelize.query<{
      id: string;
      record_id: string;
      card_number: string;
      card_version: number;
      unit_code: string;
      unit_name: string;
    }>(
      `SELECT c.id, c.record_id, c.card_number, c.card_version, u.code AS unit_code, u.name AS unit_name
         FROM cards c JOIN units u ON u.id = c.unit_id
        WHERE c.print_job_id = :jobId AND c.status = 'queued' ORDER BY u.code, c.seq, c.card_version`,
      { type: QueryTypes.SELECT, replacements: { jobId } },
    );
    if (cards.length === 0)
      throw new TesseraError('nothing-to-print', '制作任务中没有待制作的证件（已被取消或注销）', 422);
    progress.progress(0, cards.length, '准备数据');
    const records = await this.db.models.EventRecord.findAll({
      where: { id: cards.map((c) => Number(c.record_id)) },
    });
    const byId = new Map(records.map((r) => [r.id, r]));
    const data = await Promise.all(
      cards.map(async (c) => {
        const record = byId.get(Number(c.record_id)) as EventRecord;
        const view = await this.records.view(record, plugin, true);
        const token = this.signer.sign({
          eventCode: event.code,
          cardId: Number(c.id),
          cardVersion: c.card_version,
          cardNumber: c.card_number,
        });
        return {
          ...view.values,
          unitCode: c.unit_code,
          unitName: c.unit_name,
          cardNumber: c.card_number,
          cardVersion: c.card_version,
          verifyToken: token,
          verifyUrl: verifyUrlOf(token, this.publicUrl),
        };
      }),
    );
    const photoIds = [...new Set(records.map((r) => r.photo).filter((p): p is string => !!p))];
    const photos = new Map(
      (
        await this.db.sequelize.query<{ id: string; sha256: string }>(
          'SELECT id, sha256 FROM photos WHERE id = ANY(:ids::uuid[]) AND event_id = :eventId',
          { type: QueryTypes.SELECT, replacements: { ids: `{${photoIds.join(',')}}`, eventId: event.id } },
        )
      ).map((p) => [p.id, p.sha256]),
    );
    progress.progress(0, cards.length, '排版制作');
    const result = await renderForEvent({
      plugin,
      cardType: job!.card_type,
      records: data,
      browser: await this.renderer.get(),
      output: renderOutput(job!.options),
      backs: job!.options.backs,
      loadPhoto: async (value) => {
        const sha = photos.get(value);
        if (!sha || !(await this.blobs.exists(sha))) return null;
        return this.blobs.get(sha);
      },
      signal,
      onProgress: (done, total) => progress.progress(done, total, '排版制作'),
    });
    signal.throwIfAborted();
    progress.progress(cards.length, cards.length, '保存 PDF');
    const sha = await this.blobs.put(result.pdf);
    const problems = new Map<number, PrintJobView['problems'][number]>();
    for (const p of result.report.problems) {
      const card = cards[p.index];
      if (!card) continue;
      const entry = problems.get(p.index) ?? {
        recordId: Number(card.record_id),
        cardNumber: card.card_number,
        name: byId.get(Number(card.record_id))?.name ?? byId.get(Number(card.record_id))?.plateNumber ?? null,
        messages: [],
      };
      entry.messages.push(`${p.face === 'back' ? '背面' : '正面'}：${p.message}`);
      problems.set(p.index, entry);
    }
    const report: StoredReport = {
      pages: result.report.pages,
      pageSizeMm: result.report.pageSizeMm,
      notes: result.report.notes,
      timings: result.report.timings,
      problems: [...problems.values()],
    };
    const printed = await this.db.sequelize.transaction(async (transaction) => {
      const [done] = await this.db.sequelize.query<{ id: string }>(
        `UPDATE print_jobs SET status = 'succeeded', finished_at = now(), pdf_blob = :sha, pdf_bytes = :bytes,
                report = :report::jsonb, worker = NULL
          WHERE id = :jobId AND status = 'running' AND worker = :worker RETURNING id`,
        {
          type: QueryTypes.SELECT,
          transaction,
          replacements: {
            jobId,
            sha,
            bytes: result.pdf.byteLength,
            report: JSON.stringify(report),
            worker: this.workerName,
          },
        },
      );
      // Cancelled (or taken over) while rendering: the PDF is not this job's any more.
      if (!done) return null;
      const cardRows = await this.db.sequelize.query<{ id: string; record_id: string }>(
        `UPDATE cards SET status = 'printed', printed_at = now(), updated_at = now()
          WHERE print_job_id = :jobId AND status = 'queued' RETURNING id, record_id`,
        { type: QueryTypes.SELECT, transaction, replacements: { jobId } },
      );
      await this.db.sequelize.query(`UPDATE records SET printed_at = now() WHERE id = ANY(:ids::bigint[])`, {
        transaction,
        replacements: { ids: idArray(cardRows.map((c) => Number(c.record_id))) },
      });
      await writeHistory(
        this.db,
        transaction,
        cardRows.map((c) => ({
          eventId: event.id,
          cardId: Number(c.id),
          recordId: Number(c.record_id),
          action: 'print' as const,
          from: 'queued' as const,
          to: 'printed' as const,
          detail: { printJob: jobId },
          actorId: null,
        })),
      );
      await this.audit.record(
        'print_job_succeeded',
        {},
        { type: 'print_job', id: jobId, eventId: event.id },
        {
          cards: cardRows.length,
          pages: result.report.pages,
          bytes: result.pdf.byteLength,
          problems: report.problems.length,
        },
      );
      return cardRows.length;
    });
    if (printed === null) throw new TesseraError('print_job_cancelled', '制作任务已取消');
    return { cards: printed, pages: result.report.pages, bytes: result.pdf.byteLength };
  }

  // ---------------------------------------------------------------------------------------
  // The sweep

  /**
   * Jobs whose worker went away (running, nobody holds the job's lock) go back on the queue, or
   * fail after MAX_ATTEMPTS; queued jobs whose queue message is gone are sent again.
   */
  async sweep(): Promise<{ resumed: number[]; resent: number[] }> {
    const out = { resumed: [] as number[], resent: [] as number[] };
    await this.db.sequelize.transaction(async (transaction) => {
      const [lock] = await this.db.sequelize.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_xact_lock(:key) AS ok',
        {
          type: QueryTypes.SELECT,
          transaction,
          replacements: { key: SWEEP_LOCK },
        },
      );
      if (!lock?.ok) return;
      const jobs = await this.db.sequelize.query<{
        id: string;
        status: PrintJobStatus;
        event_id: string;
        created_by: string | null;
        queue_job_id: string | null;
        held: boolean;
        attempts: number;
      }>(
        `SELECT j.id, j.status, j.event_id, j.created_by, j.queue_job_id, j.attempts,
                EXISTS (SELECT 1 FROM pg_locks l
                         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                           AND l.classid = :ns::oid AND l.objid = j.id::oid) AS held
           FROM print_jobs j
          WHERE j.status IN ('queued', 'running') AND j.created_at < now() - interval '2 seconds'
          ORDER BY j.id FOR UPDATE OF j SKIP LOCKED`,
        { type: QueryTypes.SELECT, transaction, replacements: { ns: RUN_LOCK } },
      );
      for (const job of jobs) {
        const id = Number(job.id);
        const owner = {
          eventId: Number(job.event_id),
          createdBy: job.created_by === null ? null : Number(job.created_by),
        };
        if (job.status === 'running') {
          if (job.held) continue;
          if (job.attempts >= MAX_ATTEMPTS) {
            await this.failIn(
              transaction,
              id,
              `制作任务已尝试 ${job.attempts} 次，每次都因服务停止或崩溃而中断，已停止：请检查服务器（内存、Chromium）后点击重试`,
            );
            continue;
          }
          await this.enqueue(transaction, id, owner);
          out.resumed.push(id);
          continue;
        }
        if (job.held) continue;
        const state = job.queue_job_id ? await this.queue.state(job.queue_job_id) : null;
        if (state === 'created' || state === 'retry' || state === 'active') continue;
        await this.enqueue(transaction, id, owner);
        out.resent.push(id);
      }
    });
    if (out.resumed.length || out.resent.length) {
      this.log(
        `制作任务已放回队列：${[...out.resumed, ...out.resent].map((id) => `#${id}`).join('、')}（上次运行中断或队列记录丢失）`,
      );
      this.queue.nudge();
    }
    return out;
  }

  /** The ids of the jobs rendering in this process (status pages, tests). */
  get active(): number[] {
    return [...this.running.keys()];
  }
}
