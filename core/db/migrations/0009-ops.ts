import type { Sequelize } from 'sequelize';

/**
 * Operations (core/ops/inspect): the database's and each table's size, recorded at every
 * inspection, so the report can say how fast the data grows and when the disk fills. PostgreSQL
 * itself keeps no history of sizes.
 */
export async function up({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    CREATE TABLE ops_size_history (
      taken_at timestamptz NOT NULL,
      -- '' for the whole database, else a table of the public schema.
      relation text NOT NULL,
      bytes bigint NOT NULL,
      rows_estimate bigint,
      PRIMARY KEY (taken_at, relation)
    );
    CREATE INDEX ops_size_history_relation ON ops_size_history (relation, taken_at);
  `);
}

export async function down({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query('DROP TABLE IF EXISTS ops_size_history');
}
