/**
 * Token buckets per (client, class), a client being an IPv4 address or an IPv6 /64
 * (client-ip.ts rateLimitKey). A bucket holds up to `capacity` tokens and refills continuously; a
 * request takes one. Idle buckets refill to full and are swept, so memory stays proportional to
 * the clients seen in the last few minutes, with a hard cap against address floods: past it the
 * buckets used least recently go first (a full one changes nothing when forgotten; a drained one
 * only if the flood outlasted the client's own use of it), never everyone's limits at once
 * (bucket-map.ts).
 * The classes are the routes' (RateClass) unless another set is given (see upgrade-guard.ts).
 */
import type { RateClass, RateSpec } from '../config.ts';
import { BucketMap, type Bucket } from './bucket-map.ts';
import { rateLimitKey } from './client-ip.ts';

export interface RateDecision {
  ok: boolean;
  /** Seconds until one token is available (when refused). */
  retryAfterS: number;
}

const MAX_BUCKETS = 100_000;

export class RateLimiter<C extends string = RateClass> {
  readonly #buckets: BucketMap<Bucket>;

  constructor(
    private readonly specs: Record<C, RateSpec | null>,
    now: () => number = () => performance.now(),
    maxBuckets = MAX_BUCKETS,
  ) {
    this.#buckets = new BucketMap<Bucket>(
      (key, b, t) => {
        const spec = this.specs[key.slice(0, key.indexOf('|')) as C];
        return !spec || b.tokens + ((t - b.last) / 1000) * spec.refillPerSecond >= spec.capacity;
      },
      now,
      maxBuckets,
    );
  }

  take(rateClass: C, clientKey: string): RateDecision {
    const b = this.#bucket(rateClass, clientKey);
    if (!b || b.tokens < 1) return this.#decision(rateClass, b);
    b.tokens -= 1;
    return { ok: true, retryAfterS: 0 };
  }

  /** What `take` would answer, without taking a token. */
  check(rateClass: C, clientKey: string): RateDecision {
    // A client not seen lately has a full bucket: no need to make one just to look at it.
    if (!this.#buckets.has(`${rateClass}|${rateLimitKey(clientKey)}`)) return { ok: true, retryAfterS: 0 };
    return this.#decision(rateClass, this.#bucket(rateClass, clientKey));
  }

  #decision(rateClass: C, b: Bucket | null): RateDecision {
    if (!b || b.tokens >= 1) return { ok: true, retryAfterS: 0 };
    return { ok: false, retryAfterS: (1 - b.tokens) / this.specs[rateClass]!.refillPerSecond };
  }

  /** The bucket refilled to now (created full), or null when the class is unlimited. */
  #bucket(rateClass: C, clientKey: string): Bucket | null {
    const spec = this.specs[rateClass];
    if (!spec) return null;
    return this.#buckets.use(
      `${rateClass}|${rateLimitKey(clientKey)}`,
      (t) => ({ tokens: spec.capacity, last: t }),
      (b, t) => void (b.tokens = Math.min(spec.capacity, b.tokens + ((t - b.last) / 1000) * spec.refillPerSecond)),
    );
  }

  /** Drop buckets that have refilled completely: forgetting them changes nothing. */
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
