import { promises as fs } from 'node:fs';
import path from 'node:path';

// Where the request logs live and how rotated files are named: one rule for the writer
// (server/middleware/request-log.ts) and every reader (log viewer, inspection, tests).

export const REQUEST_LOG = 'requests';
export const SLOW_LOG = 'slow-requests';

export const logsDir = (dataDir: string): string => path.join(dataDir, 'logs');

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * rotating-file-stream's name generator for `base`: the live file is `<base>.jsonl` (the name the
 * log always had, so tools tailing it keep working); a rotated one is
 * `<base>-YYYYMMDD-HHmmss-N.jsonl` (UTC: the moment it was rotated).
 */
export function rotatedName(base: string): (time: number | Date | null, index?: number) => string {
  return (time, index) => {
    if (time === null) return `${base}.jsonl`;
    const t = new Date(time);
    const stamp = `${t.getUTCFullYear()}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}-${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}${pad(t.getUTCSeconds())}`;
    return `${base}-${stamp}-${index ?? 1}.jsonl`;
  };
}

export interface LogFile {
  file: string;
  /** Last write: no entry in the file is newer. */
  mtime: Date;
  bytes: number;
}

/** The live file and the rotated ones of a log, oldest first. */
export async function logFiles(dataDir: string, base: string): Promise<LogFile[]> {
  const dir = logsDir(dataDir);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const pattern = new RegExp(`^${base}(-\\d{8}-\\d{6}-\\d+)?\\.jsonl$`);
  const found: LogFile[] = [];
  for (const name of names.filter((n) => pattern.test(n))) {
    const file = path.join(dir, name);
    const stat = await fs.stat(file).catch(() => null);
    if (stat?.isFile()) found.push({ file, mtime: stat.mtime, bytes: stat.size });
  }
  const live = `${base}.jsonl`;
  // By last write: rotation reuses a freed index within the same second (…-1 again after …-1 was
  // deleted), so names alone do not order files. The live file holds the newest entries.
  return found.sort((a, b) => {
    const al = path.basename(a.file) === live;
    const bl = path.basename(b.file) === live;
    if (al !== bl) return al ? 1 : -1;
    return a.mtime.getTime() - b.mtime.getTime() || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);
  });
}
