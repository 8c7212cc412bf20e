import type { Sequelize } from 'sequelize';

/**
 * Long tasks (import, commit, later render and backup) with progress the UI can follow, and the
 * import staging area: a batch per upload (the original file kept in the blob store) and a row
 * per source row, so every row ends committed, deleted by a person, or rejected with a reason.
 * Sensitive values (ID numbers) of staged rows are stored encrypted, like records.
 */
export async function up({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    CREATE TABLE tasks (
      id uuid PRIMARY KEY,
      type text NOT NULL,
      event_id bigint REFERENCES events (id),
      unit_id bigint REFERENCES units (id),
      created_by bigint REFERENCES users (id),
      status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'interrupted')),
      phase text,
      done integer NOT NULL DEFAULT 0,
      total integer,
      message text,
      result jsonb,
      error jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz,
      heartbeat_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX tasks_event ON tasks (event_id, created_at DESC);
    CREATE INDEX tasks_running ON tasks (status) WHERE status IN ('queued', 'running');

    CREATE TABLE import_batches (
      id bigserial PRIMARY KEY,
      event_id bigint NOT NULL REFERENCES events (id),
      unit_id bigint REFERENCES units (id),
      kind text NOT NULL,
      status text NOT NULL CHECK (status IN ('staging', 'staged', 'failed', 'committing', 'committed', 'discarded')),
      file_name text NOT NULL,
      file_sha256 text NOT NULL,
      file_bytes bigint NOT NULL,
      sheet_name text,
      header_row integer,
      headers jsonb NOT NULL DEFAULT '[]',
      mapping jsonb,
      -- The named profile the mapping came from (saved or plugin), null for an automatic one.
      profile_code text,
      sheet_names jsonb NOT NULL DEFAULT '[]',
      columns jsonb NOT NULL DEFAULT '[]',
      counts jsonb NOT NULL DEFAULT '{}',
      notes jsonb NOT NULL DEFAULT '[]',
      photo_review jsonb NOT NULL DEFAULT '{}',
      plugin_version_id bigint REFERENCES plugin_versions (id),
      task_id uuid REFERENCES tasks (id),
      created_by bigint REFERENCES users (id),
      committed_by bigint REFERENCES users (id),
      committed_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX import_batches_event ON import_batches (event_id, created_at DESC);

    CREATE TABLE import_rows (
      id bigserial PRIMARY KEY,
      batch_id bigint NOT NULL REFERENCES import_batches (id) ON DELETE CASCADE,
      sheet text NOT NULL,
      row_number integer NOT NULL,
      status text NOT NULL CHECK (status IN ('valid', 'invalid', 'deleted', 'committed', 'rejected')),
      raw_enc bytea NOT NULL,
      values jsonb NOT NULL DEFAULT '{}',
      secret_enc bytea,
      id_hash bytea,
      plate_number text,
      card_type text,
      errors jsonb NOT NULL DEFAULT '{}',
      warnings jsonb NOT NULL DEFAULT '{}',
      photo_id uuid REFERENCES photos (id),
      photo_source text,
      photo_file text,
      version integer NOT NULL DEFAULT 1,
      edited_by bigint REFERENCES users (id),
      edited_at timestamptz,
      deleted_by bigint REFERENCES users (id),
      deleted_at timestamptz,
      delete_reason text,
      record_id bigint REFERENCES records (id),
      reject_reason text,
      UNIQUE (batch_id, sheet, row_number)
    );
    CREATE INDEX import_rows_batch_status ON import_rows (batch_id, status, row_number);
    CREATE INDEX import_rows_id_hash ON import_rows (batch_id, id_hash) WHERE id_hash IS NOT NULL;

    -- Mapping profiles saved by the office for an event (the plugin's own stay in the plugin).
    CREATE TABLE mapping_profiles (
      id bigserial PRIMARY KEY,
      event_id bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
      code text NOT NULL,
      record_kind text NOT NULL,
      profile jsonb NOT NULL,
      created_by bigint REFERENCES users (id),
      updated_by bigint REFERENCES users (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (event_id, code)
    );
    -- The profile a unit's sheets were last committed with: offered first next time.
    CREATE TABLE unit_mapping_profiles (
      event_id bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
      unit_id bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
      record_kind text NOT NULL,
      profile_code text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (event_id, unit_id, record_kind)
    );
  `);
}

export async function down({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(
    'DROP TABLE IF EXISTS unit_mapping_profiles, mapping_profiles, import_rows, import_batches, tasks CASCADE;',
  );
}
