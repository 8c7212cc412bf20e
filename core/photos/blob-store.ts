import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs, type ReadStream } from 'node:fs';
import path from 'node:path';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Content-addressed files under `<dataDir>/blobs/ab/cd/<sha256>`: a blob's name is the hash of
 * its bytes, so a blob never changes once written and the same bytes are stored once.
 */
export class BlobStore {
  readonly root: string;
  /** Folders known to exist (made once per process). */
  private readonly folders = new Set<string>();

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'blobs');
  }

  pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error(`not a sha256 hex digest: ${sha256}`);
    return path.join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  /**
   * Stores the bytes; returns their hash. Written to a temporary file in the same folder, flushed,
   * then renamed into place, so a crash never leaves a half-written blob under its final name.
   * `sync: false` (bulk imports) skips the per-file flush: the caller calls `flush()` once before
   * anything depends on the blobs, and a blob already stored whole is left as it is.
   */
  async put(bytes: Uint8Array, options: { sync?: boolean } = {}): Promise<string> {
    const sync = options.sync ?? true;
    const sha256 = sha256Hex(bytes);
    const target = this.pathOf(sha256);
    if (!sync) {
      const existing = await fs.stat(target).catch(() => null);
      if (existing?.isFile() && existing.size === bytes.byteLength) return sha256;
    }
    // No existence check first: the same bytes renamed over themselves change nothing, and an
    // import of 10,000 photos saves 10,000 round trips to the thread pool.
    const folder = path.dirname(target);
    if (!this.folders.has(folder)) {
      await fs.mkdir(folder, { recursive: true });
      this.folders.add(folder);
    }
    const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await fs.open(temp, 'wx', 0o600).catch(async (error: NodeJS.ErrnoException) => {
      // The folder went away under us (blobs restored from a backup, say): made again, once.
      if (error.code !== 'ENOENT') throw error;
      await fs.mkdir(folder, { recursive: true });
      return fs.open(temp, 'wx', 0o600);
    });
    try {
      await handle.writeFile(bytes);
      if (sync) await handle.sync();
    } catch (error) {
      // A disk that filled up mid-write: the half file goes, or it would hold the space for good.
      await handle.close().catch(() => undefined);
      await fs.rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    try {
      await fs.rename(temp, target);
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw error;
    }
    return sha256;
  }

  /**
   * Makes everything written with `sync: false` durable: one syncfs(2) of the blob store's file
   * system (coreutils `sync -f`) instead of ten thousand fsyncs, one per photo.
   */
  async flush(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    await new Promise<void>((resolve, reject) => {
      execFile('sync', ['-f', this.root], (error) => {
        if (!error) return resolve();
        // An old `sync` without -f: the whole system's buffers, slower but as safe.
        execFile('sync', [], (again) => (again ? reject(again) : resolve()));
      });
    });
  }

  async get(sha256: string): Promise<Buffer> {
    return fs.readFile(this.pathOf(sha256));
  }

  stream(sha256: string): ReadStream {
    return createReadStream(this.pathOf(sha256));
  }

  async exists(sha256: string): Promise<boolean> {
    try {
      return (await fs.stat(this.pathOf(sha256))).isFile();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }
}
