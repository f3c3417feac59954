/**
 * A client that keeps sending what we cannot accept is cut off: `limit` protocol errors within
 * `windowMs` on one connection (a WebSocket) and it is closed with a clear code, instead of being
 * answered error by error for ever. The times of the last `limit` errors are kept in a ring, so a
 * connection holds `limit` numbers and a check costs nothing. Time is passed in (monotonic ms).
 */
export class ErrorFlood {
  readonly #times: Float64Array;
  #next = 0;
  #filled = 0;

  /** `limit` 0 never closes. */
  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {
    this.#times = new Float64Array(Math.max(limit, 0));
  }

  /** Records one error at `now`; true when it is the `limit`-th within the window: time to close. */
  record(now: number): boolean {
    if (this.limit <= 0) return false;
    this.#times[this.#next] = now;
    this.#next = (this.#next + 1) % this.limit;
    if (this.#filled < this.limit) this.#filled++;
    // The ring is full: the slot after the newest holds the oldest of the last `limit` errors.
    return this.#filled === this.limit && now - this.#times[this.#next] <= this.windowMs;
  }
}
