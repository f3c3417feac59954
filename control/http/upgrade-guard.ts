/**
 * Failed WebSocket upgrades per client IP (a missing or wrong token, a path with no socket behind
 * it). After `limit` of them the IP is answered 429 before any token is looked at, until its budget
 * refills: a token bucket, so with 10/min one more try gets through every 6 s and a guesser gets
 * ten guesses a minute, not thousands. One guard serves every WebSocket of the app (the voice path
 * and /admin/tts/ws/stream), so guessing at one spends the budget of both.
 */
import { parseRateSpec, type RateSpec } from '../config.ts';
import { type HttpError, tooManyRequests } from './errors.ts';
import { RateLimiter } from './rate-limiter.ts';

/** The default of WS_UPGRADE_FAILURE_LIMIT (README). */
export const DEFAULT_UPGRADE_FAILURE_LIMIT = '10/min';

export class UpgradeGuard {
  readonly #failures: RateLimiter<'upgrade_failures'>;

  /** `spec` null: no limit. */
  constructor(spec: RateSpec | null = parseRateSpec(DEFAULT_UPGRADE_FAILURE_LIMIT), now?: () => number) {
    this.#failures = new RateLimiter({ upgrade_failures: spec }, now);
  }

  /** The 429 for an IP that has failed too often (with Retry-After), or null when it may try. */
  refusal(ip: string): HttpError | null {
    const d = this.#failures.check('upgrade_failures', ip);
    return d.ok ? null : tooManyRequests('too_many_failed_upgrades', 'too many failed connection attempts from this address; try again later', d.retryAfterS);
  }

  /** An upgrade from this IP was refused. */
  failed(ip: string): void {
    this.#failures.take('upgrade_failures', ip);
  }

  close(): void {
    this.#failures.close();
  }
}
