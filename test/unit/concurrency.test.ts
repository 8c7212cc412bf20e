// The helpers that keep long work from holding the server's one thread and identical heavy reads
// from being computed many times over.
import { describe, expect, it } from 'vitest';
import {
  BACKGROUND_WAIT_MS,
  backgroundTurn,
  Coalescer,
  eventLoopSlices,
  foreground,
  runInBackground,
} from '../../core/concurrency.ts';

/** A computation the test finishes by hand; counts how often it was started. */
function gate() {
  let started = 0;
  const pending: ((value: string) => void)[] = [];
  return {
    compute: () => {
      started++;
      return new Promise<string>((resolve) => pending.push(resolve));
    },
    finish: (value: string) => pending.shift()!(value),
    get started() {
      return started;
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Coalescer', () => {
  it('serves callers who arrive while one runs with the next computation, shared, never the running one', async () => {
    const c = new Coalescer<string>();
    const g = gate();
    const first = c.run('k', g.compute);
    await tick();
    // Arrived while the first runs: they must not get its (possibly older) answer.
    const second = c.run('k', g.compute);
    const third = c.run('k', g.compute);
    expect(g.started).toBe(1);
    g.finish('one');
    expect(await first).toBe('one');
    await tick();
    expect(g.started).toBe(2);
    g.finish('two');
    expect(await second).toBe('two');
    expect(await third).toBe('two');
    // Quiet again: a new caller starts at once.
    const fourth = c.run('k', g.compute);
    expect(g.started).toBe(3);
    g.finish('three');
    expect(await fourth).toBe('three');
  });

  it('keeps keys apart, and a failure reaches its callers only; the next caller computes afresh', async () => {
    const c = new Coalescer<string>();
    const failing = c.run('a', () => Promise.reject(new Error('数据库不可用')));
    const other = c.run('b', () => Promise.resolve('b'));
    await expect(failing).rejects.toThrow('数据库不可用');
    expect(await other).toBe('b');
    expect(await c.run('a', () => Promise.resolve('a again'))).toBe('a again');
  });

  it('starts the waiting computation even when the running one failed', async () => {
    const c = new Coalescer<string>();
    let fail!: (e: Error) => void;
    const first = c.run('k', () => new Promise<string>((_, reject) => (fail = reject)));
    const second = c.run('k', () => Promise.resolve('after the failure'));
    fail(new Error('超时'));
    await expect(first).rejects.toThrow('超时');
    expect(await second).toBe('after the failure');
  });
});

describe('eventLoopSlices', () => {
  it('lets a timer due during a long loop run within about a slice, not at its end', async () => {
    const pause = eventLoopSlices(10);
    const started = performance.now();
    let timerRanAt: number | undefined;
    setTimeout(() => (timerRanAt = performance.now() - started), 0);
    // 200 ms of synchronous work in small steps, pausing as told.
    while (performance.now() - started < 200) {
      const until = performance.now() + 1;
      while (performance.now() < until) {
        // busy
      }
      await pause();
    }
    expect(timerRanAt).toBeDefined();
    expect(timerRanAt!).toBeLessThan(100);
  });

  it('does not break off before the slice is used up', async () => {
    const pause = eventLoopSlices(1000);
    expect(pause()).toBeUndefined();
  });
});

describe('background work gives way to requests', () => {
  it('waits at its turns while a request is in flight, and goes on once it is answered', async () => {
    const leave = foreground.enter();
    let turned = false;
    const started = performance.now();
    const work = runInBackground(async () => {
      await backgroundTurn();
      turned = true;
      return performance.now() - started;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(turned).toBe(false);
    leave();
    leave(); // answered once, counted once
    const waited = await work;
    expect(turned).toBe(true);
    expect(waited).toBeGreaterThanOrEqual(19);
    expect(waited).toBeLessThan(BACKGROUND_WAIT_MS);
    expect(foreground.busy).toBe(false);
  });

  it('never waits longer than BACKGROUND_WAIT_MS under steady requests', async () => {
    const leave = foreground.enter();
    try {
      const started = performance.now();
      await runInBackground(() => backgroundTurn());
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThanOrEqual(BACKGROUND_WAIT_MS - 2);
      expect(waited).toBeLessThan(BACKGROUND_WAIT_MS + 100);
    } finally {
      leave();
    }
  });

  it('outside background work (a preview a user waits for) only lets the event loop turn', async () => {
    const leave = foreground.enter();
    try {
      const started = performance.now();
      await backgroundTurn();
      expect(performance.now() - started).toBeLessThan(BACKGROUND_WAIT_MS / 2);
    } finally {
      leave();
    }
  });
});
