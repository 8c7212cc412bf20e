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
