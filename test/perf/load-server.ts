// The load bench's server side: a seeded database kept between runs under .bench-cache (seeding a
// million people takes minutes), and `tessera serve` in a process of its own, so the load generator
// does not share the server's event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE_DIR = path.join(ROOT, '.bench-cache');
const CLI = path.join(ROOT, 'bin', 'tessera.js');
/** The first server start on a cached database creates `admin` with this password. */
export const LOAD_ADMIN_PASSWORD = 'Load-Admin-Passw0rd';

export interface SeedParameters {
  persons: number;
  vehicles: number;
  event: string;
}

export interface LoadDatabase {
  dataDir: string;
  params: SeedParameters;
  /** Seconds the seed took in this run (0: the cached database was reused). */
  seededSeconds: number;
}

function run(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`tessera ${args.join(' ')} exited with ${code}`)),
    );
  });
}

/** Runs a program to its end, rejecting when it exits with an error. */
function command(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${file} ${args.join(' ')}: ${code}`)),
    );
  });
}

/**
 * `cp -a` (the PostgreSQL cluster must keep its owner and modes, which fs.cp does not), then the
 * copy flushed to disk: left dirty, its gigabytes were written back in bursts
 * during the measured level (seen as 1 GB writes stalling PostgreSQL's own), a cost of the bench's
 * copy rather than of the product.
 */
async function copyTree(from: string, to: string): Promise<void> {
  await command('cp', ['-a', from, to]);
  await command('sync', ['-f', to]);
}

/**
 * `.bench-cache/load-<persons>/data`, seeded by `tessera seed` unless the folder's `seed.json` says it
 * already holds a database seeded with the same parameters. The load runs write into it (saves,
 * decisions, imports into fresh units, print jobs): thousands of rows per run on top of a million,
 * and the review work they decide is used up — after dozens of runs the figures drift. So a copy of
 * the folder is kept as seeded (`snapshot/`), and `fresh` starts the run from it.
 */
export async function prepareDatabase(params: SeedParameters, fresh = false): Promise<LoadDatabase> {
  const dir = path.join(CACHE_DIR, `load-${params.persons}`);
  const dataDir = path.join(dir, 'data');
  const snapshot = path.join(dir, 'snapshot');
  const marker = path.join(dir, 'seed.json');
  if (existsSync(marker)) {
    const cached = JSON.parse(await readFile(marker, 'utf8')) as SeedParameters;
    if (
      cached.persons === params.persons &&
      cached.vehicles === params.vehicles &&
      cached.event === params.event
    ) {
      if (fresh) {
        if (!existsSync(snapshot))
          throw new Error(
            `TESSERA_LOAD_FRESH=1: ${dir} has no snapshot taken when it was seeded; delete the folder to seed it again`,
          );
        await rm(dataDir, { recursive: true, force: true });
        await copyTree(snapshot, dataDir);
      }
      return { dataDir, params, seededSeconds: 0 };
    }
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const started = performance.now();
  console.log(
    `  seeding ${params.persons.toLocaleString('en')} persons into ${dir} (cached for later runs)…`,
  );
  await run(
    [
      'seed',
      '--persons',
      String(params.persons),
      '--vehicles',
      String(params.vehicles),
      '--event',
      params.event,
    ],
    { TESSERA_DATA_DIR: dataDir, TESSERA_BACKUP_SCHEDULE: 'off' },
  );
  const seededSeconds = (performance.now() - started) / 1000;
  await copyTree(dataDir, snapshot);
  await writeFile(marker, JSON.stringify(params));
  return { dataDir, params, seededSeconds };
}

export interface LoadServer {
  url: string;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

/**
 * Resolves when the server process is gone. Its 'exit' event alone is not enough: after the process
 * group is signalled the event was seen never to arrive (the bench then hung after printing its
 * figures), so the pid is also polled.
 */
const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (gone(child.pid!)) done();
        }, 250);
        const done = () => {
          clearInterval(poll);
          resolve();
        };
        child.once('exit', done);
      });

/** `tessera serve` on the cached data folder, on a free loopback port; resolves when it listens. */
export function startLoadServer(dataDir: string, env: Record<string, string> = {}): Promise<LoadServer> {
  // TESSERA_LOAD_SERVER_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/x`: where the server's time goes.
  const nodeArgs = (process.env.TESSERA_LOAD_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'serve'], {
    cwd: ROOT,
    // Its own process group, so stopping it also stops its Chromium (the print worker's).
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      TESSERA_DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      TESSERA_ADMIN_PASSWORD: LOAD_ADMIN_PASSWORD,
      TESSERA_BACKUP_SCHEDULE: 'off',
      ...env,
    },
  });
  let output = '';
  // TESSERA_LOAD_SERVER_LOG=<file>: all of the server's output goes there too (e.g. with --trace-gc).
  const log = process.env.TESSERA_LOAD_SERVER_LOG;
  const collect = (c: Buffer) => {
    output = (output + c.toString()).slice(-20_000);
    if (log) appendFileSync(log, c);
  };
  child.stderr!.on('data', collect);
  const stop = async () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    const killer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }, 30_000);
    await exited(child);
    clearTimeout(killer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`tessera serve did not start within 180 s:\n${output}`));
    }, 180_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tessera serve exited with ${code}:\n${output}`));
    });
    child.stdout!.on('data', (c: Buffer) => {
      collect(c);
      const started = /Tessera 已启动：(http:\/\/\S+)/.exec(output);
      if (started) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ url: started[1]!, pid: child.pid!, output: () => output, stop });
      }
    });
  });
}
