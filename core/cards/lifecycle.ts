/**
 * A card's life (证件管理): queued → printed → issued (发放: to whom, when, by whom) → returned;
 * lost (挂失), damaged, revoked (注销); a reprint (补制) with a reason makes the next version of the
 * same number and retires the old one (`replaced`, or it stays lost/damaged). Every change is one
 * transaction with its card_history row and audit entry; a card changed by someone else meanwhile
 * is a conflict, not an overwrite (the change is conditional on the state the request started from).
 */
import { QueryTypes, type Transaction } from 'sequelize';
import type { AuditLog } from '../audit.ts';
import type { SensitiveData } from '../crypto/sensitive.ts';
import type { Database } from '../db/connection.ts';
import { TesseraError } from '../errors.ts';
import type { Events } from '../events/events.ts';
import type { LoadedPlugin } from '../plugins/index.ts';
import type { Records } from '../records/records.ts';
import { zoneCodesOf } from '../render/context.ts';
import { keptPlusDeltas } from '../reports/kept-counts.ts';
import { checkIdNumber, checkPlate } from '../validation/index.ts';
import { checkPrintOptions, type PrintJobs } from './print-jobs.ts';
import {
  CARD_SELECT,
  cardTypeRef,
  cardView,
  isCardStaff,
  readHistory,
  writeHistory,
  type Actor,
  type CardRow,
  type HistoryEntry,
} from './store.ts';
import type { CardSigner } from './verify.ts';
import {
  CARD_ACTION_FROM,
  CARD_STATUS_LABELS,
  VERIFY_OUTCOME_LABELS,
  type CardAction,
  type CardDetail,
  type CardHistoryView,
  type CardList,
  type CardStatus,
  type CardView,
  type PrintJobView,
  type PrintOptions,
  type VerifyOutcome,
  type VerifyResult,
} from './views.ts';

/** A status change and the states it may start from. */
interface Transition {
  action: CardAction;
  to: CardStatus;
  from: readonly CardStatus[];
  verb: string;
  reasonRequired: boolean;
}

export const TRANSITIONS = {
  issue: {
    action: 'issue',
    to: 'issued',
    from: CARD_ACTION_FROM.issue,
    verb: '发放',
    reasonRequired: false,
  },
  return: {
    action: 'return',
    to: 'returned',
    from: CARD_ACTION_FROM.return,
    verb: '收回',
    reasonRequired: false,
  },
  lost: { action: 'lost', to: 'lost', from: CARD_ACTION_FROM.lost, verb: '挂失', reasonRequired: true },
  damaged: {
    action: 'damaged',
    to: 'damaged',
    from: CARD_ACTION_FROM.damaged,
    verb: '登记损坏',
    reasonRequired: true,
  },
  revoke: {
    action: 'revoke',
    to: 'revoked',
    from: CARD_ACTION_FROM.revoke,
    verb: '注销',
    reasonRequired: true,
  },
} as const satisfies Record<string, Transition>;

export type StatusChange = keyof typeof TRANSITIONS;

/** States a reprint starts from; the live ones are replaced by the new version. */
const REPRINT_FROM: readonly CardStatus[] = CARD_ACTION_FROM.reprint;

const SORTS: Record<string, string> = {
  number: 'c.card_number ASC, c.card_version DESC',
  '-number': 'c.card_number DESC, c.card_version DESC',
  updated: 'c.updated_at ASC, c.id ASC',
  '-updated': 'c.updated_at DESC, c.id DESC',
  name: 'r.name ASC NULLS LAST, c.id ASC',
  unit: 'u.code ASC, c.card_number ASC',
  status: 'c.status ASC, c.card_number ASC',
};

const MESSAGES: Record<VerifyOutcome, string> = {
  valid: '证件有效，可以通行',
  'not-issued': '证件已制作但尚未发放，不能通行',
  returned: '证件已收回，不能通行',
  lost: '证件已挂失，请扣留证件并联系制证中心',
  damaged: '证件已登记损坏并作废，不能通行',
  revoked: '证件已注销，请扣留证件',
  replaced: '旧版证件：已补制新证，旧证作废，请扣留',
  'wrong-event': '不是本活动的证件',
  invalid: '无效二维码：不是本系统签发的证件，或内容已被改动',
};

const OUTCOME_OF: Record<CardStatus, VerifyOutcome> = {
  queued: 'not-issued',
  printed: 'not-issued',
  issued: 'valid',
  returned: 'returned',
  lost: 'lost',
  damaged: 'damaged',
  revoked: 'revoked',
  replaced: 'replaced',
};

export class CardLifecycle {
  constructor(
    private readonly db: Database,
    private readonly events: Events,
    private readonly records: Records,
    private readonly sensitive: SensitiveData,
    private readonly audit: AuditLog,
    private readonly printJobs: PrintJobs,
    private readonly signer: CardSigner,
  ) {}

  private requireStaff(actor: Actor, doing: string): void {
    if (!isCardStaff(actor)) throw new TesseraError('forbidden', `当前角色不能${doing}`, 403);
  }

  /** A unit user sees its own unit's cards only; others' are "not found". */
  private unitScope(actor: Actor): number | null {
    if (actor.role === 'unit') return actor.unit?.id ?? -1;
    if (!isCardStaff(actor)) throw new TesseraError('forbidden', '当前角色不能查看证件', 403);
    return null;
  }

  /**
   * In a transaction the record is locked before its card: the card_held trigger (0016) locks the
   * record after any card change, and a print job locks its records before it takes their cards, so
   * record-then-card everywhere keeps two such transactions from waiting on each other in a circle.
   */
  private async cardRow(
    eventId: number,
    cardId: number,
    actor: Actor,
    transaction?: Transaction,
  ): Promise<CardRow> {
    const unitId = this.unitScope(actor);
    const [row] = await this.db.sequelize.query<CardRow>(
      `${CARD_SELECT} WHERE c.id = :cardId AND c.event_id = :eventId
         AND (:unitId::bigint IS NULL OR c.unit_id = :unitId)${transaction ? ' FOR NO KEY UPDATE OF r FOR UPDATE OF c' : ''}`,
      { type: QueryTypes.SELECT, transaction, replacements: { cardId, eventId, unitId } },
    );
    if (!row) throw new TesseraError('card_not_found', `证件 ${cardId} 不存在`, 404);
    return row;
  }

  // ---------------------------------------------------------------------------------------
  // Reading

  async list(
    eventCode: string,
    actor: Actor,
    query: {
      status?: string;
      cardType?: string;
      unit?: string;
      q?: string;
      sort?: string;
      offset?: number;
      limit?: number;
    },
  ): Promise<CardList> {
    const unitId = this.unitScope(actor);
    const { event, plugin } = await this.events.find(eventCode);
    const q = query.q?.trim() ?? '';
    const id = q ? checkIdNumber(q) : null;
    const plate = q ? checkPlate(q) : null;
    const like = `${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    const replacements = {
      eventId: event.id,
      unitId,
      unit: query.unit ?? null,
      cardType: query.cardType ?? null,
      status: query.status ?? null,
      q: q || null,
      numberPrefix: like.toUpperCase(),
      namePrefix: like,
      hash: id?.valid ? this.sensitive.lookupHash(id.normalized) : null,
      plate: plate?.valid ? plate.normalized : null,
      offset: Math.max(0, query.offset ?? 0),
      limit: Math.min(Math.max(query.limit ?? 50, 1), 500),
    };
    // Only the conditions asked for go into the SQL (no `:x IS NULL OR …`): the planner then picks
    // the index for each, which a million cards need (the generic form scanned them all).
    const conditions = ['c.event_id = :eventId'];
    if (unitId !== null) conditions.push('c.unit_id = :unitId');
    if (query.unit) conditions.push('c.unit_id = (SELECT id FROM units WHERE code = :unit)');
    if (query.cardType) conditions.push('c.card_type = :cardType');
    if (q) {
      // One index per kind of key, unioned: an OR across the join would read every card.
      const keys = [
        `SELECT id FROM cards WHERE event_id = :eventId AND card_number LIKE :numberPrefix`,
        `SELECT k.id FROM records r JOIN cards k ON k.record_id = r.id
          WHERE r.event_id = :eventId AND r.name LIKE :namePrefix`,
      ];
      if (replacements.hash)
        keys.push(`SELECT k.id FROM records r JOIN cards k ON k.record_id = r.id
          WHERE r.id_number_hash = :hash AND r.event_id = :eventId`);
      if (replacements.plate)
        keys.push(`SELECT k.id FROM records r JOIN cards k ON k.record_id = r.id
          WHERE r.event_id = :eventId AND r.plate_number = :plate`);
      conditions.push(`c.id IN (${keys.join(' UNION ')})`);
    }
    const where = conditions.join(' AND ');
    const order = SORTS[query.sort ?? '-updated'] ?? SORTS['-updated']!;
    const rows = await this.db.sequelize.query<CardRow>(
      `${CARD_SELECT}
        WHERE ${where}${query.status ? ' AND c.status = :status' : ''}
        ORDER BY ${order} OFFSET :offset LIMIT :limit`,
      { type: QueryTypes.SELECT, replacements },
    );
    // The tabs' counts: without a search they are the report's counts (kept by triggers, exact:
    // migrations 0008, 0015), which a million cards need — counting them per request took seconds.
    // One unit's come from the counts per unit; the whole event's from the totals per card type
    // (a few dozen rows, not the ~50,000 count rows of 2,000 units: 22 ms a request under load).
    const byUnit = unitId !== null || Boolean(query.unit);
    const counts = q
      ? await this.db.sequelize.query<{ status: CardStatus; n: string }>(
          `SELECT c.status, count(*) AS n FROM cards c WHERE ${where} GROUP BY c.status`,
          { type: QueryTypes.SELECT, replacements },
        )
      : await this.db.sequelize.query<{ status: CardStatus; n: string }>(
          `SELECT status, sum(amount) AS n FROM (${keptPlusDeltas(
            byUnit ? 'report_card_counts' : 'report_card_type_totals',
            'report_card_deltas',
            byUnit ? 'status, unit_id, card_type' : 'status, card_type',
            'event_id = :eventId',
          )}) c
            WHERE ${conditions.slice(1).join(' AND ') || 'TRUE'}
            GROUP BY status HAVING sum(amount) <> 0`,
          { type: QueryTypes.SELECT, replacements },
        );
    const byStatus: CardList['byStatus'] = {};
    for (const c of counts) byStatus[c.status] = Number(c.n);
    const total = query.status
      ? (byStatus[query.status as CardStatus] ?? 0)
      : Object.values(byStatus).reduce((a, b) => a + (b ?? 0), 0);
    return { cards: rows.map((r) => cardView(r, plugin)), total, byStatus };
  }

  async detail(eventCode: string, cardId: number, actor: Actor): Promise<CardDetail> {
    const { event, plugin } = await this.events.find(eventCode);
    const row = await this.cardRow(event.id, cardId, actor);
    const versions = await this.db.sequelize.query<CardRow>(
      `${CARD_SELECT} WHERE c.event_id = :eventId AND c.card_number = :number ORDER BY c.card_version DESC`,
      { type: QueryTypes.SELECT, replacements: { eventId: event.id, number: row.card_number } },
    );
    return {
      card: cardView(row, plugin),
      versions: versions.map((v) => cardView(v, plugin)),
      history: await readHistory(this.db, { cardIds: versions.map((v) => Number(v.id)) }),
      photoUrl: row.record_photo ? `/api/photos/${row.record_photo}` : null,
    };
  }

  /** Every card of a record (all versions) and their history: GET /records/:id/cards. */
  async ofRecord(
    eventCode: string,
    recordId: number,
    actor: Actor,
  ): Promise<{ cards: CardView[]; history: CardHistoryView[] }> {
    const unitId = this.unitScope(actor);
    // Reading the record applies its access rule (a unit sees only its own).
    await this.records.get(eventCode, actor, recordId);
    const { event, plugin } = await this.events.find(eventCode);
    const rows = await this.db.sequelize.query<CardRow>(
      `${CARD_SELECT} WHERE c.event_id = :eventId AND c.record_id = :recordId
         AND (:unitId::bigint IS NULL OR c.unit_id = :unitId) ORDER BY c.card_version DESC`,
      { type: QueryTypes.SELECT, replacements: { eventId: event.id, recordId, unitId } },
    );
    return { cards: rows.map((r) => cardView(r, plugin)), history: await readHistory(this.db, { recordId }) };
  }

  // ---------------------------------------------------------------------------------------
  // Changes

  /**
   * Issue, return, lost, damaged, revoke. Refused (409) from a state the change does not start
   * from, with the card's current state named; a reason is required where the change needs one.
   */
  async change(
    eventCode: string,
    cardId: number,
    change: StatusChange,
    input: { issuedTo?: string; reason?: string },
    actor: Actor,
  ): Promise<CardDetail> {
    const t: Transition = TRANSITIONS[change];
    this.requireStaff(actor, `${t.verb}证件`);
    const reason = input.reason?.trim().slice(0, 500) || null;
    const issuedTo = input.issuedTo?.trim().slice(0, 200) || null;
    if (t.reasonRequired && !reason) {
      throw new TesseraError('reason_required', `${t.verb}须填写原因`, 422, {
        fields: { reason: [{ code: 'required', message: `请填写${t.verb}原因` }] },
      });
    }
    if (change === 'issue' && !issuedTo) {
      throw new TesseraError('issued_to_required', '发放须填写领取人（姓名或单位经办人）', 422, {
        fields: { issuedTo: [{ code: 'required', message: '请填写领取人' }] },
      });
    }
    const { event } = await this.events.find(eventCode);
    await this.db.sequelize.transaction(async (transaction) => {
      const row = await this.cardRow(event.id, cardId, actor, transaction);
      if (!(t.from as readonly string[]).includes(row.status)) {
        throw new TesseraError(
          'card_state_conflict',
          `证件 ${row.card_number}（第 ${row.card_version} 版）现为“${CARD_STATUS_LABELS[row.status]}”，不能${t.verb}` +
            `（只能从 ${t.from.map((s) => `“${CARD_STATUS_LABELS[s]}”`).join('、')} ${t.verb}）`,
          409,
          { status: row.status },
        );
      }
      if (row.status === 'queued' && row.print_job_id !== null) {
        const [job] = await this.db.sequelize.query<{ status: string }>(
          'SELECT status FROM print_jobs WHERE id = :id',
          { type: QueryTypes.SELECT, transaction, replacements: { id: row.print_job_id } },
        );
        if (job && (job.status === 'queued' || job.status === 'running')) {
          throw new TesseraError(
            'card_in_production',
            `证件 ${row.card_number} 正在制作任务 #${row.print_job_id} 中，请先取消该任务再${t.verb}`,
            409,
          );
        }
      }
      await this.db.sequelize.query(
        `UPDATE cards SET status = :to, updated_at = now(),
                status_reason = CASE WHEN :to = 'issued' THEN NULL ELSE :reason END,
                issued_at = CASE WHEN :to = 'issued' THEN now() ELSE issued_at END,
                issued_to = CASE WHEN :to = 'issued' THEN :issuedTo ELSE issued_to END,
                issued_by = CASE WHEN :to = 'issued' THEN :userId ELSE issued_by END
          WHERE id = :cardId`,
        { transaction, replacements: { to: t.to, reason, issuedTo, userId: actor.id, cardId } },
      );
      await writeHistory(this.db, transaction, [
        {
          eventId: event.id,
          cardId,
          recordId: Number(row.record_id),
          action: t.action,
          from: row.status,
          to: t.to,
          reason,
          detail: issuedTo ? { issuedTo } : {},
          actorId: actor.id,
        },
      ]);
      await this.audit.record(
        `card_${t.action}`,
        { userId: actor.id, username: actor.username, ip: actor.ip },
        { type: 'card', id: cardId, eventId: event.id },
        { cardNumber: row.card_number, version: row.card_version, from: row.status, reason, issuedTo },
      );
    });
    return this.detail(eventCode, cardId, actor);
  }

  /**
   * 补制: the next version of the card's number, queued; the old version becomes `replaced` (a
   * lost or damaged one keeps its state, so its QR still says why). With print options the new
   * version goes straight into a print job.
   */
  async reprint(
    eventCode: string,
    cardId: number,
    input: { reason?: string; print?: PrintOptions | null },
    actor: Actor,
  ): Promise<{ card: CardView; job: PrintJobView | null }> {
    this.requireStaff(actor, '补制证件');
    const reason = input.reason?.trim().slice(0, 500) || null;
    if (!reason) {
      throw new TesseraError('reason_required', '补制须填写原因', 422, {
        fields: { reason: [{ code: 'required', message: '请填写补制原因' }] },
      });
    }
    const options = input.print ? checkPrintOptions(input.print) : null;
    const { event, plugin } = await this.events.find(eventCode);
    const result = await this.printJobs.inTransaction(async (transaction) => {
      const row = await this.cardRow(event.id, cardId, actor, transaction);
      if (!REPRINT_FROM.includes(row.status)) {
        throw new TesseraError(
          'card_state_conflict',
          `证件 ${row.card_number}（第 ${row.card_version} 版）现为“${CARD_STATUS_LABELS[row.status]}”，不能补制`,
          409,
          { status: row.status },
        );
      }
      const [latest] = await this.db.sequelize.query<{ card_version: number }>(
        'SELECT max(card_version) AS card_version FROM cards WHERE event_id = :eventId AND card_number = :number',
        {
          type: QueryTypes.SELECT,
          transaction,
          replacements: { eventId: event.id, number: row.card_number },
        },
      );
      if (latest && latest.card_version !== row.card_version) {
        throw new TesseraError(
          'card_not_latest',
          `证件 ${row.card_number} 已有第 ${latest.card_version} 版，请在最新版本上补制`,
          409,
        );
      }
      if (row.record_status !== 'approved') {
        throw new TesseraError(
          'record_not_approved',
          `记录已修改，正在重新审核（当前状态：${row.record_status}），审核通过后才能补制`,
          409,
        );
      }
      const retiring = row.status === 'lost' || row.status === 'damaged' ? row.status : 'replaced';
      // Two statements, old first: the partial unique index allows one live card per record.
      await this.db.sequelize.query(
        `UPDATE cards SET status = :retiring, updated_at = now(),
                status_reason = CASE WHEN :retiring = 'replaced' THEN :reason ELSE status_reason END
          WHERE id = :cardId`,
        { transaction, replacements: { retiring, reason, cardId } },
      );
      const [created] = await this.db.sequelize.query<{ id: string }>(
        `INSERT INTO cards (event_id, record_id, unit_id, card_type, card_number, seq, card_version, status,
                            record_version, created_by)
         SELECT c.event_id, c.record_id, r.unit_id, c.card_type, c.card_number, c.seq, c.card_version + 1,
                'queued', r.version, :userId
           FROM cards c JOIN records r ON r.id = c.record_id WHERE c.id = :cardId
         RETURNING id`,
        { type: QueryTypes.SELECT, transaction, replacements: { cardId, userId: actor.id } },
      );
      const newId = Number(created!.id);
      await this.db.sequelize.query('UPDATE cards SET replaced_by = :newId WHERE id = :cardId', {
        transaction,
        replacements: { newId, cardId },
      });
      const recordId = Number(row.record_id);
      const detail = { replaces: cardId, version: row.card_version + 1 };
      const history: HistoryEntry[] = [];
      if (retiring === 'replaced') {
        history.push({
          eventId: event.id,
          cardId,
          recordId,
          action: 'replace',
          from: row.status,
          to: 'replaced',
          reason,
          detail,
          actorId: actor.id,
        });
      }
      history.push({
        eventId: event.id,
        cardId: newId,
        recordId,
        action: 'reprint',
        from: null,
        to: 'queued',
        reason,
        detail,
        actorId: actor.id,
      });
      await writeHistory(this.db, transaction, history);
      await this.audit.record(
        'card_reprint',
        { userId: actor.id, username: actor.username, ip: actor.ip },
        { type: 'card', id: newId, eventId: event.id },
        {
          cardNumber: row.card_number,
          version: row.card_version + 1,
          replaces: cardId,
          was: row.status,
          reason,
        },
      );
      const jobId = options
        ? await this.printJobs.createIn(
            transaction,
            {
              event,
              plugin,
              cardType: row.card_type,
              options,
              selection: { recordIds: [recordId] },
              reason,
            },
            actor,
          )
        : null;
      return { newId, jobId };
    });
    const detail = await this.detail(eventCode, result.newId, actor);
    return {
      card: detail.card,
      job: result.jobId === null ? null : await this.printJobs.get(eventCode, result.jobId, actor),
    };
  }

  // ---------------------------------------------------------------------------------------
  // Verification

  /** The token printed in the card's QR code. */
  async tokenOf(cardId: number): Promise<string> {
    const [row] = await this.db.sequelize.query<{ code: string; card_number: string; card_version: number }>(
      'SELECT e.code, c.card_number, c.card_version FROM cards c JOIN events e ON e.id = c.event_id WHERE c.id = :cardId',
      { type: QueryTypes.SELECT, replacements: { cardId } },
    );
    if (!row) throw new TesseraError('card_not_found', `证件 ${cardId} 不存在`, 404);
    return this.signer.sign({
      eventCode: row.code,
      cardId,
      cardVersion: row.card_version,
      cardNumber: row.card_number,
    });
  }

  /** What a scan at the gate says: the signature, then the card's state now. */
  async verify(token: string, eventCode: string | undefined, actor: Actor): Promise<VerifyResult> {
    const invalid: VerifyResult = { outcome: 'invalid', ok: false, message: MESSAGES.invalid };
    const payload = this.signer.open(token);
    const record = async (outcome: VerifyOutcome, detail: object = {}) =>
      this.audit.record(
        'card_verify',
        { userId: actor.id, username: actor.username, ip: actor.ip },
        { type: 'card', id: payload?.cardId },
        { outcome, event: eventCode ?? null, ...detail },
      );
    if (!payload) {
      await record('invalid');
      return invalid;
    }
    const [row] = await this.db.sequelize.query<CardRow>(`${CARD_SELECT} WHERE c.id = :cardId`, {
      type: QueryTypes.SELECT,
      replacements: { cardId: payload.cardId },
    });
    if (
      !row ||
      row.event_code !== payload.eventCode ||
      row.card_number !== payload.cardNumber ||
      row.card_version !== payload.cardVersion
    ) {
      await record('invalid', { signed: true });
      return invalid;
    }
    const { plugin } = await this.events.find(row.event_code);
    const [current] = await this.db.sequelize.query<{ v: number }>(
      'SELECT max(card_version) AS v FROM cards WHERE event_id = :eventId AND card_number = :number',
      { type: QueryTypes.SELECT, replacements: { eventId: Number(row.event_id), number: row.card_number } },
    );
    const currentVersion = Number(current?.v ?? row.card_version);
    const wrongEvent = !!eventCode && eventCode.toUpperCase() !== row.event_code.toUpperCase();
    const outcome: VerifyOutcome = wrongEvent ? 'wrong-event' : OUTCOME_OF[row.status];
    let message = MESSAGES[outcome];
    if (wrongEvent)
      message = `不是本活动的证件：此证属于“${plugin.manifest.event.name}”（${row.event_code}）`;
    else if (currentVersion > row.card_version)
      message += `（已补制第 ${currentVersion} 版，此为第 ${row.card_version} 版）`;
    await record(outcome, { cardNumber: row.card_number, version: row.card_version });
    return {
      outcome,
      ok: outcome === 'valid',
      message: message || VERIFY_OUTCOME_LABELS[outcome],
      card: {
        cardNumber: row.card_number,
        cardVersion: row.card_version,
        cardType: cardTypeRef(plugin, row.card_type),
        status: row.status,
        name: row.holder_name,
        plateNumber: row.plate_number,
        unit: { code: row.unit_code, name: row.unit_name },
        zones: zonesOf(plugin, row),
        event: { code: row.event_code, name: plugin.manifest.event.name },
        currentVersion,
      },
      photoUrl: row.record_photo ? `/api/photos/${row.record_photo}` : null,
    };
  }
}

function zonesOf(plugin: LoadedPlugin, row: CardRow): { code: string; name: string }[] {
  const cardType = plugin.cardTypes.find((t) => t.code === row.card_type);
  const codes =
    row.record_zones && row.record_zones.length
      ? zoneCodesOf(row.record_zones)
      : [...(cardType?.zones ?? [])];
  return codes.map((code) => ({
    code,
    name: plugin.manifest.event.zones.find((z) => z.code === code)?.name ?? code,
  }));
}
