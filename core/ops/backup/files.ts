import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { BlobEntry, FileEntry } from './types.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A pass-through that hashes and counts what flows through it. */
export function hashingStream(): Transform & { digest(): { sha256: string; bytes: number } } {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return Object.assign(stream, { digest: () => ({ sha256: hash.digest('hex'), bytes }) });
}

export async function hashFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Runs `fn` over the items, at most `limit` at once. On the first failure no new item starts, and
 * the ones in flight finish before the error is thrown: the caller's cleanup then removes a
 * folder nobody is still writing into.
 */
export async function eachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const lane = async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure) throw (failure as { error: unknown }).error;
}

/** Flushes a file to disk: a backup that is only in the page cache is no backup. */
export async function syncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes renames and new entries in a folder durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the files themselves are synced.
  } finally {
    await handle.close();
  }
}

/**
 * Copies a file, hashing the bytes as they pass; the copy is private (mode 600). `sync: false`
 * (blobs, by the thousand) leaves flushing to one `syncTree` at the end instead of an fsync each.
 */
export async function copyHashed(
  from: string,
  to: string,
  options: { sync?: boolean } = {},
): Promise<{ sha256: string; bytes: number }> {
  await fs.mkdir(path.dirname(to), { recursive: true });
  const hasher = hashingStream();
  await pipeline(createReadStream(from), hasher, createWriteStream(to, { mode: 0o600 }));
  if (options.sync ?? true) await syncFile(to);
  return hasher.digest();
}

/** One syncfs(2) of the file system holding `dir` (coreutils `sync -f`), else a plain `sync`. */
export async function syncTree(dir: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile('sync', ['-f', dir], (error) => {
      if (!error) return resolve();
      execFile('sync', [], (again) => (again ? reject(again) : resolve()));
    });
  });
}

/** Writes a stream gzip-compressed; the checksum is of the compressed bytes, as stored. */
export async function writeGzip(
  source: Readable | AsyncIterable<string | Buffer>,
  to: string,
): Promise<{ sha256: string; bytes: number }> {
  await fs.mkdir(path.dirname(to), { recursive: true });
  const hasher = hashingStream();
  // Level 4: most of level 9's ratio on text at a third of the CPU; the machine has two cores.
  await pipeline(source, createGzip({ level: 4 }), hasher, createWriteStream(to, { mode: 0o600 }));
  await syncFile(to);
  return hasher.digest();
}

export async function* readGzipLines(file: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) if (line) yield line;
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await fs.writeFile(file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await syncFile(file);
}

export const blobPath = (root: string, sha256: string): string =>
  path.join(root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);

/**
 * Every blob under `<root>/ab/cd/<sha256>`: temporary files of a write in progress and anything
 * not named by a digest are not blobs. mtime is kept in nanoseconds for point-in-time restores.
 */
export async function listBlobs(root: string): Promise<BlobEntry[]> {
  const entries: BlobEntry[] = [];
  const dirs = async (dir: string, pattern: RegExp) => {
    try {
      return (await fs.readdir(dir, { withFileTypes: true }))
        .filter((d) => d.isDirectory() && pattern.test(d.name))
        .map((d) => d.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  };
  for (const a of await dirs(root, /^[0-9a-f]{2}$/)) {
    for (const b of await dirs(path.join(root, a), /^[0-9a-f]{2}$/)) {
      const folder = path.join(root, a, b);
      for (const name of await fs.readdir(folder)) {
        if (!SHA256_HEX.test(name) || !name.startsWith(a + b)) continue;
        const stat = await fs.stat(path.join(folder, name), { bigint: true }).catch(() => null);
        if (!stat?.isFile()) continue;
        entries.push({ sha256: name, bytes: Number(stat.size), mtimeNs: stat.mtimeNs.toString() });
      }
    }
  }
  return entries.sort((x, y) => (x.sha256 < y.sha256 ? -1 : 1));
}

/**
 * What under the data folder is not "other stored files": the database cluster (backed up
 * logically), blobs and keys (their own parts), logs (operational output, not state), runtime
 * lock/owner files, the backups themselves, and what a restore leaves aside.
 */
const EXCLUDED_TOP = new Set([
  'pg',
  'blobs',
  'logs',
  'backups',
  'secrets.json',
  'pg-credentials.json',
  'pg-owner.json',
  'pg.lock',
  'tmp',
]);
const excludedName = (name: string) =>
  name.startsWith('.') || name.startsWith('before-restore-') || /\.(tmp|lock|pid|sock)$/.test(name);

/**
 * Other stored files (e.g. rendered PDFs kept under the data folder), by size and mtime; hashed
 * only when copied, so an incremental does not read ten thousand unchanged PDFs.
 */
export async function listOtherFiles(
  dataDir: string,
  backupsDir: string,
): Promise<Omit<FileEntry, 'sha256'>[]> {
  const skipBackups = path.relative(dataDir, backupsDir);
  const files: Omit<FileEntry, 'sha256'>[] = [];
  let top: string[];
  try {
    top = await fs.readdir(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return files;
    throw error;
  }
  const walk = async (relative: string): Promise<void> => {
    const full = path.join(dataDir, relative);
    const stat = await fs.lstat(full, { bigint: true }).catch(() => null);
    if (!stat) return;
    if (stat.isDirectory()) {
      for (const name of await fs.readdir(full)) {
        if (!excludedName(name)) await walk(path.join(relative, name));
      }
    } else if (stat.isFile()) {
      files.push({
        path: relative.split(path.sep).join('/'),
        bytes: Number(stat.size),
        mtimeNs: stat.mtimeNs.toString(),
      });
    }
  };
  for (const name of top) {
    if (EXCLUDED_TOP.has(name) || excludedName(name)) continue;
    if (skipBackups && (name === skipBackups || skipBackups.startsWith(name + path.sep))) continue;
    await walk(name);
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** A relative path from a manifest, refused if it could reach outside the folder it is for. */
export function safeRelative(relative: string): string {
  const normal = path.posix.normalize(relative);
  if (!relative || path.posix.isAbsolute(normal) || normal.startsWith('..') || normal.includes('/../')) {
    throw new Error(`unsafe path in backup: ${relative}`);
  }
  return normal;
}

export interface KeySource {
  source: 'env' | 'file' | 'none';
  fingerprint: string | null;
  /** The key file, when the keys come from one. */
  file: string | null;
}

/** Never the keys, only a keyed digest of them: enough to tell "same keys" from "other keys". */
export function keyFingerprint(encryptionKey: Buffer, hashKey: Buffer): string {
  return createHmac('sha256', Buffer.concat([encryptionKey, hashKey]))
    .update('tessera backup key fingerprint')
    .digest('hex')
    .slice(0, 32);
}

export function fingerprintOfKeyFile(text: string): string | null {
  try {
    const stored = JSON.parse(text) as { encryptionKey?: string; hashKey?: string };
    if (!stored.encryptionKey || !stored.hashKey) return null;
    return keyFingerprint(Buffer.from(stored.encryptionKey, 'base64'), Buffer.from(stored.hashKey, 'base64'));
  } catch {
    return null;
  }
}

/**
 * The data keys in effect (core/crypto/secrets.ts): the environment's when both are set, else
 * `<data>/secrets.json`. Read only: unlike loadDataKeys this never creates a key file, so a
 * restore into an empty folder does not invent keys that match nothing.
 */
export async function currentKeys(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<KeySource> {
  if (env.TESSERA_ENCRYPTION_KEY && env.TESSERA_HASH_KEY) {
    return {
      source: 'env',
      fingerprint: keyFingerprint(
        Buffer.from(env.TESSERA_ENCRYPTION_KEY, 'base64'),
        Buffer.from(env.TESSERA_HASH_KEY, 'base64'),
      ),
      file: null,
    };
  }
  const file = path.join(dataDir, 'secrets.json');
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  if (text === null) return { source: 'none', fingerprint: null, file: null };
  return { source: 'file', fingerprint: fingerprintOfKeyFile(text), file };
}
