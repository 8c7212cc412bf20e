import { promises as fs } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { TesseraError } from '../../errors.ts';
import {
  CAPTURE_SCHEMA,
  CHANGE_PAGE,
  installCapture,
  readState,
  recordBackupDone,
  uncoveredTables,
} from './capture.ts';
import {
  blobPath,
  copyHashed,
  eachLimit,
  currentKeys,
  listBlobs,
  listOtherFiles,
  readGzipLines,
  syncDir,
  syncTree,
  writeGzip,
  writeJson,
} from './files.ts';
import { domainCounts } from './counts.ts';
import { loadBackups, MANIFEST_FILE, sealManifest, summarise, type LoadedBackup } from './manifest.ts';
import {
  connect,
  ident,
  NOW_UTC_SQL,
  qualified,
  readMigrations,
  readSequences,
  readTables,
  tableStates,
  utcText,
  type TableInfo,
} from './pg.ts';
import { idTime } from './time.ts';
import {
  BACKUP_FORMAT,
  type BackupKind,
  type BackupPart,
  type BackupSummary,
  type BlobEntry,
  type FileEntry,
  type Manifest,
} from './types.ts';

/** Where a backup reads from and writes to. */
export interface BackupTarget {
  /** The database (the embedded cluster's URL, or DATABASE_URL). */
  url: string;
  mode: 'embedded' | 'external';
  dataDir: string;
  /** The backups folder. */
  dir: string;
  /** Whether `<data>/secrets.json` goes into each backup (see README: 备份与恢复). */
  includeKeys: boolean;
  /** After a full backup, keep this many newest full chains (0 = keep all). */
  keepFull?: number;
  env?: NodeJS.ProcessEnv;
}

export type BackupProgress = (phase: string, done: number, total: number | null, message?: string) => void;

/** Arbitrary constant: one backup or restore at a time per database, across processes. */
export const BACKUP_LOCK = 7_241_002;

/** Blob copies in flight: enough to keep a disk busy without starving the server's requests. */
const COPY_CONCURRENCY = 4;

export const needsFull = (message: string) => new TesseraError('backup_needs_full', message, 409);

export const BLOB_INDEX = 'blobs.tsv.gz';
export const FILE_INDEX = 'files.jsonl.gz';
export const CHANGES_FILE = 'db/changes.jsonl.gz';
export const TRANSACTIONS_FILE = 'db/transactions.jsonl.gz';
export const KEYS_FILE = 'keys/secrets.json';
export const tableFile = (table: string) => `db/${encodeURIComponent(table)}.copy.gz`;

/**
 * Makes a full or incremental backup of the database and the stored files into
 * `<dir>/<time>-full|incr/`, sealed by manifest.json. Written under `.partial-…` and renamed into
 * place once complete and flushed, so a crash never leaves something that looks like a backup.
 */
export async function createBackup(
  target: BackupTarget,
  kind: BackupKind,
  progress: BackupProgress = () => undefined,
): Promise<BackupSummary> {
  const client = await connect(target.url, 'backup');
  let work: string | null = null;
  try {
    const locked = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
      BACKUP_LOCK,
    ]);
    if (!locked.rows[0]?.ok)
      throw new TesseraError('backup_busy', '另一个备份或恢复正在进行，请稍后再试', 409);
    await fs.mkdir(target.dir, { recursive: true, mode: 0o700 });
    await removePartials(target.dir);

    progress('准备', 0, null);
    const tables = await readTables(client);
    const migrations = await readMigrations(client);
    const info = (
      await client.query<{ db: string; version: string }>(
        `SELECT current_database() AS db, current_setting('server_version') AS version`,
      )
    ).rows[0]!;
    const { backups } = await loadBackups(target.dir);
    let parent: LoadedBackup | null = null;
    if (kind === 'incremental') parent = await incrementalParent(client, target, backups, tables, migrations);
    // Capture must be on before the full's snapshot: every change the snapshot misses is then logged.
    else await installCapture(client, tables);

    const started = new Date();
    const id = await freeId(target.dir, started, kind);
    work = path.join(target.dir, `.partial-${id}`);
    await fs.mkdir(work, { mode: 0o700 });
    const parts: BackupPart[] = [];

    // One REPEATABLE READ transaction: tables, changes, checksums and sequences all at one instant.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (
      await client.query<{ xid: string; at: string }>(
        `SELECT pg_current_snapshot()::text AS xid, ${NOW_UTC_SQL} AS at`,
      )
    ).rows[0]!;
    let changes: Manifest['changes'] = null;
    if (kind === 'full') {
      for (const [index, table] of tables.entries()) {
        progress('导出数据库', index, tables.length, `表 ${table.name}`);
        parts.push(await copyTable(client, table, work));
      }
    } else {
      progress('导出变更', 0, null);
      changes = await exportChanges(client, parent!.manifest.snapshot.xid, work, parts, (n) =>
        progress('导出变更', n, null, `${n} 行变更`),
      );
    }
    const states = await tableStates(client, tables, (index) =>
      progress('计算校验值', index, tables.length, `表 ${tables[index]!.name}`),
    );
    const sequences = await readSequences(client);
    const counts = await domainCounts(client);
    await client.query('COMMIT');

    progress('复制照片和文件', 0, null);
    const chain = parent ? chainOf(backups, parent) : [];
    const warnings: string[] = [];
    const blobs = await copyBlobs(target, work, chain, parts, warnings, progress);
    const files = await copyOtherFiles(target, work, chain, parts);
    const keys = await currentKeys(target.dataDir, target.env);
    let keysIncluded = false;
    if (target.includeKeys && keys.source === 'file' && keys.file) {
      const { sha256, bytes } = await copyHashed(keys.file, path.join(work, KEYS_FILE));
      parts.push({ path: KEYS_FILE, bytes, sha256, role: 'keys' });
      keysIncluded = true;
    }
    if (keys.source === 'none') warnings.push('数据目录中没有密钥文件 secrets.json，环境变量中也没有密钥');

    progress('写入清单', 0, null);
    const manifest = sealManifest({
      format: BACKUP_FORMAT,
      id,
      kind,
      chain: parent ? parent.manifest.chain : id,
      sequence: parent ? parent.manifest.sequence + 1 : 0,
      parent: parent?.id ?? null,
      parentChecksum: parent?.manifest.checksum ?? null,
      createdAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      snapshot,
      previousSnapshot: parent?.manifest.snapshot ?? null,
      database: { mode: target.mode, server: `PostgreSQL ${info.version}`, name: info.db, migrations },
      tables: states,
      sequences,
      changes,
      blobs,
      files,
      keys: { fingerprint: keys.fingerprint, source: keys.source, included: keysIncluded },
      parts,
      counts,
      warnings,
    });
    await writeJson(path.join(work, MANIFEST_FILE), manifest);
    await syncDir(work);
    const folder = path.join(target.dir, id);
    await fs.rename(work, folder);
    work = null;
    await syncDir(target.dir);

    progress('清理', 0, null);
    await recordBackupDone(client, {
      backupId: id,
      chainId: manifest.chain,
      sequence: manifest.sequence,
      snapshot: snapshot.xid,
      snapshotAt: snapshot.at,
      manifestChecksum: manifest.checksum,
      dir: target.dir,
      migrations,
    });
    if (kind === 'full' && target.keepFull) await pruneOldChains(target.dir, target.keepFull);
    return summarise({ id, folder, manifest });
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (work) await fs.rm(work, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  } finally {
    // Ending the session releases the advisory lock too.
    await client.end().catch(() => undefined);
  }
}

/** Leftovers of a backup that died half way (this process holds the lock, so none is running). */
async function removePartials(dir: string): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    if (name.startsWith('.partial-')) await fs.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

async function freeId(dir: string, started: Date, kind: BackupKind): Promise<string> {
  const base = `${idTime(started)}-${kind === 'full' ? 'full' : 'incr'}`;
  for (let n = 1; ; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    const taken = await fs.stat(path.join(dir, id)).then(
      () => true,
      () => false,
    );
    if (!taken) return id;
  }
}

/** The backup an incremental continues from, or why it cannot (then a full is needed). */
async function incrementalParent(
  client: pg.Client,
  target: BackupTarget,
  backups: LoadedBackup[],
  tables: TableInfo[],
  migrations: string[],
): Promise<LoadedBackup> {
  const state = await readState(client);
  if (!state) {
    throw needsFull('这个数据库还没有做过全量备份（或刚从备份恢复），无法做增量备份；请先做一次全量备份');
  }
  const parent = backups.find((b) => b.id === state.backupId);
  if (!parent) {
    throw needsFull(
      `上一次备份 ${state.backupId}（在 ${state.dir}）不在备份目录 ${target.dir} 中，增量备份无法接续；请在这个目录先做一次全量备份`,
    );
  }
  if (parent.manifest.checksum !== state.manifestChecksum) {
    throw needsFull(
      `备份目录中的 ${state.backupId} 与数据库记录的上一次备份不符（被替换过），请先做一次全量备份`,
    );
  }
  if (parent.manifest.database.migrations.join('\n') !== migrations.join('\n')) {
    const added = migrations.filter((m) => !parent.manifest.database.migrations.includes(m));
    throw needsFull(
      `数据库结构自上一次备份以来已升级${added.length ? `（迁移 ${added.join('、')}）` : ''}，增量备份无法跨越结构变化；请先做一次全量备份`,
    );
  }
  const uncovered = await uncoveredTables(client, tables);
  if (uncovered.length) {
    throw needsFull(`表 ${uncovered.join('、')} 的变更没有被记录（新建的表？），请先做一次全量备份`);
  }
  return parent;
}

/** The full backup and the incrementals up to and including `last`, in order. */
export function chainOf(backups: LoadedBackup[], last: LoadedBackup): LoadedBackup[] {
  return backups
    .filter((b) => b.manifest.chain === last.manifest.chain && b.manifest.sequence <= last.manifest.sequence)
    .sort((a, b) => a.manifest.sequence - b.manifest.sequence);
}

async function copyTable(client: pg.Client, table: TableInfo, work: string): Promise<BackupPart> {
  const file = tableFile(table.name);
  const columns = table.writable.map((c) => ident(c.name)).join(', ');
  const stream = client.query(copyTo(`COPY ${qualified(table.name)} (${columns}) TO STDOUT`));
  const { sha256, bytes } = await writeGzip(stream, path.join(work, file));
  return { path: file, bytes, sha256, role: 'table', table: table.name, rows: stream.rowCount };
}

async function exportChanges(
  client: pg.Client,
  previous: string,
  work: string,
  parts: BackupPart[],
  onPage: (rows: number) => void,
): Promise<NonNullable<Manifest['changes']>> {
  let rows = 0;
  const touched = new Set<string>();
  async function* lines(): AsyncGenerator<string> {
    let last = '0';
    for (;;) {
      const page = await client.query<{
        id: string;
        txid: string;
        tbl: string;
        op: string;
        data: string | null;
      }>(
        // Ordered by the bigint column itself (an output alias `id` of type text would sort as text).
        `SELECT c.id::text AS id, c.txid::text AS txid, c.tbl, c.op, c.data FROM ${CAPTURE_SCHEMA}.changes AS c
          WHERE c.id > $1::bigint AND NOT pg_visible_in_snapshot(c.txid, $2::pg_snapshot)
          ORDER BY c.id LIMIT ${CHANGE_PAGE}`,
        [last, previous],
      );
      if (page.rows.length === 0) return;
      let chunk = '';
      for (const r of page.rows) {
        chunk += `${JSON.stringify({ x: r.txid, t: r.tbl, o: r.op, d: r.data })}\n`;
        touched.add(r.tbl);
      }
      rows += page.rows.length;
      last = page.rows[page.rows.length - 1]!.id;
      onPage(rows);
      yield chunk;
    }
  }
  const written = await writeGzip(lines(), path.join(work, CHANGES_FILE));
  parts.push({ path: CHANGES_FILE, ...written, role: 'changes', rows });

  const txns = await client.query<{ txid: string; at: string | null }>(
    `SELECT txid::text, ${utcText('committed_at')} AS at FROM ${CAPTURE_SCHEMA}.txns
      WHERE NOT pg_visible_in_snapshot(txid, $1::pg_snapshot) ORDER BY txid`,
    [previous],
  );
  const txnLines = txns.rows.map((r) => `${JSON.stringify({ x: r.txid, c: r.at })}\n`);
  const txnWritten = await writeGzip(
    (async function* () {
      yield txnLines.join('');
    })(),
    path.join(work, TRANSACTIONS_FILE),
  );
  parts.push({ path: TRANSACTIONS_FILE, ...txnWritten, role: 'transactions', rows: txns.rows.length });
  return { rows, transactions: txns.rows.length, tables: [...touched].sort() };
}

export async function readBlobIndex(backup: LoadedBackup): Promise<BlobEntry[]> {
  const part = backup.manifest.parts.find((p) => p.role === 'blob-index');
  if (!part) return [];
  const entries: BlobEntry[] = [];
  for await (const line of readGzipLines(path.join(backup.folder, part.path))) {
    const [sha256, bytes, mtimeNs] = line.split('\t');
    entries.push({ sha256: sha256!, bytes: Number(bytes), mtimeNs: mtimeNs! });
  }
  return entries;
}

export async function readFileIndex(backup: LoadedBackup): Promise<FileEntry[]> {
  const part = backup.manifest.parts.find((p) => p.role === 'file-index');
  if (!part) return [];
  const entries: FileEntry[] = [];
  for await (const line of readGzipLines(path.join(backup.folder, part.path))) {
    entries.push(JSON.parse(line) as FileEntry);
  }
  return entries;
}

/** Blobs are immutable and named by their hash: an incremental copies only names the chain lacks. */
async function copyBlobs(
  target: BackupTarget,
  work: string,
  chain: LoadedBackup[],
  parts: BackupPart[],
  warnings: string[],
  progress: BackupProgress,
): Promise<Manifest['blobs']> {
  const known = new Set<string>();
  for (const backup of chain) for (const entry of await readBlobIndex(backup)) known.add(entry.sha256);
  const root = path.join(target.dataDir, 'blobs');
  const fresh = (await listBlobs(root)).filter((b) => !known.has(b.sha256));
  const stored: BlobEntry[] = [];
  let done = 0;
  await eachLimit(fresh, COPY_CONCURRENCY, async (blob) => {
    const to = blobPath(path.join(work, 'blobs'), blob.sha256);
    const copied = await copyHashed(blobPath(root, blob.sha256), to, { sync: false });
    if (copied.sha256 !== blob.sha256) {
      // The live file no longer matches its name: bit rot or a tampered file. Say so; do not keep it.
      warnings.push(`照片/文件库中的 ${blob.sha256} 已损坏（内容的校验值为 ${copied.sha256}），未纳入备份`);
      await fs.rm(to, { force: true });
    } else {
      stored.push({ ...blob, bytes: copied.bytes });
    }
    done++;
    if (done % 50 === 0 || done === fresh.length)
      progress('复制照片和文件', done, fresh.length, `${done} 个文件`);
  });
  if (fresh.length) await syncTree(work);
  stored.sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
  const index = await writeGzip(
    (async function* () {
      yield stored.map((b) => `${b.sha256}\t${b.bytes}\t${b.mtimeNs}\n`).join('');
    })(),
    path.join(work, BLOB_INDEX),
  );
  parts.push({ path: BLOB_INDEX, ...index, role: 'blob-index', rows: stored.length });
  return { count: stored.length, bytes: stored.reduce((sum, b) => sum + b.bytes, 0) };
}

/** The chain's view of the other stored files: the latest version of each path, removals applied. */
export async function chainFiles(
  chain: LoadedBackup[],
): Promise<Map<string, FileEntry & { backup: LoadedBackup }>> {
  const files = new Map<string, FileEntry & { backup: LoadedBackup }>();
  for (const backup of chain) {
    for (const removed of backup.manifest.files.removed) files.delete(removed);
    for (const entry of await readFileIndex(backup)) files.set(entry.path, { ...entry, backup });
  }
  return files;
}

async function copyOtherFiles(
  target: BackupTarget,
  work: string,
  chain: LoadedBackup[],
  parts: BackupPart[],
): Promise<Manifest['files']> {
  const previous = await chainFiles(chain);
  const live = await listOtherFiles(target.dataDir, target.dir);
  // Same size and mtime as the chain's copy: unchanged (as rsync judges), not read again.
  const changed = live.filter((f) => {
    const known = previous.get(f.path);
    return !known || known.bytes !== f.bytes || known.mtimeNs !== f.mtimeNs;
  });
  const livePaths = new Set(live.map((f) => f.path));
  const removed = [...previous.keys()].filter((p) => !livePaths.has(p)).sort();
  const stored: FileEntry[] = [];
  for (const file of changed) {
    const copied = await copyHashed(
      path.join(target.dataDir, file.path),
      path.join(work, 'files', file.path),
    );
    // Written to between listing and copying: the copy's own hash and size are what the backup holds.
    stored.push({ ...file, sha256: copied.sha256, bytes: copied.bytes });
  }
  const index = await writeGzip(
    (async function* () {
      yield stored.map((f) => `${JSON.stringify(f)}\n`).join('');
    })(),
    path.join(work, FILE_INDEX),
  );
  parts.push({ path: FILE_INDEX, ...index, role: 'file-index', rows: stored.length });
  return { count: stored.length, bytes: stored.reduce((sum, f) => sum + f.bytes, 0), removed };
}

/** Keeps the newest `keep` full backups with their incrementals; older chains are deleted. */
export async function pruneOldChains(dir: string, keep: number): Promise<string[]> {
  const { backups } = await loadBackups(dir);
  const fulls = backups.filter((b) => b.manifest.kind === 'full').sort((a, b) => (a.id < b.id ? 1 : -1));
  const kept = new Set(fulls.slice(0, keep).map((b) => b.id));
  if (fulls.length <= keep) return [];
  const oldestKept = fulls[keep - 1]!.id;
  const removed: string[] = [];
  for (const backup of backups) {
    if (kept.has(backup.manifest.chain) || backup.id >= oldestKept) continue;
    await fs.rm(backup.folder, { recursive: true, force: true });
    removed.push(backup.id);
  }
  return removed;
}
