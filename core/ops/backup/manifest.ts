import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BACKUP_FORMAT, type BackupProblem, type BackupSummary, type Manifest } from './types.ts';

export const MANIFEST_FILE = 'manifest.json';

/** JSON with object keys sorted at every level: the same manifest always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function manifestChecksum(manifest: Omit<Manifest, 'checksum'> & { checksum?: string }): string {
  const { checksum: _ignored, ...rest } = manifest;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** Seals a manifest: computes its checksum over everything else in it. */
export function sealManifest(manifest: Omit<Manifest, 'checksum'>): Manifest {
  return { ...manifest, checksum: manifestChecksum(manifest) };
}

export interface LoadedBackup {
  id: string;
  folder: string;
  manifest: Manifest;
}

/** Folder names: `<time>-full` / `<time>-incr`; anything starting with a dot is work in progress. */
const BACKUP_FOLDER = /^\d{8}T\d{9}Z-(full|incr)(-\d+)?$/;

/**
 * Reads every backup's manifest in `dir` and checks each manifest's own checksum. A folder whose
 * manifest is missing, unreadable or altered is reported, never silently skipped: it may be the
 * link a chain needs.
 */
export async function loadBackups(
  dir: string,
): Promise<{ backups: LoadedBackup[]; problems: BackupProblem[] }> {
  const backups: LoadedBackup[] = [];
  const problems: BackupProblem[] = [];
  let names: string[];
  try {
    names = (await fs.readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && BACKUP_FOLDER.test(d.name))
      .map((d) => d.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { backups, problems };
    throw error;
  }
  for (const name of names) {
    const folder = path.join(dir, name);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(await fs.readFile(path.join(folder, MANIFEST_FILE), 'utf8')) as Manifest;
    } catch (error) {
      problems.push({
        backupId: name,
        code: 'unreadable',
        message: `备份 ${name} 的清单 ${MANIFEST_FILE} ${
          (error as NodeJS.ErrnoException).code === 'ENOENT' ? '不存在' : '无法读取或不是有效的 JSON'
        }`,
      });
      continue;
    }
    if (manifest.format !== BACKUP_FORMAT || typeof manifest.checksum !== 'string') {
      problems.push({
        backupId: name,
        code: 'unreadable',
        message: `备份 ${name} 的清单格式不是 ${BACKUP_FORMAT}，无法使用`,
      });
      continue;
    }
    const actual = manifestChecksum(manifest);
    if (actual !== manifest.checksum) {
      problems.push({
        backupId: name,
        code: 'manifest_checksum',
        message: `备份 ${name} 的清单已被改动：校验值应为 ${manifest.checksum.slice(0, 12)}…，实为 ${actual.slice(0, 12)}…`,
      });
      continue;
    }
    if (manifest.id !== name) {
      problems.push({
        backupId: name,
        code: 'unreadable',
        message: `备份文件夹 ${name} 里的清单属于另一个备份 ${manifest.id}（文件夹被改名或复制错了）`,
      });
      continue;
    }
    backups.push({ id: name, folder, manifest });
  }
  return { backups, problems };
}

/** Sizes come from the manifest: walking a folder of a million photos for a list page is too slow. */
export function summarise(backup: LoadedBackup): BackupSummary {
  const m = backup.manifest;
  const bytes = m.parts.reduce((sum, p) => sum + p.bytes, 0) + m.blobs.bytes + m.files.bytes;
  return {
    id: m.id,
    kind: m.kind,
    chain: m.chain,
    sequence: m.sequence,
    createdAt: m.createdAt,
    finishedAt: m.finishedAt,
    snapshotAt: m.snapshot.at,
    bytes,
    rows: m.tables.reduce((sum, t) => sum + t.rows, 0),
    changes: m.changes?.rows ?? null,
    blobs: m.blobs.count,
    files: m.files.count,
    warnings: m.warnings,
    dir: backup.folder,
  };
}
