/**
 * Per-minute allowances kept as token buckets that refill continuously, for limits an admin sets
 * per thing (a widget instance's per-session and per-address limits, a Telegram bot's per-user
 * limit): a request names the buckets it needs with each one's rate, takes one token from every
 * one of them, and takes none when one is empty. The rate travels with the request, so a changed
 * limit applies at once. Buckets that have refilled are swept, and a hard cap keeps a flood of new
 * keys from growing memory (the least recently used go first: bucket-map.ts).
 */
import { BucketMap, type Bucket } from './bucket-map.ts';
import type { RateDecision } from './rate-limiter.ts';

interface PerMinuteBucket extends Bucket {
  perMin: number;
}

const MAX_BUCKETS = 100_000;

export class TokenBuckets {
  readonly #buckets: BucketMap<PerMinuteBucket>;

  constructor(now: () => number = () => performance.now(), maxBuckets = MAX_BUCKETS) {
    this.#buckets = new BucketMap<PerMinuteBucket>((_key, b, t) => b.tokens + ((t - b.last) / 60_000) * b.perMin >= b.perMin, now, maxBuckets);
  }

  /** One token from each of `keys` (`[key, tokens per minute]`), or, when one is empty, when to try again. */
  take(keys: ReadonlyArray<readonly [string, number]>): RateDecision {
    const buckets = keys.map(([key, perMin]) => this.#bucket(key, perMin));
    const empty = buckets.filter((b) => b.tokens < 1);
    if (empty.length) return { ok: false, retryAfterS: Math.max(...empty.map((b) => ((1 - b.tokens) * 60) / b.perMin)) };
    for (const b of buckets) b.tokens -= 1;
    return { ok: true, retryAfterS: 0 };
  }

  #bucket(key: string, perMin: number): PerMinuteBucket {
    return this.#buckets.use(
      key,
      (t) => ({ tokens: perMin, last: t, perMin }),
      (b, t) => {
        b.tokens = Math.min(b.perMin, b.tokens + ((t - b.last) / 60_000) * b.perMin);
        // The admin changed the limit: what was used in the last minute stays used, under the new limit, now.
        if (b.perMin !== perMin) b.tokens = Math.max(0, b.tokens + perMin - b.perMin);
        b.perMin = perMin;
      },
    );
  }

  sweep(): void {
    this.#buckets.sweep();
  }

  get size(): number {
    return this.#buckets.size;
  }

  close(): void {
    this.#buckets.close();
  }
}
