/**
 * Each widget instance's own message limits: per visitor session and per client address, both per
 * minute, as the admin set them on the instance (so they change with it, at once). A message needs
 * a token from both and takes neither when one is empty (control/http/token-buckets.ts).
 */
import { rateLimitKey } from '../http/client-ip.ts';
import type { RateDecision } from '../http/rate-limiter.ts';
import { TokenBuckets } from '../http/token-buckets.ts';

export class VisitorRateLimits extends TokenBuckets {
  /** Take one message from the session's and the address's allowance, or say when to try again. */
  takeMessage(limits: { instanceId: number; sessionId: number | null; ip: string; sessionPerMin: number; ipPerMin: number }): RateDecision {
    const keys: Array<[string, number]> = [[`${limits.instanceId}|ip|${rateLimitKey(limits.ip)}`, limits.ipPerMin]];
    if (limits.sessionId !== null) keys.push([`${limits.instanceId}|s|${limits.sessionId}`, limits.sessionPerMin]);
    return this.take(keys);
  }
}
