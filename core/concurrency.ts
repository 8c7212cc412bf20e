import { AsyncLocalStorage } from 'node:async_hooks';

/** Runs `fn` over the items with at most `limit` running at once; resolves when all are done. */
export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * Interactive requests in flight in this process: the server counts each API request from its
 * arrival to its answer, and background work (a task: an import being checked, a print job being
 * prepared) gives way while there are any. One per process, like the event loop it shares out.
 */
export class Foreground {
  private inFlight = 0;
  private readonly quietWaiters = new Set<() => void>();

  /** An interactive request starts; call the returned function once it has been answered. */
  enter(): () => void {
    this.inFlight++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.inFlight--;
      if (this.inFlight === 0) for (const wake of [...this.quietWaiters]) wake();
    };
  }

  get busy(): boolean {
    return this.inFlight > 0;
  }

  /** Resolves when no interactive request is in flight, or after `maxWaitMs` at the latest. */
  quiet(maxWaitMs: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.quietWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, maxWaitMs);
      this.quietWaiters.add(wake);
    });
  }
}

export const foreground = new Foreground();

const background = new AsyncLocalStorage<true>();

/** Runs `work` as background work: its pauses (`backgroundTurn`, `eventLoopSlices`) give way to requests. */
export function runInBackground<T>(work: () => Promise<T>): Promise<T> {
  return background.run(true, work);
}

/** How long background work waits at most, at each pause, for the requests in flight to be answered. */
export const BACKGROUND_WAIT_MS = 50;

/**
 * A point between two steps of long work where others may go first: pending I/O always (the event
 * loop turns once), and in background work also the interactive requests in flight, up to
 * BACKGROUND_WAIT_MS. Outside background work (a preview a user waits for) only the turn.
 */
export async function backgroundTurn(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (background.getStore() && foreground.busy) await foreground.quiet(BACKGROUND_WAIT_MS);
}

/**
 * A long synchronous loop made to share the event loop: `await pause()` inside it returns at once
 * until `sliceMs` have passed since the last break, then takes a `backgroundTurn`. One card's QR
 * code or one imported row is quick; three hundred in one go held every request of the server for
 * over a second (load test, print job of 300 cards). Between slices a request's next step runs, but
 * a request makes many steps (one per database round trip), each waiting for a slice: with an import
 * and a print job running, answers of 50 users took over 1 s until the slices also waited for them.
 */
export function eventLoopSlices(sliceMs = 15): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < sliceMs) return undefined;
    return backgroundTurn().then(() => {
      since = performance.now();
    });
  };
}

/**
 * Requests for the same answer share one computation that started after they arrived: while one
 * runs, every new caller for that key waits for the next, which starts when the running one ends
 * and serves them all. So nobody gets an answer older than their request (a reviewer who just
 * approved sees the approval counted), and however many ask at once, at most two computations
 * per key exist: one running, one waiting.
 */
export class Coalescer<T> {
  private readonly slots = new Map<string, { running: Promise<T>; next?: Promise<T> }>();

  run(key: string, compute: () => Promise<T>): Promise<T> {
    const slot = this.slots.get(key);
    if (!slot) return this.start(key, compute);
    if (!slot.next) {
      const after = slot.running.then(
        () => undefined,
        () => undefined,
      );
      slot.next = after.then(() => this.start(key, compute));
    }
    return slot.next;
  }

  private start(key: string, compute: () => Promise<T>): Promise<T> {
    const running = compute();
    const slot = { running };
    this.slots.set(key, slot);
    const done = () => {
      if (this.slots.get(key) === slot) this.slots.delete(key);
    };
    running.then(done, done);
    return running;
  }
}
