/**
 * What print jobs and the card lifecycle share: the card and history rows as the API shows them,
 * the history writer, and who may see what.
 */
import { QueryTypes, type Transaction } from 'sequelize';
import type { SessionUser } from '../auth/accounts.ts';
import type { Database } from '../db/connection.ts';
import type { LoadedPlugin } from '../plugins/index.ts';
import {
  LIVE_CARD_STATUSES,
  type CardAction,
  type CardHistoryView,
  type CardStatus,
  type CardView,
} from './views.ts';

export type Actor = SessionUser & { ip?: string };

/** Roles that print, issue and change cards. */
export const CARD_STAFF_ROLES = ['admin', 'operator'] as const;

export const isCardStaff = (actor: { role: string }): boolean =>
  (CARD_STAFF_ROLES as readonly string[]).includes(actor.role);

/** `{1,2,3}`: a PostgreSQL array literal of ids, for `= ANY(:ids::bigint[])`. */
export const idArray = (ids: readonly number[]): string => `{${ids.map((id) => Number(id)).join(',')}}`;

export const LIVE_SQL = `(${LIVE_CARD_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/**
 * SQL: the card `c` holds its record (records.card_held, migration 0016) — a live card, except a
 * queued one no print job holds (its job was cancelled, or a reprint waits to be put in a job):
 * that record is still to be printed.
 */
export const holdsRecordSql = (c: string): string =>
  `${c}.status IN ${LIVE_SQL} AND NOT (${c}.status = 'queued' AND ${c}.print_job_id IS NULL)`;

/** The card columns and what the views need of the record, unit and event. */
export const CARD_SELECT = `
  SELECT c.*, e.code AS event_code, u.code AS unit_code, u.name AS unit_name,
         r.name AS holder_name, r.plate_number, r.id_number_masked, r.version AS record_version_now,
         r.photo AS record_photo, r.zones AS record_zones, r.kind AS record_kind, r.status AS record_status
    FROM cards c JOIN events e ON e.id = c.event_id JOIN units u ON u.id = c.unit_id
    JOIN records r ON r.id = c.record_id`;

export interface CardRow {
  id: string;
  event_id: string;
  record_id: string;
  unit_id: string;
  card_type: string;
  card_number: string;
  seq: number;
  card_version: number;
  status: CardStatus;
  print_job_id: string | null;
  record_version: number;
  printed_at: Date | null;
  issued_at: Date | null;
  issued_to: string | null;
  status_reason: string | null;
  replaced_by: string | null;
  created_at: Date;
  updated_at: Date;
  event_code: string;
  unit_code: string;
  unit_name: string;
  holder_name: string | null;
  plate_number: string | null;
  id_number_masked: string | null;
  record_version_now: number;
  record_photo: string | null;
  record_zones: string[] | null;
  record_kind: string;
  record_status: string;
}

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

export function cardTypeRef(plugin: LoadedPlugin, code: string): { code: string; name: string } {
  return { code, name: plugin.cardTypes.find((t) => t.code === code)?.name ?? code };
}

export function cardView(row: CardRow, plugin: LoadedPlugin): CardView {
  const live = (LIVE_CARD_STATUSES as readonly string[]).includes(row.status);
  return {
    id: Number(row.id),
    eventCode: row.event_code,
    recordId: Number(row.record_id),
    cardNumber: row.card_number,
    cardVersion: row.card_version,
    cardType: cardTypeRef(plugin, row.card_type),
    status: row.status,
    unit: { code: row.unit_code, name: row.unit_name },
    name: row.holder_name,
    plateNumber: row.plate_number,
    idNumberMasked: row.id_number_masked,
    printJobId: num(row.print_job_id),
    printedAt: row.printed_at?.toISOString() ?? null,
    issuedAt: row.issued_at?.toISOString() ?? null,
    issuedTo: row.issued_to,
    statusReason: row.status_reason,
    replacedBy: num(row.replaced_by),
    // The record's version moves only when it is edited (or decided again after an edit).
    recordChanged: live && row.record_version_now !== row.record_version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export interface HistoryEntry {
  eventId: number;
  cardId: number;
  recordId: number;
  action: CardAction;
  from: CardStatus | null;
  to: CardStatus;
  reason?: string | null;
  detail?: Record<string, unknown>;
  actorId: number | null;
}

/** Appends history rows (one statement for any number of cards). */
export async function writeHistory(
  db: Database,
  transaction: Transaction,
  entries: readonly HistoryEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  await db.sequelize.query(
    `INSERT INTO card_history (event_id, card_id, record_id, action, from_status, to_status, reason, detail, actor_id)
     SELECT h.event_id, h.card_id, h.record_id, h.action, h.from_status, h.to_status, h.reason, COALESCE(h.detail, '{}'), h.actor_id
       FROM jsonb_to_recordset(:rows::jsonb) AS h(event_id bigint, card_id bigint, record_id bigint, action text,
            from_status text, to_status text, reason text, detail jsonb, actor_id bigint)`,
    {
      transaction,
      replacements: {
        rows: JSON.stringify(
          entries.map((e) => ({
            event_id: e.eventId,
            card_id: e.cardId,
            record_id: e.recordId,
            action: e.action,
            from_status: e.from,
            to_status: e.to,
            reason: e.reason ?? null,
            detail: e.detail ?? {},
            actor_id: e.actorId,
          })),
        ),
      },
    },
  );
}

interface HistoryRow {
  id: string;
  card_id: string;
  card_number: string;
  card_version: number;
  action: CardAction;
  from_status: CardStatus | null;
  to_status: CardStatus;
  reason: string | null;
  detail: Record<string, unknown>;
  actor: string | null;
  at: Date;
}

/** History of some cards (by card ids or by record), newest first. */
export async function readHistory(
  db: Database,
  where: { cardIds: readonly number[] } | { recordId: number },
): Promise<CardHistoryView[]> {
  const byRecord = 'recordId' in where;
  const rows = await db.sequelize.query<HistoryRow>(
    `SELECT h.id, h.card_id, c.card_number, c.card_version, h.action, h.from_status, h.to_status, h.reason,
            h.detail, COALESCE(NULLIF(us.display_name, ''), us.username) AS actor, h.at
       FROM card_history h JOIN cards c ON c.id = h.card_id LEFT JOIN users us ON us.id = h.actor_id
      WHERE ${byRecord ? 'h.record_id = :recordId' : 'h.card_id = ANY(:cardIds::bigint[])'}
      ORDER BY h.at DESC, h.id DESC LIMIT 1000`,
    {
      type: QueryTypes.SELECT,
      replacements: byRecord ? { recordId: where.recordId } : { cardIds: idArray(where.cardIds) },
    },
  );
  return rows.map((h) => ({
    id: Number(h.id),
    cardId: Number(h.card_id),
    cardNumber: h.card_number,
    cardVersion: h.card_version,
    action: h.action,
    fromStatus: h.from_status,
    toStatus: h.to_status,
    reason: h.reason,
    detail: h.detail,
    actor: h.actor,
    at: h.at.toISOString(),
  }));
}
