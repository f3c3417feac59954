/** Calendar windows for usage limits, in UTC: a "day" limit resets at 00:00 UTC, a "month" limit on the 1st. */
import type { UsagePeriod } from '../repositories/usage.ts';

export function windowStart(period: UsagePeriod, nowMs: number): number {
  switch (period) {
    case 'minute':
      return Math.floor(nowMs / 60_000) * 60_000;
    case 'hour':
      return Math.floor(nowMs / 3_600_000) * 3_600_000;
    case 'day':
      return Math.floor(nowMs / 86_400_000) * 86_400_000;
    case 'month': {
      const d = new Date(nowMs);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
  }
}

export function windowEnd(period: UsagePeriod, nowMs: number): number {
  const start = windowStart(period, nowMs);
  if (period !== 'month') return start + { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[period];
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
