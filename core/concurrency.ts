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
 * A long synchronous loop made to share the event loop: `await pause()` inside it returns at once
 * until `sliceMs` have passed since the last break, then lets pending I/O (other users' requests)
 * run before going on. One card's QR code or one imported row is quick; three hundred in one go
 * held every request of the server for over a second (load test, print job of 300 cards).
 */
export function eventLoopSlices(sliceMs = 15): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < sliceMs) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        since = performance.now();
        resolve();
      }),
    );
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
