import type { Sequelize } from 'sequelize';

/**
 * Totals above the report counts of 0008, kept by the same fold (core/reports): the whole event's
 * statistics read a few dozen rows per card type, status and zones, and a few thousand per unit and
 * card type to rank the units, instead of grouping the ~110,000 count rows a million records make
 * (2,000 units × card types × statuses × zones) on every view — three such passes cost ~0.1 s of
 * both cores per report, the heaviest request of the load test. The per-unit counts stay the source
 * of one unit's lines and of a filtered report.
 */
export async function up({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    CREATE TABLE report_record_zone_totals (
      event_id bigint NOT NULL, card_type text NOT NULL, status text NOT NULL, zones text[] NOT NULL,
      amount bigint NOT NULL,
      PRIMARY KEY (event_id, card_type, status, zones)
    );
    -- Records that count (not deleted) per unit and card type: what ranks the units.
    CREATE TABLE report_record_unit_totals (
      event_id bigint NOT NULL, unit_id bigint NOT NULL, card_type text NOT NULL, amount bigint NOT NULL,
      PRIMARY KEY (event_id, unit_id, card_type)
    );
    CREATE TABLE report_card_type_totals (
      event_id bigint NOT NULL, card_type text NOT NULL, status text NOT NULL, amount bigint NOT NULL,
      PRIMARY KEY (event_id, card_type, status)
    );
    CREATE TABLE report_card_unit_totals (
      event_id bigint NOT NULL, unit_id bigint NOT NULL, card_type text NOT NULL, amount bigint NOT NULL,
      PRIMARY KEY (event_id, unit_id, card_type)
    );
    -- The fold deletes the rows it brought to zero; these find them without reading every row.
    CREATE INDEX report_record_counts_zero ON report_record_counts (event_id) WHERE amount = 0;
    CREATE INDEX report_card_counts_zero ON report_card_counts (event_id) WHERE amount = 0;
    CREATE INDEX report_issue_counts_zero ON report_issue_counts (event_id) WHERE amount = 0;
    CREATE INDEX report_record_zone_totals_zero ON report_record_zone_totals (event_id) WHERE amount = 0;
    CREATE INDEX report_record_unit_totals_zero ON report_record_unit_totals (event_id) WHERE amount = 0;
    CREATE INDEX report_card_type_totals_zero ON report_card_type_totals (event_id) WHERE amount = 0;
    CREATE INDEX report_card_unit_totals_zero ON report_card_unit_totals (event_id) WHERE amount = 0;
    INSERT INTO report_record_zone_totals
      SELECT event_id, card_type, status, zones, sum(amount) FROM report_record_counts
       GROUP BY 1, 2, 3, 4 HAVING sum(amount) <> 0;
    INSERT INTO report_record_unit_totals
      SELECT event_id, unit_id, card_type, sum(amount) FROM report_record_counts WHERE status <> 'deleted'
       GROUP BY 1, 2, 3 HAVING sum(amount) <> 0;
    INSERT INTO report_card_type_totals
      SELECT event_id, card_type, status, sum(amount) FROM report_card_counts GROUP BY 1, 2, 3 HAVING sum(amount) <> 0;
    INSERT INTO report_card_unit_totals
      SELECT event_id, unit_id, card_type, sum(amount) FROM report_card_counts GROUP BY 1, 2, 3 HAVING sum(amount) <> 0;
  `);
}

export async function down({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(
    'DROP TABLE IF EXISTS report_record_zone_totals, report_record_unit_totals, report_card_type_totals, report_card_unit_totals',
  );
  await sequelize.query(
    'DROP INDEX IF EXISTS report_record_counts_zero, report_card_counts_zero, report_issue_counts_zero',
  );
}
