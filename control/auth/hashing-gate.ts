/**
 * Admits password hashes one (or a few) at a time. scrypt runs on libuv's thread pool, so it never
 * blocks the event loop, but at OWASP's cost each hash holds 128 MiB and a core for a good part of
 * a second, and the same four pool threads serve the SQLite driver and every file read and write:
 * four logins at once would stall the database and the recordings' disk I/O, and take both cores
 * from the calls. The gate keeps the rest of the pool free and bounds the memory; a burst beyond
 * what may wait is refused at once (HashingBusyError) instead of queueing without end.
 */

export class HashingBusyError extends Error {
  override name = 'HashingBusyError';
  constructor() {
    super('too many password checks in progress; try again shortly');
  }
}

export class HashingGate {
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    readonly maxWaiting: number,
  ) {}

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `job` when a slot is free; rejects with HashingBusyError when the queue is full. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#running >= this.concurrency) {
      if (this.#waiting.length >= this.maxWaiting) throw new HashingBusyError();
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await job();
    } finally {
      // The slot passes straight to the next waiter, so `running` never dips while others wait.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
