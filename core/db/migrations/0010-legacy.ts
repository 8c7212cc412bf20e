import type { Sequelize } from 'sequelize';

/**
 * Migration from the previous system (旧系统数据迁移): each run (dry or real) with its report, and
 * one row per migrated source row, keyed by its legacy key, so a second run of the same exports
 * finds what is already in and creates nothing twice. An item keeps the hash of the source values
 * it was created from and, for a photo, the SHA-256 of the source file and of the untouched
 * original kept in the blob store: the reconciliation compares them with what is stored.
 */
export async function up({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    CREATE TABLE legacy_runs (
      id bigserial PRIMARY KEY,
      event_id bigint NOT NULL REFERENCES events (id),
      mapping_file text NOT NULL,
      mapping_sha256 text NOT NULL,
      dry_run boolean NOT NULL,
      status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
      -- Counts per source file, reconciliation and checksums (problem rows are in the exported files).
      report jsonb,
      error text,
      created_by bigint REFERENCES users (id),
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    );
    CREATE INDEX legacy_runs_event ON legacy_runs (event_id, started_at DESC);

    CREATE TABLE legacy_items (
      id bigserial PRIMARY KEY,
      event_id bigint NOT NULL REFERENCES events (id),
      -- 'unit', 'person' or 'vehicle'.
      source text NOT NULL,
      legacy_key text NOT NULL,
      source_file text NOT NULL,
      source_row integer NOT NULL,
      -- Canonical hash of the values the row was migrated with (see core/legacy/checksum.ts).
      source_sha256 text NOT NULL,
      unit_id bigint REFERENCES units (id),
      record_id bigint REFERENCES records (id),
      card_id bigint REFERENCES cards (id),
      photo_id uuid REFERENCES photos (id),
      photo_file text,
      photo_source_sha256 text,
      -- The photo file exactly as it came, kept in the blob store (the record's photo is processed).
      photo_original_sha256 text,
      run_id bigint NOT NULL REFERENCES legacy_runs (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (event_id, source, legacy_key)
    );
    CREATE INDEX legacy_items_record ON legacy_items (record_id) WHERE record_id IS NOT NULL;
    CREATE INDEX legacy_items_run ON legacy_items (run_id);
  `);
}

export async function down({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query('DROP TABLE IF EXISTS legacy_items; DROP TABLE IF EXISTS legacy_runs;');
}
