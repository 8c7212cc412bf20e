// A real `tessera serve` in a child process, for the fault drills: it can be SIGKILLed mid-work
// and started again on the same data folder and database, as an operator's crash would.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../../core/config.ts';
import { ADMIN_PASSWORD } from './harness.ts';

export interface ChildServer {
  url: string;
  pid: number;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  /** SIGKILL to the server process alone, as the OOM killer would: nothing gets to clean up. */
  kill(): Promise<void>;
  /** Processes the server started that are still alive (its Chromium must not outlive it). */
  survivors(): Promise<number[]>;
  /** SIGTERM, as an operator stops it; waits for the exit. */
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Live processes of a process group (Linux /proc). */
async function groupMembers(pgid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // Fields after the command name (which may hold spaces): state, ppid, pgrp …
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') pids.push(Number(name));
  }
  return pids;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  // The child leads a process group of its own (detached): whatever it started goes with it.
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/**
 * Starts `node bin/tessera.js serve` with `env` on a free port and resolves once it prints its
 * address. The defaults are a test's: admin password, no scheduled backups, loopback.
 */
export function startChildServer(env: Record<string, string>, timeoutMs = 90_000): Promise<ChildServer> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'tessera.js'), 'serve'], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD,
      TESSERA_BACKUP_SCHEDULE: 'off',
      ...env,
    },
  });
  children.add(child);
  void exited(child).then(() => children.delete(child));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signalGroup(child, 'SIGKILL');
      reject(new Error(`tessera serve did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const started = /Tessera 已启动：(http:\/\/\S+)/.exec(output);
      if (!started) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.on('data', (more: Buffer) => (output += more.toString()));
      resolve({
        url: started[1]!,
        pid: child.pid!,
        output: () => output,
        async kill() {
          child.kill('SIGKILL');
          await exited(child);
        },
        survivors: () => groupMembers(child.pid!),
        async stop() {
          signalGroup(child, 'SIGTERM');
          await exited(child);
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`tessera serve exited (${code ?? signal}) before it started:\n${output}`));
    });
  });
}

/** Kills every child server still running (afterAll, whatever happened). */
export async function killChildServers(): Promise<void> {
  await Promise.all(
    [...children].map((child) => {
      signalGroup(child, 'SIGKILL');
      return exited(child);
    }),
  );
}
