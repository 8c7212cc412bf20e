import type { Sequelize } from 'sequelize';

/**
 * Uploaded photos: one row per upload, the bytes in the content-addressed blob store
 * (`<dataDir>/blobs/ab/cd/<sha256>`). A photo belongs to an event and, when a unit user
 * uploaded it, to that unit. Records point at a photo by its id.
 */
export async function up({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    CREATE TABLE photos (
      id uuid PRIMARY KEY,
      event_id bigint NOT NULL REFERENCES events (id),
      unit_id bigint REFERENCES units (id),
      sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      width integer NOT NULL CHECK (width > 0),
      height integer NOT NULL CHECK (height > 0),
      byte_size integer NOT NULL CHECK (byte_size > 0),
      media_type text NOT NULL,
      original_name text,
      created_by bigint REFERENCES users (id),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX photos_event_unit ON photos (event_id, unit_id);
    CREATE INDEX photos_sha256 ON photos (sha256);
    CREATE INDEX records_photo ON records (photo) WHERE photo IS NOT NULL;
  `);
}

export async function down({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query('DROP INDEX IF EXISTS records_photo; DROP TABLE IF EXISTS photos;');
}
