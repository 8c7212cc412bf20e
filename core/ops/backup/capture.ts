import type pg from 'pg';
import { TesseraError } from '../../errors.ts';
import { ident, qualified, STABLE_SETTINGS, type TableInfo } from './pg.ts';

/**
 * Change capture for incremental backups, inside the database itself.
 *
 * Every application table gets four AFTER … FOR EACH STATEMENT triggers with transition tables
 * (one INSERT … SELECT per statement, not a trigger call per row, so a 10,000-row import costs one
 * extra statement). Each writes, in statement order, to `tessera_backup.changes`:
 * - `I` with the new row's text form (exact for every type: record_out/record_in round-trip),
 * - `D` with the old row's primary key as a JSON array (an UPDATE is D then I),
 * - `T` for a TRUNCATE,
 * tagged with the top-level transaction id. A transaction's first change also inserts its id into
 * `tessera_backup.txns`, whose deferred constraint trigger stamps clock_timestamp() at commit:
 * that stamp is what a point-in-time restore compares with `--to`.
 *
 * Which changes belong to which backup is decided by MVCC snapshots, not by ids or clocks: an
 * incremental takes the changes visible in its own snapshot and not in its parent's
 * (pg_visible_in_snapshot), so a transaction still running during one backup lands exactly once,
 * in the next.
 *
 * Everything lives in the `tessera_backup` schema, apart from the application's tables: a restore
 * compares `public` table by table, and this bookkeeping is not part of the data.
 */
export const CAPTURE_SCHEMA = 'tessera_backup';
const S = CAPTURE_SCHEMA;
const TRIGGERS = {
  I: 'tessera_backup_i',
  U: 'tessera_backup_u',
  D: 'tessera_backup_d',
  T: 'tessera_backup_t',
};

/** Changes to bring into a backup at a time (keyset pages, so memory stays flat). */
export const CHANGE_PAGE = 5000;

const functionName = (table: string) => `${S}.${ident(`capture_${table}`)}`;

/** The function's own settings fix the row text form whatever the writing session set. */
const functionSettings = Object.entries(STABLE_SETTINGS)
  .map(([name, value]) => `SET ${name} = '${value}'`)
  .join(' ');

export async function ensureCaptureSchema(client: pg.Client): Promise<void> {
  await client.query(`
    CREATE SCHEMA IF NOT EXISTS ${S};
    CREATE TABLE IF NOT EXISTS ${S}.changes (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      txid xid8 NOT NULL,
      tbl text NOT NULL,
      op "char" NOT NULL,
      data text
    );
    CREATE TABLE IF NOT EXISTS ${S}.txns (
      txid xid8 PRIMARY KEY,
      committed_at timestamptz
    );
    -- The backup the next incremental continues from (one row).
    CREATE TABLE IF NOT EXISTS ${S}.state (
      only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
      backup_id text NOT NULL,
      chain_id text NOT NULL,
      sequence integer NOT NULL,
      snapshot text NOT NULL,
      snapshot_at text NOT NULL,
      manifest_checksum text NOT NULL,
      dir text NOT NULL,
      migrations text[] NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE OR REPLACE FUNCTION ${S}.mark_commit() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      UPDATE ${S}.txns SET committed_at = clock_timestamp() WHERE txid = NEW.txid;
      RETURN NULL;
    END
    $fn$;
  `);
  const marker = await client.query(
    `SELECT 1 FROM pg_trigger WHERE tgrelid = '${S}.txns'::regclass AND tgname = 'tessera_backup_commit'`,
  );
  if (!marker.rowCount) {
    // Deferred to commit time: the stamp is taken as the transaction ends, not as it starts.
    await client.query(
      `CREATE CONSTRAINT TRIGGER tessera_backup_commit AFTER INSERT ON ${S}.txns
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${S}.mark_commit()`,
    );
  }
}

function captureFunctionSql(table: TableInfo): string {
  const name = table.name.replace(/'/g, "''");
  const key = `jsonb_build_array(${table.primaryKey.map((c) => `o.${ident(c.name)}`).join(', ')})::text`;
  const begin = `tx := pg_current_xact_id();
      INSERT INTO ${S}.txns (txid) VALUES (tx) ON CONFLICT DO NOTHING;`;
  return `
    CREATE OR REPLACE FUNCTION ${functionName(table.name)}() RETURNS trigger LANGUAGE plpgsql ${functionSettings}
    AS $fn$
    DECLARE tx xid8;
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT FROM new_rows) THEN RETURN NULL; END IF;
        ${begin}
        INSERT INTO ${S}.changes (txid, tbl, op, data) SELECT tx, '${name}', 'I', n::text FROM new_rows AS n;
      ELSIF TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (SELECT FROM new_rows) THEN RETURN NULL; END IF;
        ${begin}
        INSERT INTO ${S}.changes (txid, tbl, op, data) SELECT tx, '${name}', 'D', ${key} FROM old_rows AS o;
        INSERT INTO ${S}.changes (txid, tbl, op, data) SELECT tx, '${name}', 'I', n::text FROM new_rows AS n;
      ELSIF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT FROM old_rows) THEN RETURN NULL; END IF;
        ${begin}
        INSERT INTO ${S}.changes (txid, tbl, op, data) SELECT tx, '${name}', 'D', ${key} FROM old_rows AS o;
      ELSE
        ${begin}
        INSERT INTO ${S}.changes (txid, tbl, op, data) VALUES (tx, '${name}', 'T', NULL);
      END IF;
      RETURN NULL;
    END
    $fn$;`;
}

/**
 * Puts the capture triggers on every table that lacks them (a full backup calls this before its
 * snapshot). One table per transaction with a short lock timeout: CREATE TRIGGER waits for the
 * table's running writers, and a queued lock request would stall every later writer behind it.
 */
export async function installCapture(client: pg.Client, tables: TableInfo[]): Promise<void> {
  await ensureCaptureSchema(client);
  const present = await triggersByTable(client);
  for (const table of tables) {
    if (table.primaryKey.length === 0) {
      throw new TesseraError(
        'backup_unsupported',
        `表 ${table.name} 没有主键，无法记录它的变更（增量备份需要主键）`,
      );
    }
    await client.query(captureFunctionSql(table));
    const have = present.get(table.name) ?? new Set<string>();
    const wanted: [string, string][] = [
      [TRIGGERS.I, 'AFTER INSERT ON %T REFERENCING NEW TABLE AS new_rows'],
      [TRIGGERS.U, 'AFTER UPDATE ON %T REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'],
      [TRIGGERS.D, 'AFTER DELETE ON %T REFERENCING OLD TABLE AS old_rows'],
      [TRIGGERS.T, 'AFTER TRUNCATE ON %T'],
    ];
    const missing = wanted.filter(([name]) => !have.has(name));
    if (missing.length === 0) continue;
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query('BEGIN');
        await client.query(`SET LOCAL lock_timeout = '5s'`);
        for (const [name, clause] of missing) {
          await client.query(
            `CREATE TRIGGER ${name} ${clause.replace('%T', qualified(table.name))}
               FOR EACH STATEMENT EXECUTE FUNCTION ${functionName(table.name)}()`,
          );
        }
        await client.query('COMMIT');
        break;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        if ((error as { code?: string }).code !== '55P03' || attempt >= 12) throw error;
      }
    }
  }
}

async function triggersByTable(client: pg.Client): Promise<Map<string, Set<string>>> {
  const { rows } = await client.query<{ table: string; name: string }>(
    `SELECT c.relname AS table, t.tgname AS name
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      WHERE c.relnamespace = 'public'::regnamespace AND t.tgname LIKE 'tessera_backup_%'`,
  );
  const map = new Map<string, Set<string>>();
  for (const row of rows) {
    if (!map.has(row.table)) map.set(row.table, new Set());
    map.get(row.table)!.add(row.name);
  }
  return map;
}

/** Tables whose changes are not (all) being recorded: an incremental cannot cover them. */
export async function uncoveredTables(client: pg.Client, tables: TableInfo[]): Promise<string[]> {
  const present = await triggersByTable(client);
  const all = Object.values(TRIGGERS);
  return tables.filter((t) => !all.every((name) => present.get(t.name)?.has(name))).map((t) => t.name);
}

export interface CaptureState {
  backupId: string;
  chainId: string;
  sequence: number;
  snapshot: string;
  snapshotAt: string;
  manifestChecksum: string;
  dir: string;
  migrations: string[];
}

export async function readState(client: pg.Client): Promise<CaptureState | null> {
  const exists = await client.query(`SELECT to_regclass('${S}.state') AS t`);
  if (!exists.rows[0]?.t) return null;
  const { rows } = await client.query<{
    backup_id: string;
    chain_id: string;
    sequence: number;
    snapshot: string;
    snapshot_at: string;
    manifest_checksum: string;
    dir: string;
    migrations: string[];
  }>(`SELECT * FROM ${S}.state`);
  const row = rows[0];
  if (!row) return null;
  return {
    backupId: row.backup_id,
    chainId: row.chain_id,
    sequence: row.sequence,
    snapshot: row.snapshot,
    snapshotAt: row.snapshot_at,
    manifestChecksum: row.manifest_checksum,
    dir: row.dir,
    migrations: row.migrations,
  };
}

/**
 * After a backup is safely on disk: remember it as the one to continue from, and drop the
 * changes it holds (visible in its snapshot); changes of transactions still running then stay
 * for the next incremental.
 */
export async function recordBackupDone(client: pg.Client, state: CaptureState): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query(
      `INSERT INTO ${S}.state (only_row, backup_id, chain_id, sequence, snapshot, snapshot_at, manifest_checksum, dir, migrations, updated_at)
       VALUES (true, $1, $2, $3, $4, $5, $6, $7, $8, now())
       ON CONFLICT (only_row) DO UPDATE SET backup_id = EXCLUDED.backup_id, chain_id = EXCLUDED.chain_id,
         sequence = EXCLUDED.sequence, snapshot = EXCLUDED.snapshot, snapshot_at = EXCLUDED.snapshot_at,
         manifest_checksum = EXCLUDED.manifest_checksum, dir = EXCLUDED.dir, migrations = EXCLUDED.migrations,
         updated_at = now()`,
      [
        state.backupId,
        state.chainId,
        state.sequence,
        state.snapshot,
        state.snapshotAt,
        state.manifestChecksum,
        state.dir,
        state.migrations,
      ],
    );
    const pruned = await client.query(
      `DELETE FROM ${S}.changes WHERE pg_visible_in_snapshot(txid, $1::pg_snapshot)`,
      [state.snapshot],
    );
    await client.query(`DELETE FROM ${S}.txns WHERE pg_visible_in_snapshot(txid, $1::pg_snapshot)`, [
      state.snapshot,
    ]);
    await client.query('COMMIT');
    return pruned.rowCount ?? 0;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
