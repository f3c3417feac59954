/**
 * Where the monitor's live figures come from. The control plane knows nothing of the gateway's
 * metrics; the gateway hands it a MetricsSource (ControlPlaneOptions.metrics or
 * cp.setMetricsSource). `promRegistrySource` adapts any prom-client Registry (the gateway's
 * `GatewayMetrics.registry`) without importing prom-client here. Without a source, the monitor
 * reports this process's own figures (memory, CPU, event-loop delay) and the control plane's.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** A flat snapshot: `name` or `name{label="v",...}` -> number. */
export type MetricsSnapshot = Record<string, number>;

export interface MetricsSource {
  snapshot(): Promise<MetricsSnapshot> | MetricsSnapshot;
}

/** The part of prom-client's Registry we read (structural, so no import of prom-client). */
export interface PromRegistryLike {
  getMetricsAsJSON(): Promise<Array<{ name: string; type?: unknown; values?: Array<{ value: number; labels?: Partial<Record<string, string | number>>; metricName?: string }> }>>;
}

const labelText = (labels: Partial<Record<string, string | number>> | undefined) => {
  const entries = Object.entries(labels ?? {}).filter(([, v]) => v !== undefined);
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${v}"`).join(',')}}` : '';
};

/** Every sample of every metric (histogram buckets left out: sums and counts are kept). */
export function promRegistrySource(registry: PromRegistryLike): MetricsSource {
  return {
    async snapshot() {
      const out: MetricsSnapshot = {};
      for (const m of await registry.getMetricsAsJSON()) {
        for (const v of m.values ?? []) {
          const name = v.metricName ?? m.name;
          if (name.endsWith('_bucket') || !Number.isFinite(v.value)) continue;
          out[name + labelText(v.labels)] = v.value;
        }
      }
      return out;
    },
  };
}

/** Something that reports recent event-loop lag without resetting it (the gateway's RollingLagMonitor). */
export interface LagReader {
  snapshot(): { p50_ms: number; p99_ms: number; max_ms: number };
}

/**
 * `source` plus the gateway's recent event-loop lag under the names /metrics gives it
 * (`voice_event_loop_lag_ms{quantile=...}`), read from a monitor that every reader may read.
 */
export function withEventLoopLag(source: MetricsSource, lag: LagReader): MetricsSource {
  return {
    async snapshot() {
      const s = lag.snapshot();
      return {
        ...(await source.snapshot()),
        'voice_event_loop_lag_ms{quantile="0.5"}': s.p50_ms,
        'voice_event_loop_lag_ms{quantile="0.99"}': s.p99_ms,
        'voice_event_loop_lag_ms{quantile="1"}': s.max_ms,
      };
    },
  };
}

/** This process: memory, CPU share since the last snapshot, event-loop delay percentiles. */
export function processMetricsSource(): MetricsSource & { close(): void } {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  return {
    snapshot() {
      const mem = process.memoryUsage();
      const cpu = process.cpuUsage();
      const now = performance.now();
      const cpuShare = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000 / Math.max(1, now - lastAt);
      lastCpu = cpu;
      lastAt = now;
      const snap = {
        process_rss_bytes: mem.rss,
        process_heap_used_bytes: mem.heapUsed,
        process_cpu_cores: Math.round(cpuShare * 1000) / 1000,
        event_loop_delay_p50_ms: loop.percentile(50) / 1e6,
        event_loop_delay_p99_ms: loop.percentile(99) / 1e6,
        event_loop_delay_max_ms: loop.max / 1e6,
        process_uptime_s: Math.round(process.uptime()),
      };
      loop.reset();
      return snap;
    },
    close: () => loop.disable(),
  };
}
