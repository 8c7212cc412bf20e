import type { Sequelize } from 'sequelize';

/**
 * Event setup in the designer: a working copy (draft) of an event's plugin per event, saved as
 * the admin edits and turned into a new plugin version on publish; units get full contacts.
 */
export async function up({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    CREATE TABLE event_drafts (
      event_id bigint PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
      base_version_id bigint NOT NULL REFERENCES plugin_versions (id),
      revision integer NOT NULL DEFAULT 1,
      bundle jsonb NOT NULL,
      updated_by bigint REFERENCES users (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    ALTER TABLE units
      ADD COLUMN contact_email text,
      ADD COLUMN address text,
      ADD COLUMN remark text;
  `);
}

export async function down({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    DROP TABLE IF EXISTS event_drafts;
    ALTER TABLE units DROP COLUMN IF EXISTS contact_email, DROP COLUMN IF EXISTS address,
      DROP COLUMN IF EXISTS remark;
  `);
}
