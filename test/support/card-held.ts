import type { Sequelize } from 'sequelize';
import { holdsRecordSql } from '../../core/cards/store.ts';

/**
 * Records whose card_held flag (kept by the trigger of migration 0016) disagrees with their cards,
 * worked out from the cards themselves, as the printable list once did.
 */
export async function staleCardHeld(sequelize: Sequelize): Promise<{ id: number; card_held: boolean }[]> {
  const [rows] = await sequelize.query(
    `SELECT r.id::int AS id, r.card_held FROM records r
      WHERE r.card_held IS DISTINCT FROM EXISTS (
              SELECT 1 FROM cards c WHERE c.record_id = r.id AND ${holdsRecordSql('c')})
      ORDER BY r.id`,
  );
  return rows as { id: number; card_held: boolean }[];
}
