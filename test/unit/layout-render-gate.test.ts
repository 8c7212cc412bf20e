// The bound on the designer's renders: no more than `running` at once, `waiting` queued, the rest
// refused at once with a Chinese 503; a queued request whose client went away never runs.
import { describe, expect, it } from 'vitest';
import { TesseraError } from '../../core/errors.ts';
import { RenderGate } from '../../core/layout/render-gate.ts';

/** A job the test finishes by hand, recording that it started. */
function job(started: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { run: async () => (started.push(name), await done, name), finish };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('render gate', () => {
  it('runs two at once, queues the next, refuses beyond the queue with 503', async () => {
    const gate = new RenderGate({ running: 2, waiting: 1 });
    const started: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((n) => job(started, n));
    const pa = gate.run(a!.run);
    const pb = gate.run(b!.run);
    const pc = gate.run(c!.run);
    await tick();
    expect(started).toEqual(['a', 'b']);
    expect(gate.load).toEqual({ running: 2, waiting: 1 });
    const refused = await gate.run(async () => 'd').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TesseraError);
    expect((refused as TesseraError).status).toBe(503);
    expect((refused as TesseraError).code).toBe('render_busy');
    a!.finish();
    expect(await pa).toBe('a');
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    b!.finish();
    c!.finish();
    expect(await Promise.all([pb, pc])).toEqual(['b', 'c']);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it('drops a queued render whose client has gone, and frees the slot after a failure', async () => {
    const gate = new RenderGate({ running: 1, waiting: 2 });
    const started: string[] = [];
    const a = job(started, 'a');
    const pa = gate.run(a.run);
    const gone = new AbortController();
    const stale = gate.run(async () => started.push('stale'), gone.signal).catch((e: unknown) => e);
    const fresh = gate.run(async () => {
      started.push('fresh');
      throw new Error('render failed');
    });
    gone.abort();
    expect(((await stale) as TesseraError).code).toBe('render_cancelled');
    a.finish();
    await pa;
    await expect(fresh).rejects.toThrow('render failed');
    expect(started).toEqual(['a', 'fresh']);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
    const aborted = new AbortController();
    aborted.abort();
    await expect(gate.run(async () => 1, aborted.signal)).rejects.toThrow('预览请求已取消');
  });
});
