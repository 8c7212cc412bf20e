import pg from 'pg';
import { TesseraError } from '../../errors.ts';
import type { SequenceState, TableState } from './types.ts';

/**
 * Session settings under which every value has one text form: row checksums computed by the
 * backup and by the restore, in different sessions (or years apart), must agree byte for byte.
 */
export const STABLE_SETTINGS: Record<string, string> = {
  TimeZone: 'UTC',
  DateStyle: 'ISO, YMD',
  IntervalStyle: 'postgres',
  extra_float_digits: '1',
  bytea_output: 'hex',
};

const settingsSql = Object.entries(STABLE_SETTINGS)
  .map(([name, value]) => `SET ${name} = '${value}';`)
  .join(' ');

/** Arbitrary constant: held shared by every running server on its database, taken by a restore to see none is. */
export const SERVER_LOCK = 7_241_003;

export async function connect(url: string, purpose: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: `tessera ${purpose}` });
  try {
    await client.connect();
    await client.query(settingsSql);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
export const qualified = (table: string): string => `public.${ident(table)}`;

export interface ColumnInfo {
  name: string;
  type: string;
}

export interface TableInfo {
  name: string;
  /** Every column, in order (what a row's text form holds). */
  all: ColumnInfo[];
  /** Columns a COPY or INSERT writes: generated columns are computed, not written. */
  writable: ColumnInfo[];
  primaryKey: ColumnInfo[];
  /** GENERATED ALWAYS identity: an INSERT of the backed-up values needs OVERRIDING SYSTEM VALUE. */
  identityAlways: boolean;
}

/** The migrations bookkeeping table: restored by running the migrations, not copied. */
export const MIGRATIONS_TABLE = 'schema_migrations';

/** Application tables of the `public` schema, with what the backup and restore need to know. */
export async function readTables(client: pg.Client): Promise<TableInfo[]> {
  const partitioned = await client.query<{ relname: string }>(
    `SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND (relkind = 'p' OR relispartition)`,
  );
  if (partitioned.rowCount) {
    throw new TesseraError(
      'backup_unsupported',
      `备份不支持分区表（${partitioned.rows.map((r) => r.relname).join('、')}）`,
    );
  }
  const columns = await client.query<{
    table: string;
    column: string;
    type: string;
    generated: boolean;
    identity_always: boolean;
  }>(
    `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
            a.attgenerated <> '' AS generated, a.attidentity = 'a' AS identity_always
       FROM pg_class c
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname <> $1
      ORDER BY c.relname, a.attnum`,
    [MIGRATIONS_TABLE],
  );
  const keys = await client.query<{ table: string; column: string; type: string }>(
    `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indrelid
       CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
      WHERE i.indisprimary AND c.relnamespace = 'public'::regnamespace
      ORDER BY c.relname, k.ord`,
  );
  const tables = new Map<string, TableInfo>();
  for (const row of columns.rows) {
    let table = tables.get(row.table);
    if (!table) {
      table = { name: row.table, all: [], writable: [], primaryKey: [], identityAlways: false };
      tables.set(row.table, table);
    }
    const column = { name: row.column, type: row.type };
    table.all.push(column);
    if (!row.generated) table.writable.push(column);
    if (row.identity_always) table.identityAlways = true;
  }
  for (const row of keys.rows) tables.get(row.table)?.primaryKey.push({ name: row.column, type: row.type });
  return [...tables.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export const describeColumns = (table: TableInfo): string[] => table.all.map((c) => `${c.name} ${c.type}`);

/**
 * Row count and an order-independent checksum of every row's text form: two sums of 64-bit
 * halves of each row's md5. Summing (not concatenating) keeps memory flat on a million rows.
 */
export async function tableChecksum(
  client: pg.Client,
  table: string,
): Promise<{ rows: number; checksum: string }> {
  const { rows } = await client.query<{ n: string; a: string; b: string }>(
    `SELECT count(*)::text AS n,
            coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::bigint::numeric), 0)::text AS a,
            coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::bigint::numeric), 0)::text AS b
       FROM (SELECT md5(t::text) AS h FROM ${qualified(table)} AS t) AS s`,
  );
  const row = rows[0]!;
  return { rows: Number(row.n), checksum: `${row.n}:${row.a}:${row.b}` };
}

export async function tableStates(
  client: pg.Client,
  tables: TableInfo[],
  onTable?: (index: number) => void,
): Promise<TableState[]> {
  const states: TableState[] = [];
  for (const [index, table] of tables.entries()) {
    onTable?.(index);
    const { rows, checksum } = await tableChecksum(client, table.name);
    states.push({ name: table.name, columns: describeColumns(table), rows, checksum });
  }
  return states;
}

export async function readSequences(client: pg.Client): Promise<SequenceState[]> {
  const names = await client.query<{ name: string }>(
    `SELECT sequencename AS name FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename`,
  );
  const states: SequenceState[] = [];
  for (const { name } of names.rows) {
    const { rows } = await client.query<{ last_value: string; is_called: boolean }>(
      `SELECT last_value::text, is_called FROM ${qualified(name)}`,
    );
    states.push({ name, value: rows[0]!.last_value, isCalled: rows[0]!.is_called });
  }
  return states;
}

export async function readMigrations(client: pg.Client): Promise<string[]> {
  const exists = await client.query(`SELECT to_regclass($1) AS t`, [`public.${MIGRATIONS_TABLE}`]);
  if (!exists.rows[0]?.t) return [];
  const { rows } = await client.query<{ name: string }>(
    `SELECT name FROM public.${ident(MIGRATIONS_TABLE)} ORDER BY name`,
  );
  return rows.map((r) => r.name);
}

/** `2026-01-05T02:30:00.123456Z` from the database's clock, microseconds kept. */
export const NOW_UTC_SQL = `to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
export const utcText = (expression: string): string =>
  `to_char((${expression}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Text columns that hold a blob name: `sha256` or `…_sha256` (photos, kept import files). */
export async function blobReferenceColumns(client: pg.Client): Promise<{ table: string; column: string }[]> {
  const { rows } = await client.query<{ table: string; column: string }>(
    `SELECT c.relname AS table, a.attname AS column
       FROM pg_class c
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
        AND (a.attname = 'sha256' OR a.attname LIKE '%\\_sha256')
        AND a.atttypid = 'text'::regtype
      ORDER BY 1, 2`,
  );
  return rows;
}
