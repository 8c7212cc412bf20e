/**
 * Image work (sharp/libvips: an import's thousands of photos, a print job's card photos) runs on
 * libvips' own worker threads, at the server's priority: with an import and a print job at once
 * they took both cores and users' answers waited behind them (load test: p99 0.1–0.2 s with either
 * job alone, over 1 s with both). Linux keeps a nice value per thread, so those threads are made
 * nicer than the rest of the server: they still run flat out on an idle machine, and yield to the
 * event loop and PostgreSQL when users are waiting. libvips starts its workers as it needs them,
 * hence the periodic look.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

const WORKER_NAME = 'libvips worker';

/** Weight about a tenth of the server's threads' when both want the CPU. */
export const IMAGE_WORKER_NICE = 10;

/** Renices libvips' worker threads of this process to `nice` now and every `everyMs`; returns a stop function. */
export function keepImageWorkersNice(nice: number, everyMs = 2000): () => void {
  const done = new Set<number>();
  const sweep = () => {
    let tids: string[];
    try {
      tids = readdirSync('/proc/self/task');
    } catch {
      return; // not Linux: nothing to do
    }
    const alive = new Set<number>();
    for (const name of tids) {
      const tid = Number(name);
      alive.add(tid);
      if (done.has(tid)) continue;
      try {
        if (readFileSync(`/proc/self/task/${name}/comm`, 'utf8').trim() !== WORKER_NAME) continue;
        os.setPriority(tid, nice);
        done.add(tid);
      } catch {
        // the thread ended meanwhile
      }
    }
    for (const tid of done) if (!alive.has(tid)) done.delete(tid);
  };
  sweep();
  const timer = setInterval(sweep, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
