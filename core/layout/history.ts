/**
 * Undo/redo for the card designer: a history of whole layout snapshots (layouts are a few KB, so
 * copies are simpler and safer than inverse operations). Edits that come in a stream — a drag, a
 * colour picker, typing into one property — are merged into one step by giving them the same key.
 * Framework-free; the designer wraps it in Svelte state.
 */
export class History<T> {
  private readonly past: T[] = [];
  private readonly future: T[] = [];
  private present: T;
  private lastKey: string | null = null;

  constructor(
    initial: T,
    private readonly limit = 200,
  ) {
    this.present = structuredClone(initial);
  }

  /** The current state (a copy: changing it does not change the history). */
  get current(): T {
    return structuredClone(this.present);
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  get size(): { past: number; future: number } {
    return { past: this.past.length, future: this.future.length };
  }

  /**
   * Records a new state. With the same `mergeKey` as the previous call (and nothing undone in
   * between) it replaces that step instead of adding one. A state equal to the present is ignored.
   */
  push(next: T, mergeKey?: string): void {
    if (JSON.stringify(next) === JSON.stringify(this.present)) return;
    if (mergeKey !== undefined && mergeKey === this.lastKey && this.past.length > 0) {
      this.present = structuredClone(next);
    } else {
      this.past.push(this.present);
      if (this.past.length > this.limit) this.past.shift();
      this.present = structuredClone(next);
    }
    this.future.length = 0;
    this.lastKey = mergeKey ?? null;
  }

  /** Ends a merge run: the next push starts a new step even with the same key. */
  seal(): void {
    this.lastKey = null;
  }

  undo(): T | undefined {
    const prev = this.past.pop();
    if (prev === undefined) return undefined;
    this.future.push(this.present);
    this.present = prev;
    this.lastKey = null;
    return this.current;
  }

  redo(): T | undefined {
    const next = this.future.pop();
    if (next === undefined) return undefined;
    this.past.push(this.present);
    this.present = next;
    this.lastKey = null;
    return this.current;
  }

  /** Starts over from `state` (after loading or saving a different layout). */
  reset(state: T): void {
    this.past.length = 0;
    this.future.length = 0;
    this.present = structuredClone(state);
    this.lastKey = null;
  }
}
