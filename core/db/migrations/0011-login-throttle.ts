import type { Sequelize } from 'sequelize';

/**
 * Sign-in protection shared by every server process on the database: failed sign-ins by address
 * (password spraying tries many names from one place, so a per-account lock alone never trips) and by
 * name (an unknown name locks like a real one, so a lock says nothing about whether the name exists);
 * when a user last set their password, so an inspection can tell initial passwords apart.
 */
export async function up({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    CREATE TABLE login_failures (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      ip text NOT NULL,
      -- lower-cased as typed; may name nobody
      username text NOT NULL
    );
    CREATE INDEX login_failures_ip ON login_failures (ip, at);
    CREATE INDEX login_failures_username ON login_failures (username, at);
    CREATE INDEX login_failures_at ON login_failures (at);

    ALTER TABLE users ADD COLUMN password_changed_at timestamptz;
    CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
    CREATE INDEX audit_log_user ON audit_log (username, at);
  `);
}

export async function down({ context: sequelize }: { context: Sequelize }): Promise<void> {
  await sequelize.query(`
    DROP INDEX IF EXISTS audit_log_user;
    DROP INDEX IF EXISTS sessions_last_seen;
    ALTER TABLE users DROP COLUMN IF EXISTS password_changed_at;
    DROP TABLE IF EXISTS login_failures;
  `);
}
