import type { Sequelize } from 'sequelize';

/** Base schema: events and their plugin versions, units, users, sessions, records, audit log. */
export async function up({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    CREATE EXTENSION IF NOT EXISTS pg_trgm;

    CREATE TABLE plugin_versions (
      id bigserial PRIMARY KEY,
      plugin_code text NOT NULL,
      version integer NOT NULL,
      declared_version text NOT NULL,
      checksum text NOT NULL,
      source text NOT NULL CHECK (source IN ('bundled', 'designer', 'import')),
      bundle jsonb NOT NULL,
      created_by bigint,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (plugin_code, version)
    );
    CREATE INDEX plugin_versions_checksum ON plugin_versions (plugin_code, checksum);

    CREATE TABLE events (
      id bigserial PRIMARY KEY,
      code text NOT NULL UNIQUE,
      name text NOT NULL,
      plugin_code text NOT NULL,
      plugin_version_id bigint NOT NULL REFERENCES plugin_versions (id),
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE units (
      id bigserial PRIMARY KEY,
      code text NOT NULL UNIQUE,
      name text NOT NULL,
      contact_name text,
      contact_phone text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE users (
      id bigserial PRIMARY KEY,
      username text NOT NULL UNIQUE,
      display_name text NOT NULL,
      password_hash text NOT NULL,
      role text NOT NULL CHECK (role IN ('admin', 'unit', 'clerk', 'reviewer', 'designer', 'operator')),
      unit_id bigint REFERENCES units (id),
      disabled boolean NOT NULL DEFAULT false,
      failed_logins integer NOT NULL DEFAULT 0,
      locked_until timestamptz,
      last_login_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT unit_users_have_a_unit CHECK (role <> 'unit' OR unit_id IS NOT NULL)
    );

    CREATE TABLE sessions (
      id text PRIMARY KEY,
      user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      csrf_token text NOT NULL,
      ip text,
      user_agent text,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL
    );
    CREATE INDEX sessions_user ON sessions (user_id);
    CREATE INDEX sessions_expiry ON sessions (expires_at);

    CREATE TABLE records (
      id bigserial PRIMARY KEY,
      event_id bigint NOT NULL REFERENCES events (id),
      unit_id bigint NOT NULL REFERENCES units (id),
      kind text NOT NULL,
      status text NOT NULL DEFAULT 'draft',
      card_type text,
      plugin_version_id bigint NOT NULL REFERENCES plugin_versions (id),
      name text,
      gender char(1),
      birth_date date,
      id_type text,
      id_number_hash bytea,
      id_number_enc bytea,
      id_number_masked text,
      organization text,
      position text,
      mobile text,
      plate_number text,
      vehicle_type text,
      zones text[] NOT NULL DEFAULT '{}',
      photo text,
      data jsonb NOT NULL DEFAULT '{}',
      version integer NOT NULL DEFAULT 1,
      created_by bigint REFERENCES users (id),
      updated_by bigint REFERENCES users (id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX records_event_unit ON records (event_id, unit_id, kind, status);
    CREATE INDEX records_event_card_type ON records (event_id, card_type, status);
    CREATE INDEX records_id_hash ON records (id_number_hash);
    CREATE INDEX records_plate ON records (event_id, plate_number) WHERE plate_number IS NOT NULL;
    CREATE INDEX records_name_prefix ON records (event_id, name text_pattern_ops);
    CREATE INDEX records_name_trgm ON records USING gin (name gin_trgm_ops);
    CREATE INDEX records_mobile ON records (mobile) WHERE mobile IS NOT NULL;

    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      user_id bigint,
      username text,
      action text NOT NULL,
      target_type text,
      target_id text,
      event_id bigint,
      ip text,
      detail jsonb NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audit_log_at ON audit_log (at);
    CREATE INDEX audit_log_target ON audit_log (target_type, target_id);
    CREATE INDEX audit_log_action ON audit_log (action, at);
  `);
}

export async function down({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(
    'DROP TABLE IF EXISTS audit_log, records, sessions, users, units, events, plugin_versions CASCADE',
  );
}
