/**
 * Card numbers (证件编号): per event and card type, from the card type's `numbering.pattern`
 * (`{event}` `{type}` `{year}` `{unit}` `{seq}` `{seq:N}`) and `start`.
 *
 * The sequence comes from one counter row per event and card type, advanced by an upsert inside
 * the transaction that creates the cards. The row stays locked until that transaction ends, so
 * two print jobs of one card type take their numbers one after the other; a transaction that
 * rolls back gives its numbers back with it. Hence: unique, no gaps, and — since a card row is
 * never deleted and a reprint keeps its number with the next card version — never reused.
 */
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { formatCardNumber } from '../render/context.ts';
import type { CardType } from '../types/generated/index.ts';

export interface AllocatedNumber {
  seq: number;
  cardNumber: string;
}

/** The number of sequence `seq` for a card of `unitCode`, issued in `year`. */
export function cardNumberOf(
  cardType: Pick<CardType, 'code' | 'numbering'>,
  parts: { eventCode: string; unitCode: string; year: string; seq: number },
): string {
  return formatCardNumber(cardType.numbering.pattern, {
    event: parts.eventCode,
    type: cardType.code,
    year: parts.year,
    unit: parts.unitCode,
    seq: parts.seq,
  });
}

/**
 * Takes the next `unitCodes.length` sequence numbers of the card type, in order, and formats one
 * number per card (the unit may be part of the pattern). Must run inside `transaction`: the counter
 * row is locked until it commits or rolls back.
 */
export async function allocateCardNumbers(
  sequelize: Sequelize,
  transaction: Transaction,
  o: {
    eventId: number;
    eventCode: string;
    cardType: Pick<CardType, 'code' | 'numbering'>;
    unitCodes: readonly string[];
    /** YYYY of the issue date, for `{year}`. */
    year: string;
  },
): Promise<AllocatedNumber[]> {
  const n = o.unitCodes.length;
  if (n === 0) return [];
  const start = o.cardType.numbering.start ?? 1;
  // GREATEST: a `start` raised in the event setup after cards were printed moves the sequence up
  // to it; lowering it never moves the sequence back (numbers are never reused).
  const [row] = await sequelize.query<{ last_seq: number }>(
    `INSERT INTO card_number_counters AS c (event_id, card_type, last_seq)
     VALUES (:eventId, :cardType, :start - 1 + :n)
     ON CONFLICT (event_id, card_type) DO UPDATE SET last_seq = GREATEST(c.last_seq, :start - 1) + :n
     RETURNING last_seq`,
    {
      type: QueryTypes.SELECT,
      transaction,
      replacements: { eventId: o.eventId, cardType: o.cardType.code, start, n },
    },
  );
  const first = Number(row!.last_seq) - n + 1;
  return o.unitCodes.map((unitCode, i) => ({
    seq: first + i,
    cardNumber: cardNumberOf(o.cardType, { eventCode: o.eventCode, unitCode, year: o.year, seq: first + i }),
  }));
}
