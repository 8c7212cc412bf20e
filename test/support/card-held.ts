import type { Sequelize } from 'sequelize';
import { LIVE_CARD_STATUSES } from '../../core/cards/views.ts';

/**
 * Records whose card_held flag (kept by the trigger of migration 0016) disagrees with their cards,
 * worked out from the cards themselves as the printable list once did: a live card other than a
 * queued one no job holds.
 */
export async function staleCardHeld(sequelize: Sequelize): Promise<{ id: number; card_held: boolean }[]> {
  const live = LIVE_CARD_STATUSES.map((s) => `'${s}'`).join(', ');
  const [rows] = await sequelize.query(
    `SELECT r.id::int AS id, r.card_held FROM records r
      WHERE r.card_held IS DISTINCT FROM EXISTS (
              SELECT 1 FROM cards c WHERE c.record_id = r.id AND c.status IN (${live})
                 AND NOT (c.status = 'queued' AND c.print_job_id IS NULL))
      ORDER BY r.id`,
  );
  return rows as { id: number; card_held: boolean }[];
}
