import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readBlobIndex, readFileIndex } from './create.ts';
import { blobPath, hashFile } from './files.ts';
import { loadBackups, summarise, type LoadedBackup } from './manifest.ts';
import { describeTime, parseTime } from './time.ts';
import type { BackupProblem } from './types.ts';
import type { VerifyReport } from './views.ts';

export interface Chain {
  full: LoadedBackup;
  /** The full and every incremental naming it, in sequence order (broken links included). */
  members: LoadedBackup[];
  /** How many of `members`, from the start, link up correctly: a restore may use only these. */
  usable: number;
  problems: BackupProblem[];
}

const micros = (iso: string) => parseTime(iso);

/**
 * Groups backups into chains (a full, then its incrementals by sequence) and checks every link:
 * numbering without gaps or repeats, each naming the one before it (id, manifest checksum and
 * snapshot), strictly later in time, and the same schema level as the full.
 */
export function buildChains(backups: LoadedBackup[]): { chains: Chain[]; problems: BackupProblem[] } {
  const byChain = new Map<string, LoadedBackup[]>();
  for (const backup of backups) {
    const list = byChain.get(backup.manifest.chain) ?? [];
    list.push(backup);
    byChain.set(backup.manifest.chain, list);
  }
  const chains: Chain[] = [];
  const problems: BackupProblem[] = [];
  for (const [chainId, list] of byChain) {
    const full = list.find((b) => b.manifest.kind === 'full' && b.id === chainId);
    const incrementals = list
      .filter((b) => b.manifest.kind === 'incremental')
      .sort((a, b) => a.manifest.sequence - b.manifest.sequence || (a.id < b.id ? -1 : 1));
    if (!full) {
      for (const inc of incrementals) {
        problems.push({
          backupId: inc.id,
          code: 'orphan',
          message: `增量备份 ${inc.id} 所属的全量备份 ${chainId} 不在备份目录中，无法使用`,
        });
      }
      continue;
    }
    const chainProblems: BackupProblem[] = [];
    let usable = 1;
    let previous = full;
    for (const inc of incrementals) {
      const problem = linkProblem(previous, inc, full);
      if (problem) chainProblems.push(problem);
      else if (usable === incrementals.indexOf(inc) + 1) usable++;
      previous = inc;
    }
    const broken = incrementals.length + 1 - usable;
    if (broken > 0 && chainProblems.length > 0) {
      const first = chainProblems[0]!;
      const after = incrementals.slice(usable - 1).filter((b) => b.id !== first.backupId);
      if (after.length) {
        chainProblems.push({
          backupId: first.backupId,
          code: first.code,
          message: `因此其后的 ${after.length} 个增量备份（${after.map((b) => b.id).join('、')}）也无法使用`,
        });
      }
    }
    chains.push({ full, members: [full, ...incrementals], usable, problems: chainProblems });
    problems.push(...chainProblems);
  }
  chains.sort((a, b) => (a.full.id < b.full.id ? -1 : 1));
  return { chains, problems };
}

function linkProblem(previous: LoadedBackup, inc: LoadedBackup, full: LoadedBackup): BackupProblem | null {
  const m = inc.manifest;
  const p = previous.manifest;
  const expected = p.sequence + 1;
  if (m.sequence === p.sequence) {
    return {
      backupId: inc.id,
      code: 'duplicate',
      message: `增量备份 ${inc.id} 与 ${previous.id} 的序号相同（都是第 ${m.sequence} 个），链条中出现了重复的备份`,
    };
  }
  if (m.sequence > expected) {
    return {
      backupId: inc.id,
      code: 'gap',
      message: `增量备份 ${inc.id} 是第 ${m.sequence} 个增量，但第 ${expected} 个增量备份${
        m.sequence === expected + 1 && m.parent ? ` ${m.parent} ` : ''
      }不在目录中：链条断裂`,
    };
  }
  if (m.parent !== previous.id) {
    return {
      backupId: inc.id,
      code: 'parent',
      message: `增量备份 ${inc.id} 的上一个备份应为 ${m.parent}，但链条中排在它前面的是 ${previous.id}`,
    };
  }
  if (m.parentChecksum !== p.checksum || m.previousSnapshot?.xid !== p.snapshot.xid) {
    return {
      backupId: inc.id,
      code: 'parent',
      message: `增量备份 ${inc.id} 记录的上一个备份 ${previous.id} 与目录中的不一致（清单校验值或快照不符）：${previous.id} 被替换或改动过`,
    };
  }
  if (micros(m.snapshot.at) <= micros(p.snapshot.at) || Date.parse(m.createdAt) < Date.parse(p.createdAt)) {
    return {
      backupId: inc.id,
      code: 'order',
      message: `时间顺序错误：增量备份 ${inc.id} 的数据时间 ${describeTime(m.snapshot.at)} 不晚于它的上一个备份 ${previous.id}（${describeTime(p.snapshot.at)}）`,
    };
  }
  if (m.database.migrations.join('\n') !== full.manifest.database.migrations.join('\n')) {
    return {
      backupId: inc.id,
      code: 'schema',
      message: `增量备份 ${inc.id} 的数据库结构（迁移）与全量备份 ${full.id} 不同`,
    };
  }
  return null;
}

/**
 * Checks one backup's files against its manifest: every part's size and sha256 and, when asked,
 * every blob and stored file against the index (a blob's name is its own checksum).
 */
export async function verifyParts(
  backup: LoadedBackup,
  options: { blobs: boolean; onBlob?: (done: number, total: number) => void },
): Promise<BackupProblem[]> {
  const problems: BackupProblem[] = [];
  const id = backup.id;
  for (const part of backup.manifest.parts) {
    const file = path.join(backup.folder, part.path);
    const actual = await hashFile(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (!actual) {
      problems.push({ backupId: id, code: 'part_missing', message: `备份 ${id} 缺少文件 ${part.path}` });
    } else if (actual.sha256 !== part.sha256 || actual.bytes !== part.bytes) {
      problems.push({
        backupId: id,
        code: 'part_checksum',
        message: `备份 ${id} 已损坏：文件 ${part.path} 的校验值不符（应为 ${part.sha256.slice(0, 12)}…，实为 ${actual.sha256.slice(0, 12)}…）`,
      });
    }
  }
  if (!options.blobs || problems.length) return problems;
  const blobs = await readBlobIndex(backup);
  const root = path.join(backup.folder, 'blobs');
  for (const [index, entry] of blobs.entries()) {
    options.onBlob?.(index, blobs.length);
    const actual = await hashFile(blobPath(root, entry.sha256)).catch(() => null);
    if (!actual) {
      problems.push({
        backupId: id,
        code: 'blob_missing',
        message: `备份 ${id} 缺少照片/文件 ${entry.sha256}`,
      });
    } else if (actual.sha256 !== entry.sha256) {
      problems.push({
        backupId: id,
        code: 'blob_checksum',
        message: `备份 ${id} 已损坏：照片/文件 ${entry.sha256} 的内容与校验值不符`,
      });
    }
  }
  const listed = new Set(blobs.map((b) => b.sha256));
  const present = await fs.readdir(root, { recursive: true }).catch(() => [] as string[]);
  for (const relative of present) {
    const name = path.basename(relative);
    if (/^[0-9a-f]{64}$/.test(name) && !listed.has(name)) {
      problems.push({
        backupId: id,
        code: 'blob_extra',
        message: `备份 ${id} 中多出了清单里没有的文件 blobs/${relative}`,
      });
    }
  }
  for (const entry of await readFileIndex(backup)) {
    const actual = await hashFile(path.join(backup.folder, 'files', entry.path)).catch(() => null);
    if (!actual || actual.sha256 !== entry.sha256) {
      problems.push({
        backupId: id,
        code: actual ? 'blob_checksum' : 'blob_missing',
        message: `备份 ${id} 中的文件 ${entry.path} ${actual ? '已损坏（校验值不符）' : '缺失'}`,
      });
    }
  }
  return problems;
}

export type { VerifyReport };

/** `tessera backup verify`: every manifest, every part, every blob, and the order of every chain. */
export async function verifyDirectory(
  dir: string,
  options: { blobs?: boolean; progress?: (done: number, total: number, backupId: string) => void } = {},
): Promise<VerifyReport> {
  const { backups, problems } = await loadBackups(dir);
  const { chains, problems: chainProblems } = buildChains(backups);
  problems.push(...chainProblems);
  const summaries: VerifyReport['backups'] = [];
  for (const [index, backup] of backups.entries()) {
    options.progress?.(index, backups.length, backup.id);
    const partProblems = await verifyParts(backup, { blobs: options.blobs ?? true });
    problems.push(...partProblems);
    summaries.push({ ...summarise(backup), ok: partProblems.length === 0 });
  }
  for (const summary of summaries) {
    if (problems.some((p) => p.backupId === summary.id)) summary.ok = false;
  }
  return {
    dir,
    ok: problems.length === 0,
    backups: summaries,
    chains: chains.map((c) => ({ full: c.full.id, members: c.members.map((m) => m.id), usable: c.usable })),
    problems,
  };
}
