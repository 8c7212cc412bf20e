import type { Sequelize } from 'sequelize';

/**
 * Cards (证件制作 / 证件管理): the physical cards printed for approved records.
 *
 * A card number belongs to one record for ever (never reused); a reprint keeps the number and
 * makes a new card *version*, the old version becomes `replaced` (or stays lost/damaged/revoked),
 * so an old QR code scanned at the gate says why it is no longer valid. Numbers come from one
 * counter row per event and card type, advanced inside the transaction that creates the card: a
 * rolled-back transaction gives its number back, so the sequence has no gaps.
 */
export async function up({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    CREATE TABLE card_number_counters (
      event_id bigint NOT NULL REFERENCES events (id),
      card_type text NOT NULL,
      -- The last sequence number handed out; the next card gets last_seq + 1.
      last_seq integer NOT NULL,
      PRIMARY KEY (event_id, card_type)
    );

    CREATE TABLE print_jobs (
      id bigserial PRIMARY KEY,
      event_id bigint NOT NULL REFERENCES events (id),
      card_type text NOT NULL,
      status text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
      -- Output options: { sheet, duplex, bleedMm, marks, backs } as chosen by the operator.
      options jsonb NOT NULL DEFAULT '{}',
      -- How the cards were chosen (units, batches, selection), for the job list and the audit.
      selection jsonb NOT NULL DEFAULT '{}',
      card_count integer NOT NULL DEFAULT 0,
      task_id uuid REFERENCES tasks (id),
      -- Blob key of the finished PDF, and the render report (problems per card).
      pdf_blob text,
      pdf_bytes bigint,
      report jsonb,
      error text,
      attempts integer NOT NULL DEFAULT 0,
      -- The queue's (pg-boss) job of the current attempt, and the process that last took it.
      queue_job_id uuid,
      worker text,
      created_by bigint REFERENCES users (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz
    );
    CREATE INDEX print_jobs_event ON print_jobs (event_id, created_at DESC);

    CREATE TABLE cards (
      id bigserial PRIMARY KEY,
      event_id bigint NOT NULL REFERENCES events (id),
      record_id bigint NOT NULL REFERENCES records (id),
      unit_id bigint NOT NULL REFERENCES units (id),
      card_type text NOT NULL,
      card_number text NOT NULL,
      seq integer NOT NULL,
      -- 1 for the first print; each reprint adds a version with the same number.
      card_version integer NOT NULL DEFAULT 1,
      status text NOT NULL
        CHECK (status IN ('queued', 'printed', 'issued', 'returned', 'lost', 'damaged', 'revoked', 'replaced')),
      print_job_id bigint REFERENCES print_jobs (id),
      -- The record's version that was printed: an edit after printing is visible as a mismatch.
      record_version integer NOT NULL,
      printed_at timestamptz,
      issued_at timestamptz,
      issued_to text,
      issued_by bigint REFERENCES users (id),
      -- Why it left the live states (lost, damaged, revoked, replaced, returned), and by what.
      status_reason text,
      replaced_by bigint REFERENCES cards (id),
      created_by bigint REFERENCES users (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX cards_number_version ON cards (event_id, card_number, card_version);
    CREATE UNIQUE INDEX cards_seq ON cards (event_id, card_type, seq, card_version);
    -- At most one live card per record: two operators cannot queue or print the same card twice.
    CREATE UNIQUE INDEX cards_live_per_record ON cards (record_id)
      WHERE status IN ('queued', 'printed', 'issued');
    CREATE INDEX cards_record ON cards (record_id, card_version);
    CREATE INDEX cards_print_job ON cards (print_job_id) WHERE print_job_id IS NOT NULL;
    CREATE INDEX cards_number_prefix ON cards (event_id, card_number text_pattern_ops);
    CREATE INDEX cards_summary ON cards (event_id, unit_id, card_type, status);
    CREATE INDEX cards_issued_day ON cards (event_id, issued_at) WHERE issued_at IS NOT NULL;

    -- Every change of a card's state, kept for ever (full history per card and per record).
    CREATE TABLE card_history (
      id bigserial PRIMARY KEY,
      event_id bigint NOT NULL REFERENCES events (id),
      card_id bigint NOT NULL REFERENCES cards (id),
      record_id bigint NOT NULL REFERENCES records (id),
      action text NOT NULL,
      from_status text,
      to_status text NOT NULL,
      reason text,
      detail jsonb NOT NULL DEFAULT '{}',
      actor_id bigint REFERENCES users (id),
      at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX card_history_card ON card_history (card_id, at);
    CREATE INDEX card_history_record ON card_history (record_id, at);
  `);
}

export async function down({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    DROP TABLE IF EXISTS card_history;
    DROP TABLE IF EXISTS cards;
    DROP TABLE IF EXISTS print_jobs;
    DROP TABLE IF EXISTS card_number_counters;
  `);
}
