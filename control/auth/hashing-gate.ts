/**
 * Admits password hashes one (or a few) at a time. scrypt runs on libuv's thread pool, so it never
 * blocks the event loop, but at OWASP's cost each hash holds 128 MiB and a core for a good part of
 * a second, and the same four pool threads serve the SQLite driver and every file read and write:
 * four logins at once would stall the database and the recordings' disk I/O, and take both cores
 * from the calls. The gate keeps the rest of the pool free and bounds the memory; a burst beyond
 * what may wait is refused at once (HashingBusyError) instead of queueing without end.
 *
 * Two waiting rooms: priority tickets (a login from a device the account has logged in from) have
 * their own places and are served first, so a queue full of strangers' attempts never refuses the
 * owner and delays them by at most the hash in progress. A place is taken by `admit` before the
 * caller commits to anything (a login counts an attempt only once it holds one), and given up
 * with `release` when no hash is needed after all.
 */

export class HashingBusyError extends Error {
  override name = 'HashingBusyError';
  constructor() {
    super('too many password checks in progress; try again shortly');
  }
}

/** A place in the gate: a running slot, or a place in a waiting room until one is free. */
export interface HashingTicket {
  /** Runs `job` when this ticket's turn comes, then gives the place up. One job per ticket. */
  run<T>(job: () => Promise<T>): Promise<T>;
  /** Gives the place up without running anything (idempotent; nothing after `run`). */
  release(): void;
}

interface Waiter {
  /** Hands the slot to this waiter. */
  grant(): void;
}

export class HashingGate {
  #running = 0;
  #completed = 0;
  readonly #waiting: Waiter[] = [];
  readonly #priority: Waiter[] = [];

  constructor(
    readonly concurrency: number,
    readonly maxWaiting: number,
    /** Places for priority tickets, apart from the others. */
    readonly maxPriorityWaiting = maxWaiting,
  ) {}

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length + this.#priority.length;
  }

  /** Jobs run since start, failed ones included (tests count hashes with it). */
  get completed(): number {
    return this.#completed;
  }

  /**
   * A place, at once: a free slot, or one in the waiting room (priority tickets in their own).
   * @throws HashingBusyError when that room is full: nothing was taken.
   */
  admit(opts: { priority?: boolean } = {}): HashingTicket {
    const room = opts.priority ? this.#priority : this.#waiting;
    let state: 'waiting' | 'holding' | 'done';
    let turn: Promise<void>;
    let leave = () => {};
    if (this.#running < this.concurrency && this.waiting === 0) {
      this.#running++;
      state = 'holding';
      turn = Promise.resolve();
    } else {
      if (room.length >= (opts.priority ? this.maxPriorityWaiting : this.maxWaiting)) throw new HashingBusyError();
      state = 'waiting';
      turn = new Promise<void>((resolve) => {
        const waiter: Waiter = {
          grant: () => {
            state = 'holding';
            resolve();
          },
        };
        room.push(waiter);
        leave = () => room.splice(room.indexOf(waiter), 1);
      });
    }
    const release = () => {
      if (state === 'holding') this.#next();
      else if (state === 'waiting') leave();
      state = 'done';
    };
    return {
      run: async (job) => {
        if (state === 'done') throw new Error('a hashing ticket runs one job');
        await turn;
        try {
          return await job();
        } finally {
          this.#completed++;
          release();
        }
      },
      release,
    };
  }

  /** Runs `job` when a slot is free; rejects with HashingBusyError when the waiting room is full. */
  async run<T>(job: () => Promise<T>, opts: { priority?: boolean } = {}): Promise<T> {
    return this.admit(opts).run(job);
  }

  /** A slot was given up: it passes straight to the next waiter (priority first), so `running` never dips while others wait. */
  #next(): void {
    const next = this.#priority.shift() ?? this.#waiting.shift();
    if (next) next.grant();
    else this.#running--;
  }
}
