/**
 * Failed WebSocket upgrades per client IP (a missing or wrong token). After `limit` of them the IP
 * is answered 429 before any token is looked at, until its budget refills: a token bucket, so with
 * 60/min one more try gets through every second and a guesser gets sixty guesses a minute, not
 * thousands (the tokens are 192-bit: the limit is against floods, not a realistic guess). One
 * guard serves every WebSocket of the app (the voice path and /admin/tts/ws/stream), so guessing at
 * one spends the budget of both. An upgrade to a path with no socket (a scanner probing /ws) is a
 * plain 404 and spends nothing: behind a NAT, or a reverse proxy without TRUST_PROXY, every client
 * shares one address, and a scan must not lock the valid ones out.
 */
import { parseRateSpec, type RateSpec } from '../config.ts';
import { type HttpError, tooManyRequests } from './errors.ts';
import { clientIp } from './client-ip.ts';
import { RateLimiter } from './rate-limiter.ts';

/** The part of a logger the guard uses. */
interface WarnLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** The default of WS_UPGRADE_FAILURE_LIMIT (README). */
export const DEFAULT_UPGRADE_FAILURE_LIMIT = '60/min';

export class UpgradeGuard {
  readonly #failures: RateLimiter<'upgrade_failures'>;
  #warnedForwarded = false;

  /** `spec` null: no limit. `log`: told once when upgrades come through a proxy that is not trusted. */
  constructor(
    spec: RateSpec | null = parseRateSpec(DEFAULT_UPGRADE_FAILURE_LIMIT),
    now?: () => number,
    private readonly log?: WarnLog,
  ) {
    this.#failures = new RateLimiter({ upgrade_failures: spec }, now);
  }

  /**
   * The client an upgrade counts for (client-ip.ts). An upgrade carrying X-Forwarded-For while
   * TRUST_PROXY is off came through a proxy: every client then has the proxy's address and shares
   * one budget, so the first such upgrade is logged once, naming TRUST_PROXY.
   */
  client(remote: string, forwardedFor: string | undefined, trustProxy: boolean): string {
    if (forwardedFor && !trustProxy && !this.#warnedForwarded) {
      this.#warnedForwarded = true;
      this.log?.warn(
        { proxy: clientIp(remote, undefined, false) },
        'WebSocket upgrades carry X-Forwarded-For but TRUST_PROXY is off: every client behind that proxy counts as the proxy, sharing one failed-upgrade budget (set TRUST_PROXY=1 if the proxy is yours)',
      );
    }
    return clientIp(remote, forwardedFor, trustProxy);
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
