import type { Sequelize } from 'sequelize';

/**
 * Indexes the load test (test/perf/load.bench.ts, 1,000,000 records) showed missing: list pages
 * ordered newest first stop after one page only when an index hands the rows over in that order.
 * - records of one status (the 待审核/已退回 tabs): without it the scan went through every newer
 *   record of the other statuses first (3 s for the submitted tab);
 * - a unit's records (what a unit user opens first);
 * - cards newest first, and of one status (证件管理), which sorted the whole event's cards.
 */
export async function up({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    CREATE INDEX records_list_status ON records (event_id, kind, status, updated_at DESC, id DESC);
    CREATE INDEX records_list_unit ON records (event_id, unit_id, kind, updated_at DESC, id DESC);
    CREATE INDEX cards_list_updated ON cards (event_id, updated_at DESC, id DESC);
    CREATE INDEX cards_list_status ON cards (event_id, status, updated_at DESC, id DESC);
  `);
}

export async function down({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(
    'DROP INDEX IF EXISTS records_list_status, records_list_unit, cards_list_updated, cards_list_status',
  );
}
