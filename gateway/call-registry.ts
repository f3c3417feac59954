/**
 * Counts live calls per channel against the configured ceiling and mirrors them into metrics.
 * Transports reserve a slot before creating a pipeline so a flood of `start`s cannot exhaust workers.
 */
import type { GatewayMetrics } from './observability/metrics.ts';

export class CallRegistry {
  private readonly perChannel = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxCalls: number,
    private readonly metrics?: GatewayMetrics,
  ) {}

  tryReserve(channel: string): boolean {
    if (this.total >= this.maxCalls) return false;
    this.total++;
    this.perChannel.set(channel, (this.perChannel.get(channel) ?? 0) + 1);
    this.metrics?.activeCalls.inc({ channel });
    return true;
  }

  release(channel: string): void {
    const n = this.perChannel.get(channel) ?? 0;
    if (n <= 0) return;
    this.perChannel.set(channel, n - 1);
    this.total--;
    this.metrics?.activeCalls.dec({ channel });
  }

  get active(): number {
    return this.total;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.perChannel);
  }
}
