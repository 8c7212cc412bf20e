import type { Sequelize } from 'sequelize';

/** One person per ID number and one vehicle per plate within an event; deleted records do not count. */
export async function up({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    CREATE UNIQUE INDEX records_unique_person ON records (event_id, id_number_hash)
      WHERE kind = 'person' AND id_number_hash IS NOT NULL AND status <> 'deleted';
    CREATE UNIQUE INDEX records_unique_vehicle ON records (event_id, plate_number)
      WHERE kind = 'vehicle' AND plate_number IS NOT NULL AND status <> 'deleted';
    CREATE INDEX records_event_updated ON records (event_id, kind, updated_at DESC);
  `);
}

export async function down({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(
    'DROP INDEX IF EXISTS records_unique_person, records_unique_vehicle, records_event_updated',
  );
}
