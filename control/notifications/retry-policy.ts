/**
 * When a failed delivery is tried again: exponential backoff from `minMs`, doubling per attempt up
 * to `maxMs`, with "equal jitter" (half the delay fixed, half random), so deliveries that failed
 * together (a target that was down) do not all come back at the same moment; after `maxAttempts`
 * the delivery fails for good (and can be retried by hand).
 */
export interface RetryPolicy {
  minMs: number;
  maxMs: number;
  maxAttempts: number;
}

/** The delay after attempt number `attempt` (1 for the first) failed. */
export function retryDelayMs(attempt: number, p: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(p.maxMs, p.minMs * 2 ** Math.min(Math.max(0, attempt - 1), 40));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
