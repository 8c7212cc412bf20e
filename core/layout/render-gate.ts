/**
 * A bound on the designer's renders (previews and proofs) in one process. The live preview asks
 * for a new picture 600 ms after every edit, so a few designers typing could otherwise queue
 * hundreds of renders on the one shared Chromium and starve the print jobs that use it too. At
 * most `running` renders go at once and `waiting` more may queue; beyond that a request is refused
 * at once (503, try again), and a request whose client has gone away leaves the queue without
 * being rendered — the designer aborts the previous preview each time it asks for a new one.
 */
import { TesseraError } from '../errors.ts';

export interface RenderGateLimits {
  running: number;
  waiting: number;
}

export const RENDER_GATE_LIMITS: RenderGateLimits = { running: 2, waiting: 6 };

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class RenderGate {
  private active = 0;
  private readonly queue: Waiter[] = [];

  constructor(readonly limits: RenderGateLimits = RENDER_GATE_LIMITS) {}

  /** Renders going on and waiting now (for tests and status pages). */
  get load(): { running: number; waiting: number } {
    return { running: this.active, waiting: this.queue.length };
  }

  /**
   * Runs `work` when a slot is free. Rejects with `render_busy` (503) when the queue is full, and
   * with `render_cancelled` when `signal` aborts while waiting (the work never starts).
   */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.enter(signal);
    try {
      return await work();
    } finally {
      this.leave();
    }
  }

  private enter(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(cancelled());
    if (this.active < this.limits.running) {
      this.active++;
      return Promise.resolve();
    }
    if (this.queue.length >= this.limits.waiting) {
      return Promise.reject(
        new TesseraError(
          'render_busy',
          `正在生成的预览和校样太多（${this.active} 个进行中，${this.queue.length} 个排队），请几秒后再试`,
          503,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        reject(cancelled());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private leave(): void {
    const next = this.queue.shift();
    // The slot passes straight to the next in line: `active` stays the same.
    if (next) next.resolve();
    else this.active--;
  }
}

const cancelled = () => new TesseraError('render_cancelled', '预览请求已取消（已有更新的预览请求）', 409);
