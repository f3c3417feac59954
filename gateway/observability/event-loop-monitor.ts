/**
 * Event-loop lag, the number that tells whether the gateway keeps real time. Node's histogram
 * samples the loop at `resolutionMs`; percentiles come back in nanoseconds and are reported in ms.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface LagSnapshot {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  samples: number;
}

export class EventLoopMonitor {
  private readonly histogram: IntervalHistogram;

  constructor(private readonly resolutionMs = 10) {
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
  }

  /**
   * The histogram measures the delay of a `resolutionMs` timer, so an idle loop reads about
   * `resolutionMs`; we subtract it so the figure is the lag itself.
   */
  snapshot(): LagSnapshot {
    const h = this.histogram;
    const resolutionNs = this.resolutionMs * 1e6;
    const toMs = (ns: number) => Math.max(0, (ns - resolutionNs) / 1e6);
    return {
      p50_ms: h.count ? toMs(h.percentile(50)) : 0,
      p99_ms: h.count ? toMs(h.percentile(99)) : 0,
      max_ms: h.count ? toMs(h.max) : 0,
      samples: h.count,
    };
  }

  reset(): void {
    this.histogram.reset();
  }

  stop(): void {
    this.histogram.disable();
  }
}
