import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Sequelize } from 'sequelize';
import { startEmbeddedPostgres, type EmbeddedHandle } from '../../db/embedded.ts';
import { migrate, migrationNames } from '../../db/migrate.ts';
import { TesseraError } from '../../errors.ts';
import {
  CHANGES_FILE,
  KEYS_FILE,
  readBlobIndex,
  readFileIndex,
  TRANSACTIONS_FILE,
  type BackupProgress,
} from './create.ts';
import {
  blobPath,
  copyHashed,
  eachLimit,
  currentKeys,
  fingerprintOfKeyFile,
  listOtherFiles,
  readGzipLines,
  safeRelative,
  syncDir,
  syncTree,
} from './files.ts';
import { loadBackups, type LoadedBackup } from './manifest.ts';
import {
  blobReferenceColumns,
  connect,
  describeColumns,
  ident,
  qualified,
  readTables,
  SERVER_LOCK,
  tableStates,
  type TableInfo,
} from './pg.ts';
import { describeTime, formatMicros, nsToMicros, parseTime, type Micros } from './time.ts';
import type { BackupProblem, BlobEntry, FileEntry, Manifest } from './types.ts';
import { buildChains, verifyParts, type Chain } from './verify.ts';

export interface RestoreTarget {
  dataDir: string;
  /** External PostgreSQL; undefined = the embedded cluster under dataDir. */
  databaseUrl: string | undefined;
  /** The backups folder. */
  dir: string;
  env?: NodeJS.ProcessEnv;
}

export interface RestoreOptions {
  /** Restore the state as of this time (ISO); latest when absent. */
  to?: string | undefined;
  progress?: BackupProgress;
}

export interface RestoreResult {
  database: string;
  /** The database time the restored data reflects. */
  restoredTo: string;
  pointInTime: boolean;
  backups: { id: string; applied: 'whole' | 'until-time' }[];
  rows: number;
  blobs: number;
  files: number;
  /** Where the data that was live before went (kept until the admin removes it). */
  previous: { database: string | null; folder: string | null };
  notes: string[];
}

/** Rows per INSERT/DELETE while replaying changes. */
const REPLAY_BATCH = 1000;

const refused = (message: string, details?: unknown) =>
  new TesseraError('restore_refused', message, 409, details);

interface PlannedPart {
  backup: LoadedBackup;
  /** `whole`: every change; `until-time`: only transactions committed by the target time. */
  mode: 'whole' | 'until-time';
  /** Only for transactions stamped by the time that committed after the snapshot before it. */
  straggler?: boolean;
}

/**
 * Restores the last full backup and then its incrementals in order — to the latest state, or to
 * a point in time — into a new database and a staging folder, verifies the copy (row checksums
 * recorded at backup time, foreign keys, every referenced blob present and intact), and only then
 * swaps it in for the live data, which is renamed aside, never deleted.
 */
export async function restoreBackup(
  target: RestoreTarget,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const progress = options.progress ?? (() => undefined);
  const env = target.env ?? process.env;
  progress('检查备份', 0, null);
  const until = options.to ? parseTime(options.to) : null;
  const plan = await planRestore(target.dir, until);

  // Everything checkable without touching anything is checked first.
  const problems: BackupProblem[] = [];
  const notes: string[] = [];
  for (const part of [...plan.parts]) {
    const found = await verifyParts(part.backup, { blobs: false });
    if (found.length && part.straggler) {
      // Needed only for a rare edge: left out with a note rather than blocking the restore.
      plan.parts.splice(plan.parts.indexOf(part), 1);
      notes.push(`备份 ${part.backup.id} 已损坏，未用它补齐恰在指定时间前提交的事务：${found[0]!.message}`);
    } else {
      problems.push(...found);
    }
  }
  if (problems.length) throw refusal(problems);
  const last = plan.parts[plan.parts.length - 1]!.backup.manifest;
  const migrateTo = schemaLevel(plan.chain.full.manifest);
  const keys = await plannedKeys(target.dataDir, env, plan.parts, last);

  const stamp = `${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}${randomBytes(2).toString('hex')}`;
  const server = await openServer(target);
  let admin: pg.Client | null = null;
  let stagingDb: string | null = null;
  let swapped = false;
  const stage = path.join(target.dataDir, `.restore-${stamp}`);
  try {
    admin = await connectMaintenance(server.url);
    await refuseIfInUse(admin, server.database, server.url);

    stagingDb = `${server.database.slice(0, 40)}_rst_${stamp}`;
    progress('建立新数据库', 0, null, stagingDb);
    await admin
      .query(`CREATE DATABASE ${ident(stagingDb)} TEMPLATE template0 ENCODING 'UTF8'`)
      .catch(async () => {
        // A cluster whose locale does not allow UTF8 explicitly: its own default, as the live one has.
        await admin!.query(`CREATE DATABASE ${ident(stagingDb!)} TEMPLATE template0`);
      });
    const stagingUrl = withDatabase(server.url, stagingDb);
    await buildSchema(stagingUrl, migrateTo);

    const loaded = await loadDatabase(stagingUrl, plan, until, progress);
    progress('复制照片和文件', 0, null);
    const cutoff = until ?? parseTime(last.snapshot.at);
    const staged = await stageFiles(stage, plan, cutoff, loaded.referencedBlobs, keys, progress);

    progress('替换数据', 0, null);
    await refuseIfInUse(admin, server.database, server.url);
    const previousDb = await swapDatabase(admin, server.database, stagingDb, stamp);
    stagingDb = null;
    swapped = true;
    const previousFolder = await swapFiles(target, stage, staged, stamp);
    await fs.rm(stage, { recursive: true, force: true });

    if (previousDb)
      notes.push(`原数据库已改名为 ${previousDb}，确认恢复无误后可删除（DROP DATABASE "${previousDb}"）`);
    if (previousFolder) notes.push(`原照片和文件已移到 ${previousFolder}，确认恢复无误后可删除`);
    if (until !== null && until > parseTime(last.snapshot.at)) {
      notes.push(`备份只覆盖到 ${describeTime(last.snapshot.at)}，此后的数据不在备份中`);
    }
    notes.push('恢复后的数据库尚未开始记录变更：请尽快做一次全量备份（定时任务也会自动补做）');
    return {
      database: server.database,
      restoredTo:
        until !== null && until < parseTime(last.snapshot.at) ? formatMicros(until) : last.snapshot.at,
      pointInTime: until !== null,
      backups: plan.parts.map((p) => ({ id: p.backup.id, applied: p.mode })),
      rows: loaded.rows,
      blobs: staged.blobs,
      files: staged.files.length,
      previous: { database: previousDb, folder: previousFolder },
      notes,
    };
  } catch (error) {
    if (swapped) {
      // The database is already the restored one; the files were being moved. Leave every piece
      // where it is and say where, rather than delete what may be the only restored copy.
      throw new TesseraError(
        'restore_incomplete',
        `数据库已替换为恢复的数据，但替换照片和文件时出错：${(error as Error).message}。恢复出的文件在 ${stage}，原来的文件在 ${path.join(target.dataDir, `before-restore-${stamp}`)}，请手工移入 ${target.dataDir}`,
        500,
      );
    }
    // Nothing live was touched yet (the swap is the last step): remove what was built.
    await fs.rm(stage, { recursive: true, force: true }).catch(() => undefined);
    if (admin && stagingDb) {
      await admin.query(`DROP DATABASE IF EXISTS ${ident(stagingDb)} WITH (FORCE)`).catch(() => undefined);
    }
    throw error;
  } finally {
    await admin?.end().catch(() => undefined);
    await server.stop();
  }
}

function refusal(problems: BackupProblem[]): TesseraError {
  return refused(`无法恢复：${problems.map((p) => p.message).join('；')}`, { problems });
}

/** Which full backup and which incrementals, checked link by link, before anything is touched. */
export async function planRestore(
  dir: string,
  until: Micros | null,
): Promise<{ chain: Chain; parts: PlannedPart[] }> {
  const { backups, problems: loadProblems } = await loadBackups(dir);
  const { chains } = buildChains(backups);
  if (chains.length === 0) {
    throw refused(
      loadProblems.length
        ? `备份目录 ${dir} 中没有可用的全量备份：${loadProblems.map((p) => p.message).join('；')}`
        : `备份目录 ${dir} 中没有全量备份`,
    );
  }
  const at = (b: LoadedBackup) => parseTime(b.manifest.snapshot.at);
  const candidates = until === null ? chains : chains.filter((c) => at(c.full) <= until);
  if (candidates.length === 0) {
    const first = chains[0]!.full;
    throw refused(
      `最早的全量备份 ${first.id} 是 ${describeTime(first.manifest.snapshot.at)} 的数据，无法恢复到更早的 ${describeTime(formatMicros(until!))}`,
    );
  }
  const chain = candidates.sort((a, b) => (at(a.full) < at(b.full) ? -1 : 1))[candidates.length - 1]!;

  const parts: PlannedPart[] = [{ backup: chain.full, mode: 'whole' }];
  const needed: LoadedBackup[] = [chain.full];
  for (const inc of chain.members.slice(1)) {
    const previous = parts[parts.length - 1]!.backup;
    if (until !== null && at(previous) >= until) {
      // A transaction stamped before the target time may have committed just after the snapshot
      // that passed it: it sits in the next incremental. Applied when that one is sound.
      const index = chain.members.indexOf(inc);
      if (index < chain.usable) parts.push({ backup: inc, mode: 'until-time', straggler: true });
      break;
    }
    parts.push({ backup: inc, mode: until !== null && at(inc) > until ? 'until-time' : 'whole' });
    needed.push(inc);
  }

  const problems: BackupProblem[] = [];
  const neededIds = new Set(needed.map((b) => b.id));
  problems.push(...chain.problems.filter((p) => neededIds.has(p.backupId)));
  // A damaged manifest inside the chain's span may be one of its links: never restore around it.
  const nextFull = chains.find((c) => c.full.id > chain.full.id)?.full.id;
  const lastNeeded = needed[needed.length - 1]!.id;
  for (const problem of loadProblems) {
    const inSpan =
      problem.backupId > chain.full.id &&
      (nextFull === undefined || problem.backupId < nextFull) &&
      (until === null || problem.backupId <= lastNeeded);
    if (inSpan) problems.push(problem);
  }
  if (problems.length) throw refusal(problems);
  return { chain, parts };
}

function schemaLevel(full: Manifest): string {
  const applied = full.database.migrations;
  const unknown = applied.filter((m) => !migrationNames.includes(m));
  if (unknown.length) {
    throw refused(
      `备份 ${full.id} 的数据库结构（迁移 ${unknown.join('、')}）比当前程序新，请用更新版本的 Tessera 恢复`,
    );
  }
  const level = Math.max(...applied.map((m) => migrationNames.indexOf(m)));
  const expected = migrationNames.slice(0, level + 1);
  if (expected.length !== applied.length) {
    throw refused(`备份 ${full.id} 的数据库迁移记录不完整，无法重建相同的结构`);
  }
  return migrationNames[level]!;
}

interface PlannedKeys {
  /** The key file to put in place, from the newest backup part that holds one. */
  part: { backup: LoadedBackup; sha256: string } | null;
}

/**
 * The ID numbers in the backup are encrypted with the keys it was made with. The keys in effect
 * after the restore (environment, else the backup's key file, else the live key file) must be
 * the same ones, or every ID number would come back unreadable.
 */
async function plannedKeys(
  dataDir: string,
  env: NodeJS.ProcessEnv,
  parts: PlannedPart[],
  last: Manifest,
): Promise<PlannedKeys> {
  let part: PlannedKeys['part'] = null;
  for (const p of parts) {
    const entry = p.backup.manifest.parts.find((x) => x.role === 'keys');
    if (entry) part = { backup: p.backup, sha256: entry.sha256 };
  }
  const expected = last.keys.fingerprint;
  const live = await currentKeys(dataDir, env);
  let effective: string | null;
  let where: string;
  if (live.source === 'env') {
    effective = live.fingerprint;
    where = '环境变量 TESSERA_ENCRYPTION_KEY / TESSERA_HASH_KEY 中';
  } else if (part) {
    effective = fingerprintOfKeyFile(await fs.readFile(path.join(part.backup.folder, KEYS_FILE), 'utf8'));
    where = `备份 ${part.backup.id} 所带的`;
  } else {
    effective = live.fingerprint;
    where = '数据目录现有的';
  }
  if (expected && effective !== expected) {
    throw refused(
      `备份 ${last.id} 中的证件号码是用另一套密钥加密的（密钥指纹 ${expected.slice(0, 8)}），而恢复后生效的${where}密钥${
        effective ? `指纹为 ${effective.slice(0, 8)}` : '不存在'
      }：恢复后将无法解密。请把 TESSERA_ENCRYPTION_KEY / TESSERA_HASH_KEY 设为备份时的密钥，或使用包含密钥的备份`,
    );
  }
  return { part: live.source === 'env' ? null : part };
}

interface ServerHandle {
  url: string;
  database: string;
  stop(): Promise<void>;
}

/** The PostgreSQL server the live database is on; the embedded one is started if it is not running. */
async function openServer(target: RestoreTarget): Promise<ServerHandle> {
  if (target.databaseUrl) {
    return { url: target.databaseUrl, database: databaseOf(target.databaseUrl), stop: async () => undefined };
  }
  const owner = await fs
    .readFile(path.join(target.dataDir, 'pg-owner.json'), 'utf8')
    .then((text) => JSON.parse(text) as { pid: number; role: string })
    .catch(() => null);
  if (owner?.role === 'server' && isAlive(owner.pid)) throw serverRunning(target.dataDir, owner.pid);
  const handle: EmbeddedHandle = await startEmbeddedPostgres({ dataDir: target.dataDir, role: 'cli' });
  if (!handle.owned) {
    await handle.stop();
    throw serverRunning(target.dataDir, owner?.pid);
  }
  return { url: handle.url, database: databaseOf(handle.url), stop: () => handle.stop() };
}

const serverRunning = (dataDir: string, pid?: number) =>
  refused(`Tessera 服务器正在使用数据目录 ${dataDir}${pid ? `（进程 ${pid}）` : ''}：请先停止服务器，再恢复`);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const databaseOf = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1)) || 'postgres';

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

async function connectMaintenance(url: string): Promise<pg.Client> {
  try {
    return await connect(withDatabase(url, 'postgres'), 'restore');
  } catch {
    return connect(withDatabase(url, 'template1'), 'restore');
  }
}

/**
 * Renaming the database under a running server must not happen. A server holds a shared advisory
 * lock on its database for its lifetime (an idle one may have no other connection open); any other
 * connection (a CLI import, a console) counts too.
 */
async function refuseIfInUse(admin: pg.Client, database: string, url: string): Promise<void> {
  // A server stopped a moment ago: PostgreSQL ends its sessions (and its lock) a little after it
  // has gone, so an operator who restores right after stopping it is not refused for that.
  const deadline = Date.now() + IN_USE_GRACE_MS;
  for (;;) {
    try {
      return await inUseCheck(admin, database, url);
    } catch (error) {
      if (!(error instanceof TesseraError && error.code === 'restore_refused') || Date.now() > deadline)
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** How long a database seen in use is looked at again before the restore is refused. */
const IN_USE_GRACE_MS = 3000;

async function inUseCheck(admin: pg.Client, database: string, url: string): Promise<void> {
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (exists.rowCount) {
    const live = await connect(withDatabase(url, database), 'restore');
    try {
      const { rows } = await live.query<{ free: boolean }>('SELECT pg_try_advisory_lock($1) AS free', [
        SERVER_LOCK,
      ]);
      if (!rows[0]?.free) throw refused(`Tessera 服务器正在使用数据库 ${database}：请先停止服务器，再恢复`);
    } finally {
      await live.end().catch(() => undefined);
    }
  }
  const { rows } = await admin.query<{ n: number }>(
    // Our own lock check above ('tessera restore') may linger a moment after it closed.
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> 'tessera restore'`,
    [database],
  );
  const n = rows[0]?.n ?? 0;
  if (n > 0) {
    throw refused(
      `数据库 ${database} 还有 ${n} 个连接（Tessera 服务器可能正在运行）：请先停止服务器，再恢复`,
    );
  }
}

async function buildSchema(url: string, level: string): Promise<void> {
  const sequelize = new Sequelize(url, { dialect: 'postgres', logging: false });
  try {
    await migrate(sequelize, { to: level });
  } finally {
    await sequelize.close();
  }
}

interface Loaded {
  rows: number;
  referencedBlobs: Map<string, string>;
}

async function loadDatabase(
  url: string,
  plan: { chain: Chain; parts: PlannedPart[] },
  until: Micros | null,
  progress: BackupProgress,
): Promise<Loaded> {
  const client = await connect(url, 'restore');
  try {
    const full = plan.chain.full;
    const tables = await readTables(client);
    const byName = new Map(tables.map((t) => [t.name, t]));
    checkSchema(full.manifest, tables);
    // One transaction: the new database holds all of it or none of it.
    await client.query('BEGIN');
    if (tables.length) await client.query(`TRUNCATE ${tables.map((t) => qualified(t.name)).join(', ')}`);
    const foreignKeys = await client.query<{ table: string; name: string; definition: string }>(
      `SELECT c.relname AS table, k.conname AS name, pg_get_constraintdef(k.oid) AS definition
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        WHERE k.contype = 'f' AND c.relnamespace = 'public'::regnamespace`,
    );
    // Rows go back exactly as they were: no foreign-key cascades or user triggers may act on them
    // while they do. Constraints are put back (and so checked) at the end.
    for (const fk of foreignKeys.rows) {
      await client.query(`ALTER TABLE ${qualified(fk.table)} DROP CONSTRAINT ${ident(fk.name)}`);
    }
    for (const table of tables)
      await client.query(`ALTER TABLE ${qualified(table.name)} DISABLE TRIGGER USER`);

    for (const [index, part] of full.manifest.parts.filter((p) => p.role === 'table').entries()) {
      const table = byName.get(part.table!)!;
      progress('恢复数据库', index, tables.length, `全量备份 ${full.id}：表 ${table.name}`);
      const columns = table.writable.map((c) => ident(c.name)).join(', ');
      const stream = client.query(copyFrom(`COPY ${qualified(table.name)} (${columns}) FROM STDIN`));
      await pipeline(createReadStream(path.join(full.folder, part.path)), createGunzip(), stream);
      if (stream.rowCount !== part.rows) {
        throw refused(
          `全量备份 ${full.id} 的表 ${table.name} 应有 ${part.rows} 行，读入 ${stream.rowCount} 行`,
        );
      }
    }
    await checkStates(client, tables, full, progress);

    // Whole parts come first; the state after the last of them is recorded in its manifest.
    const lastWhole = plan.parts.filter((p) => p.mode === 'whole').at(-1)!.backup;
    for (const part of plan.parts.slice(1)) {
      await replayChanges(client, part, byName, part.mode === 'until-time' ? until : null, progress);
      if (part.backup === lastWhole) await checkStates(client, tables, lastWhole, progress);
    }

    // Sequences as the newest backup used saw them: never behind any id handed out by then.
    const sequences = plan.parts[plan.parts.length - 1]!.backup.manifest.sequences;
    for (const sequence of sequences) {
      await client.query(`SELECT setval($1::regclass, $2::bigint, $3)`, [
        qualified(sequence.name),
        sequence.value,
        sequence.isCalled,
      ]);
    }
    progress('检查外键', 0, null);
    for (const fk of foreignKeys.rows) {
      await client
        .query(`ALTER TABLE ${qualified(fk.table)} ADD CONSTRAINT ${ident(fk.name)} ${fk.definition}`)
        .catch((error: Error) => {
          throw refused(`恢复后的数据不满足外键 ${fk.name}（表 ${fk.table}）：${error.message}`);
        });
    }
    for (const table of tables)
      await client.query(`ALTER TABLE ${qualified(table.name)} ENABLE TRIGGER USER`);
    const referencedBlobs = await referencedBlobNames(client);
    const total = await client.query<{ n: string }>(
      tables.length
        ? `SELECT (${tables.map((t) => `(SELECT count(*) FROM ${qualified(t.name)})`).join(' + ')})::text AS n`
        : `SELECT '0' AS n`,
    );
    await client.query('COMMIT');
    await client.query('ANALYZE');
    return { rows: Number(total.rows[0]!.n), referencedBlobs };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function checkSchema(full: Manifest, tables: TableInfo[]): void {
  const restored = new Map(tables.map((t) => [t.name, describeColumns(t).join(', ')]));
  const backedUp = new Map(full.tables.map((t) => [t.name, t.columns.join(', ')]));
  const differ = [...new Set([...restored.keys(), ...backedUp.keys()])].filter(
    (name) => restored.get(name) !== backedUp.get(name),
  );
  if (differ.length) {
    throw refused(`按迁移重建的数据库结构与全量备份 ${full.id} 不一致（表 ${differ.join('、')}），无法恢复`);
  }
}

/** Row counts and checksums recorded at backup time, recomputed on the restored copy. */
async function checkStates(
  client: pg.Client,
  tables: TableInfo[],
  backup: LoadedBackup,
  progress: BackupProgress,
): Promise<void> {
  const states = await tableStates(client, tables, (index) =>
    progress('校验', index, tables.length, `按备份 ${backup.id} 校验表 ${tables[index]!.name}`),
  );
  const expected = new Map(backup.manifest.tables.map((t) => [t.name, t]));
  const wrong = states.filter((s) => expected.get(s.name)?.checksum !== s.checksum);
  if (wrong.length) {
    throw refused(
      `恢复校验失败：表 ${wrong
        .map((s) => `${s.name}（应有 ${expected.get(s.name)?.rows ?? '?'} 行，恢复出 ${s.rows} 行）`)
        .join('、')} 与备份 ${backup.id} 记录的内容不一致`,
    );
  }
}

async function replayChanges(
  client: pg.Client,
  part: PlannedPart,
  tables: Map<string, TableInfo>,
  until: Micros | null,
  progress: BackupProgress,
): Promise<void> {
  const { backup } = part;
  const fallback = parseTime(backup.manifest.snapshot.at);
  const committed = new Map<string, Micros>();
  for await (const line of readGzipLines(path.join(backup.folder, TRANSACTIONS_FILE))) {
    const { x, c } = JSON.parse(line) as { x: string; c: string | null };
    committed.set(x, c ? parseTime(c) : fallback);
  }
  let batch: { table: string; op: string; items: string[] } | null = null;
  let done = 0;
  const total = backup.manifest.changes?.rows ?? null;
  const flush = async () => {
    if (!batch) return;
    const current = batch;
    batch = null;
    const table = tables.get(current.table);
    if (!table) {
      throw refused(`增量备份 ${backup.id} 中有表 ${current.table} 的变更，但重建的数据库中没有这张表`);
    }
    await applyBatch(client, backup.id, table, current.op, current.items);
    done += current.items.length;
    progress('恢复变更', done, total, `增量备份 ${backup.id}`);
  };
  for await (const line of readGzipLines(path.join(backup.folder, CHANGES_FILE))) {
    const change = JSON.parse(line) as { x: string; t: string; o: string; d: string | null };
    if (until !== null && (committed.get(change.x) ?? fallback) > until) continue;
    const current = batch as { table: string; op: string; items: string[] } | null;
    if (
      current &&
      (current.table !== change.t || current.op !== change.o || current.items.length >= REPLAY_BATCH)
    ) {
      await flush();
    }
    batch ??= { table: change.t, op: change.o, items: [] };
    batch.items.push(change.d ?? '');
    if (change.o === 'T') await flush();
  }
  await flush();
}

/**
 * Applies consecutive changes of one kind to one table. Every row must be where the log says:
 * a DELETE that finds fewer rows than keys means the copy has drifted from the original.
 */
async function applyBatch(
  client: pg.Client,
  backupId: string,
  table: TableInfo,
  op: string,
  items: string[],
): Promise<void> {
  const name = qualified(table.name);
  let affected: number;
  if (op === 'I') {
    const columns = table.writable.map((c) => ident(c.name));
    const result = await client.query(
      `INSERT INTO ${name} (${columns.join(', ')})${table.identityAlways ? ' OVERRIDING SYSTEM VALUE' : ''}
       SELECT ${columns.map((c) => `(s.r).${c}`).join(', ')}
         FROM (SELECT x::${name} AS r FROM unnest($1::text[]) AS x) AS s`,
      [items],
    );
    affected = result.rowCount ?? 0;
  } else if (op === 'D') {
    const keys = table.primaryKey;
    const result = await client.query(
      `DELETE FROM ${name} AS t
        USING (SELECT ${keys.map((c, i) => `(k->>${i})::${c.type} AS k${i}`).join(', ')}
                 FROM jsonb_array_elements($1::jsonb) AS k) AS d
        WHERE ${keys.map((c, i) => `t.${ident(c.name)} = d.k${i}`).join(' AND ')}`,
      [`[${items.join(',')}]`],
    );
    affected = result.rowCount ?? 0;
  } else if (op === 'T') {
    await client.query(`TRUNCATE ${name}`);
    return;
  } else {
    throw refused(`增量备份 ${backupId} 中有无法识别的变更类型 ${op}`);
  }
  if (affected !== items.length) {
    throw refused(
      `恢复增量备份 ${backupId} 时表 ${table.name} 的变更对不上（${op === 'I' ? '应插入' : '应删除'} ${items.length} 行，实际 ${affected} 行）：备份与数据不一致`,
    );
  }
}

/** Blob names the restored rows point at, with where one was seen (for the message if missing). */
async function referencedBlobNames(client: pg.Client): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const { table, column } of await blobReferenceColumns(client)) {
    const { rows } = await client.query<{ sha: string }>(
      `SELECT DISTINCT ${ident(column)} AS sha FROM ${qualified(table)} WHERE ${ident(column)} IS NOT NULL`,
    );
    for (const { sha } of rows) names.set(sha, `${table}.${column}`);
  }
  return names;
}

interface Staged {
  blobs: number;
  files: string[];
  keys: boolean;
}

/**
 * Copies the blobs and files the restored state needs into the staging folder, checking each
 * against its hash. Point in time: a blob or file is included when it existed by then (its mtime),
 * and every blob the restored rows reference is included whatever its mtime.
 */
async function stageFiles(
  stage: string,
  plan: { parts: PlannedPart[] },
  cutoff: Micros,
  referenced: Map<string, string>,
  keys: PlannedKeys,
  progress: BackupProgress,
): Promise<Staged> {
  await fs.mkdir(path.join(stage, 'blobs'), { recursive: true, mode: 0o700 });
  const available = new Map<string, { entry: BlobEntry; backup: LoadedBackup }>();
  for (const { backup } of plan.parts) {
    for (const entry of await readBlobIndex(backup)) {
      if (!available.has(entry.sha256)) available.set(entry.sha256, { entry, backup });
    }
  }
  const wanted = [...available.values()].filter(
    ({ entry }) => nsToMicros(entry.mtimeNs) <= cutoff || referenced.has(entry.sha256),
  );
  const missing = [...referenced.keys()].filter((sha) => !available.has(sha));
  if (missing.length) {
    throw refused(
      `恢复后的数据引用了 ${missing.length} 个备份中没有的照片/文件（如 ${referenced.get(missing[0]!)} = ${missing[0]}），无法恢复完整的数据`,
    );
  }
  let done = 0;
  await eachLimit(wanted, 4, async ({ entry, backup }) => {
    const copied = await copyHashed(
      blobPath(path.join(backup.folder, 'blobs'), entry.sha256),
      blobPath(path.join(stage, 'blobs'), entry.sha256),
      { sync: false },
    ).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw refused(`备份 ${backup.id} 缺少照片/文件 ${entry.sha256}`);
      throw error;
    });
    if (copied.sha256 !== entry.sha256) {
      throw refused(`备份 ${backup.id} 已损坏：照片/文件 ${entry.sha256} 的内容与校验值不符`);
    }
    done++;
    if (done % 50 === 0 || done === wanted.length) progress('复制照片和文件', done, wanted.length);
  });

  // Other stored files: the newest version of each path that existed by the cutoff.
  const files = new Map<string, { entry: FileEntry; backup: LoadedBackup }>();
  for (const { backup } of plan.parts) {
    if (parseTime(backup.manifest.snapshot.at) <= cutoff) {
      for (const removed of backup.manifest.files.removed) files.delete(removed);
    }
    for (const entry of await readFileIndex(backup)) {
      if (nsToMicros(entry.mtimeNs) <= cutoff) files.set(entry.path, { entry, backup });
    }
  }
  for (const { entry, backup } of files.values()) {
    const relative = safeRelative(entry.path);
    const copied = await copyHashed(
      path.join(backup.folder, 'files', relative),
      path.join(stage, 'files', relative),
    );
    if (copied.sha256 !== entry.sha256)
      throw refused(`备份 ${backup.id} 已损坏：文件 ${entry.path} 的校验值不符`);
  }
  if (keys.part) {
    const copied = await copyHashed(
      path.join(keys.part.backup.folder, KEYS_FILE),
      path.join(stage, 'secrets.json'),
    );
    if (copied.sha256 !== keys.part.sha256)
      throw refused(`备份 ${keys.part.backup.id} 已损坏：密钥文件校验值不符`);
  }
  await syncTree(stage);
  return { blobs: wanted.length, files: [...files.keys()], keys: keys.part !== null };
}

/** Live database renamed aside, restored one renamed into its place. */
async function swapDatabase(
  admin: pg.Client,
  live: string,
  staging: string,
  stamp: string,
): Promise<string | null> {
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [live]);
  let aside: string | null = null;
  if (exists.rowCount) {
    aside = `${live.slice(0, 40)}_pre_${stamp}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`ALTER DATABASE ${ident(live)} RENAME TO ${ident(aside)}`);
        break;
      } catch (error) {
        // 55006: a session is still on it (our own closed check connection, gone in a moment).
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  try {
    await admin.query(`ALTER DATABASE ${ident(staging)} RENAME TO ${ident(live)}`);
  } catch (error) {
    if (aside)
      await admin.query(`ALTER DATABASE ${ident(aside)} RENAME TO ${ident(live)}`).catch(() => undefined);
    throw error;
  }
  return aside;
}

/** Live blobs, key file and other files moved to `before-restore-<stamp>/`, staged ones into place. */
async function swapFiles(
  target: RestoreTarget,
  stage: string,
  staged: Staged,
  stamp: string,
): Promise<string | null> {
  const aside = path.join(target.dataDir, `before-restore-${stamp}`);
  let moved = 0;
  const moveAside = async (relative: string) => {
    const from = path.join(target.dataDir, relative);
    const exists = await fs.lstat(from).then(
      () => true,
      () => false,
    );
    if (!exists) return;
    await fs.mkdir(path.dirname(path.join(aside, relative)), { recursive: true });
    await fs.rename(from, path.join(aside, relative));
    moved++;
  };
  await fs.mkdir(target.dataDir, { recursive: true });
  await moveAside('blobs');
  await fs.rename(path.join(stage, 'blobs'), path.join(target.dataDir, 'blobs'));
  if (staged.keys) {
    await moveAside('secrets.json');
    await fs.rename(path.join(stage, 'secrets.json'), path.join(target.dataDir, 'secrets.json'));
  }
  for (const file of await listOtherFiles(target.dataDir, target.dir)) await moveAside(file.path);
  for (const relative of staged.files) {
    const to = path.join(target.dataDir, relative);
    await fs.mkdir(path.dirname(to), { recursive: true });
    await fs.rename(path.join(stage, 'files', relative), to);
  }
  await syncDir(target.dataDir);
  return moved ? aside : null;
}
