import type { Sequelize } from 'sequelize';

/**
 * Review (数据审核): a unit's records submitted as a batch; each decided (approved, rejected,
 * returned for correction) by a reviewer, every decision kept. A record's own row carries its
 * latest state, so counts per unit and card type are one indexed GROUP BY.
 */
export async function up({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    CREATE TABLE review_batches (
      id bigserial PRIMARY KEY,
      event_id bigint NOT NULL REFERENCES events (id),
      unit_id bigint NOT NULL REFERENCES units (id),
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'decided')),
      note text,
      record_count integer NOT NULL DEFAULT 0,
      card_types text[] NOT NULL DEFAULT '{}',
      -- The most important card type in the batch (1 = most important), for sorting and filters.
      top_importance integer,
      has_important boolean NOT NULL DEFAULT false,
      submitted_by bigint REFERENCES users (id),
      submitted_at timestamptz NOT NULL DEFAULT now(),
      decided_at timestamptz
    );
    CREATE INDEX review_batches_event ON review_batches (event_id, status, submitted_at);

    ALTER TABLE records
      ADD COLUMN review_batch_id bigint REFERENCES review_batches (id),
      ADD COLUMN submitted_at timestamptz,
      ADD COLUMN decided_by bigint REFERENCES users (id),
      ADD COLUMN decided_at timestamptz,
      ADD COLUMN decision_reason text,
      ADD COLUMN printed_at timestamptz,
      -- The rules' findings on the record when it was submitted (it is locked while under review).
      ADD COLUMN review_flags jsonb;
    ALTER TABLE records ADD CONSTRAINT records_status_known
      CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'returned', 'deleted'));
    -- One person per unit and event: two units may declare the same person (one person, two
    -- organisations); the import warns and the reviewer sees both and decides.
    DROP INDEX records_unique_person;
    CREATE UNIQUE INDEX records_unique_person ON records (event_id, unit_id, id_number_hash)
      WHERE kind = 'person' AND id_number_hash IS NOT NULL AND status <> 'deleted';
    CREATE INDEX records_review_batch ON records (review_batch_id) WHERE review_batch_id IS NOT NULL;
    CREATE INDEX records_unit_summary ON records (event_id, unit_id, card_type, status);
    -- A unit's history across events, and what waits for review (dashboard counts).
    CREATE INDEX records_unit_events ON records (unit_id, event_id, status);
    CREATE INDEX records_pending ON records (event_id, card_type, unit_id) WHERE status = 'submitted';

    CREATE TABLE review_decisions (
      id bigserial PRIMARY KEY,
      event_id bigint NOT NULL REFERENCES events (id),
      batch_id bigint NOT NULL REFERENCES review_batches (id),
      record_id bigint NOT NULL REFERENCES records (id),
      decision text NOT NULL CHECK (decision IN ('approved', 'rejected', 'returned')),
      reason text,
      quota_override boolean NOT NULL DEFAULT false,
      record_version integer NOT NULL,
      decided_by bigint REFERENCES users (id),
      decided_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX review_decisions_record ON review_decisions (record_id, decided_at);
    CREATE INDEX review_decisions_batch ON review_decisions (batch_id);
  `);
}

export async function down({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    DROP TABLE IF EXISTS review_decisions;
    ALTER TABLE records DROP CONSTRAINT IF EXISTS records_status_known;
    DROP INDEX IF EXISTS records_unique_person;
    CREATE UNIQUE INDEX records_unique_person ON records (event_id, id_number_hash)
      WHERE kind = 'person' AND id_number_hash IS NOT NULL AND status <> 'deleted';
    ALTER TABLE records DROP COLUMN IF EXISTS review_batch_id, DROP COLUMN IF EXISTS submitted_at,
      DROP COLUMN IF EXISTS decided_by, DROP COLUMN IF EXISTS decided_at,
      DROP COLUMN IF EXISTS decision_reason, DROP COLUMN IF EXISTS printed_at,
      DROP COLUMN IF EXISTS review_flags;
    DROP TABLE IF EXISTS review_batches;
  `);
}
