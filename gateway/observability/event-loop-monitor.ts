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

/**
 * Event-loop lag over the last `windowMs` to 2 x `windowMs`, the same for every reader: windows
 * turn on a timer, never on a read, so the admin dashboard (one snapshot per open page per second),
 * /health and a Prometheus scrape cannot shorten each other's window. p99 and max are the larger
 * of the finished and the current window's; p50 the current's once it has enough samples.
 */
export class RollingLagMonitor {
  private readonly current: EventLoopMonitor;
  private previous: LagSnapshot | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(readonly windowMs = 5000, resolutionMs = 10) {
    this.current = new EventLoopMonitor(resolutionMs);
    this.timer = setInterval(() => {
      this.previous = this.current.snapshot();
      this.current.reset();
    }, windowMs);
    this.timer.unref();
  }

  snapshot(): LagSnapshot {
    const now = this.current.snapshot();
    const before = this.previous;
    if (!before) return now;
    return {
      p50_ms: now.samples >= 100 ? now.p50_ms : before.p50_ms,
      p99_ms: Math.max(now.p99_ms, before.p99_ms),
      max_ms: Math.max(now.max_ms, before.max_ms),
      samples: now.samples + before.samples,
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.current.stop();
  }
}
