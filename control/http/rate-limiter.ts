/**
 * Token buckets per (client IP, route class). A bucket holds up to `capacity` tokens and refills
 * continuously; a request takes one. Idle buckets refill to full and are swept, so memory stays
 * proportional to the clients seen in the last few minutes, with a hard cap against IP floods.
 */
import type { RateClass, RateSpec } from '../config.ts';

interface Bucket {
  tokens: number;
  last: number;
}

export interface RateDecision {
  ok: boolean;
  /** Seconds until one token is available (when refused). */
  retryAfterS: number;
}

const MAX_BUCKETS = 100_000;

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #sweep: NodeJS.Timeout;

  constructor(
    private readonly specs: Record<RateClass, RateSpec | null>,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#sweep = setInterval(() => this.sweep(), 60_000);
    this.#sweep.unref();
  }

  take(rateClass: RateClass, clientKey: string): RateDecision {
    const spec = this.specs[rateClass];
    if (!spec) return { ok: true, retryAfterS: 0 };
    const key = `${rateClass}|${clientKey}`;
    const t = this.now();
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= MAX_BUCKETS) this.sweep();
      b = { tokens: spec.capacity, last: t };
      this.#buckets.set(key, b);
    } else {
      b.tokens = Math.min(spec.capacity, b.tokens + ((t - b.last) / 1000) * spec.refillPerSecond);
      b.last = t;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true, retryAfterS: 0 };
    }
    return { ok: false, retryAfterS: (1 - b.tokens) / spec.refillPerSecond };
  }

  /** Drop buckets that have refilled completely: forgetting them changes nothing. */
  sweep(): void {
    const t = this.now();
    for (const [key, b] of this.#buckets) {
      const spec = this.specs[key.slice(0, key.indexOf('|')) as RateClass];
      if (!spec || b.tokens + ((t - b.last) / 1000) * spec.refillPerSecond >= spec.capacity) this.#buckets.delete(key);
    }
    // Still over the cap (a flood of distinct addresses): start afresh rather than grow without bound.
    if (this.#buckets.size >= MAX_BUCKETS) this.#buckets.clear();
  }

  get size(): number {
    return this.#buckets.size;
  }

  close(): void {
    clearInterval(this.#sweep);
  }
}
