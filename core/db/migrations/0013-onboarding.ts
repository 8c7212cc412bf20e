import type { Sequelize } from 'sequelize';

/**
 * Onboarding of a new event (开通向导): which units the event's Excel collection template has
 * reached — by a unit account downloading it, or by staff marking it sent (e-mail, a USB stick) —
 * one row per event and unit, so the checklist can count the units still waiting for it.
 */
export async function up({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    CREATE TABLE collection_template_sends (
      event_id bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
      unit_id bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
      -- 'download': a unit account downloaded it; 'marked': staff marked it 已发送.
      via text NOT NULL CHECK (via IN ('download', 'marked')),
      downloads integer NOT NULL DEFAULT 0,
      marked_by bigint REFERENCES users (id),
      first_at timestamptz NOT NULL DEFAULT now(),
      last_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (event_id, unit_id)
    );
    CREATE INDEX collection_template_sends_unit ON collection_template_sends (unit_id);
    CREATE INDEX collection_template_sends_marked_by ON collection_template_sends (marked_by)
      WHERE marked_by IS NOT NULL;
  `);
}

export async function down({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query('DROP TABLE IF EXISTS collection_template_sends;');
}
