/**
 * Where the token-bucket limiters (rate-limiter.ts, token-buckets.ts) keep their buckets: a map in
 * least-recently-used order, swept every minute of the buckets that have refilled completely
 * (forgetting those changes nothing), with a hard cap against a flood of new keys: at the cap a
 * sweep runs, and if the map is still full the least recently used tenth goes, never everyone's
 * limits at once.
 */
export interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  last: number;
}

export class BucketMap<B extends Bucket> {
  readonly #buckets = new Map<string, B>();
  readonly #sweep: NodeJS.Timeout;

  constructor(
    /** Whether `b` has refilled completely by `now` (it can then be forgotten). */
    private readonly isFull: (key: string, b: B, now: number) => boolean,
    private readonly now: () => number,
    private readonly maxBuckets: number,
  ) {
    this.#sweep = setInterval(() => this.sweep(), 60_000);
    this.#sweep.unref();
  }

  has(key: string): boolean {
    return this.#buckets.has(key);
  }

  /** The bucket for `key`, made by `create` or brought up to date by `refill` (both given the time), now the most recently used. */
  use(key: string, create: (now: number) => B, refill: (b: B, now: number) => void): B {
    const now = this.now();
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= this.maxBuckets) this.sweep();
      b = create(now);
    } else {
      refill(b, now);
      b.last = now;
      this.#buckets.delete(key); // re-inserted below: the map's order is least recently used first
    }
    this.#buckets.set(key, b);
    return b;
  }

  sweep(): void {
    const now = this.now();
    for (const [key, b] of this.#buckets) if (this.isFull(key, b, now)) this.#buckets.delete(key);
    if (this.#buckets.size >= this.maxBuckets) {
      let drop = this.#buckets.size - Math.floor(this.maxBuckets * 0.9);
      for (const key of this.#buckets.keys()) {
        if (drop-- <= 0) break;
        this.#buckets.delete(key);
      }
    }
  }

  get size(): number {
    return this.#buckets.size;
  }

  close(): void {
    clearInterval(this.#sweep);
  }
}
