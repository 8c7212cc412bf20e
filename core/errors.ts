/** An error meant for the person at the other end: a stable code and a Chinese message saying what to do. */
export class TesseraError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'TesseraError';
  }
}
