/**
 * Per-minute allowances kept as token buckets that refill continuously, for limits an admin sets
 * per thing (a widget instance's per-session and per-address limits, a Telegram bot's per-user
 * limit): a request names the buckets it needs with each one's rate, takes one token from every
 * one of them, and takes none when one is empty. The rate travels with the request, so a changed
 * limit applies at once. Buckets that have refilled are swept, and a hard cap keeps a flood of new
 * keys from growing memory (the least recently used go first, as in rate-limiter.ts).
 */
import type { RateDecision } from './rate-limiter.ts';

interface Bucket {
  tokens: number;
  last: number;
  perMin: number;
}

const MAX_BUCKETS = 100_000;

export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();
  readonly #sweep: NodeJS.Timeout;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly maxBuckets = MAX_BUCKETS,
  ) {
    this.#sweep = setInterval(() => this.sweep(), 60_000);
    this.#sweep.unref();
  }

  /** One token from each of `keys` (`[key, tokens per minute]`), or, when one is empty, when to try again. */
  take(keys: ReadonlyArray<readonly [string, number]>): RateDecision {
    const buckets = keys.map(([key, perMin]) => this.#bucket(key, perMin));
    const empty = buckets.filter((b) => b.tokens < 1);
    if (empty.length) return { ok: false, retryAfterS: Math.max(...empty.map((b) => ((1 - b.tokens) * 60) / b.perMin)) };
    for (const b of buckets) b.tokens -= 1;
    return { ok: true, retryAfterS: 0 };
  }

  #bucket(key: string, perMin: number): Bucket {
    const t = this.now();
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= this.maxBuckets) this.sweep();
      b = { tokens: perMin, last: t, perMin };
    } else {
      b.tokens = Math.min(b.perMin, b.tokens + ((t - b.last) / 60_000) * b.perMin);
      // The admin changed the limit: what was used in the last minute stays used, under the new limit, now.
      if (b.perMin !== perMin) b.tokens = Math.max(0, b.tokens + perMin - b.perMin);
      b.perMin = perMin;
      b.last = t;
      this.#buckets.delete(key); // re-inserted: the map's order is least recently used first
    }
    this.#buckets.set(key, b);
    return b;
  }

  sweep(): void {
    const t = this.now();
    for (const [key, b] of this.#buckets) if (b.tokens + ((t - b.last) / 60_000) * b.perMin >= b.perMin) this.#buckets.delete(key);
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
