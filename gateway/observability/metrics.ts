/**
 * Prometheus metrics for one gateway instance. A registry per instance (not prom-client's global)
 * so tests and benches can run several gateways in one process without name clashes.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TurnMetrics } from '../../pipeline/call-pipeline.ts';
import { EventLoopMonitor, RollingLagMonitor } from './event-loop-monitor.ts';

/** Latency names from DESIGN.md; each becomes a `stage` label value. */
export const STAGES = ['endpoint_ms', 'stt_final_ms', 'llm_ttft_ms', 'tts_ttfa_ms', 'v2v_ms', 'barge_in_ms'] as const;

export interface FrameTally {
  in: number;
  out: number;
}

export class GatewayMetrics {
  /** Everything but the scrape-window lag gauge: safe for any reader (the admin monitor reads it every second). */
  readonly registry = new Registry();
  /**
   * Event-loop lag since the previous /metrics scrape (`voice_event_loop_lag_ms`): its own registry,
   * because reading it starts a new window, and only the /metrics scrape may do that (the benches
   * scrape once before a measured phase and once after it).
   */
  private readonly scrapeRegistry = new Registry();
  readonly eventLoop = new EventLoopMonitor();
  /** Lag over the last 5-10 s, for /health and the admin monitor: reading it changes nothing. */
  readonly recentLag = new RollingLagMonitor();
  readonly activeCalls: Gauge<'channel'>;
  readonly framesIn: Counter<'channel'>;
  readonly framesOut: Counter<'channel'>;
  readonly framesDropped: Counter<'channel' | 'reason'>;
  readonly wsConnections: Gauge;
  readonly wsClosed: Counter<'code'>;
  readonly protocolErrors: Counter<'code'>;
  readonly stageLatency: Histogram<'stage'>;
  /**
   * Frames counted on the hot path as plain numbers per channel, folded into voice_frames_in/out
   * at scrape time: a labelled inc() per frame (label hashing, value checks) cost ~2% of a
   * 500-call echo gateway's CPU.
   */
  private readonly tallies = new Map<string, FrameTally>();

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    this.activeCalls = new Gauge({ name: 'voice_active_calls', help: 'Calls in progress', labelNames: ['channel'], registers });
    const tallies = this.tallies;
    this.framesIn = new Counter({
      name: 'voice_frames_in_total',
      help: 'Caller audio frames received',
      labelNames: ['channel'],
      registers,
      collect() {
        for (const [channel, t] of tallies) if (t.in) this.inc({ channel }, t.in), (t.in = 0);
      },
    });
    this.framesOut = new Counter({
      name: 'voice_frames_out_total',
      help: 'Reply audio frames sent',
      labelNames: ['channel'],
      registers,
      collect() {
        for (const [channel, t] of tallies) if (t.out) this.inc({ channel }, t.out), (t.out = 0);
      },
    });
    this.framesDropped = new Counter({
      name: 'voice_frames_dropped_total',
      help: 'Audio frames dropped, by reason',
      labelNames: ['channel', 'reason'],
      registers,
    });
    this.wsConnections = new Gauge({ name: 'voice_ws_connections', help: 'Open voice WebSocket connections', registers });
    this.wsClosed = new Counter({ name: 'voice_ws_closed_total', help: 'Voice WebSocket closes by close code', labelNames: ['code'], registers });
    this.protocolErrors = new Counter({
      name: 'voice_protocol_errors_total',
      help: 'Error events sent to voice clients, by error code',
      labelNames: ['code'],
      registers,
    });
    this.stageLatency = new Histogram({
      name: 'voice_stage_latency_ms',
      help: 'Per-turn latency by stage (DESIGN.md names), milliseconds',
      labelNames: ['stage'],
      buckets: [5, 10, 20, 40, 60, 80, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000],
      registers,
    });
    const loop = this.eventLoop;
    new Gauge({
      name: 'voice_event_loop_lag_ms',
      help: 'Event-loop lag since the previous scrape, by quantile',
      labelNames: ['quantile'],
      registers: [this.scrapeRegistry],
      collect() {
        const s = loop.snapshot();
        this.set({ quantile: '0.5' }, s.p50_ms);
        this.set({ quantile: '0.99' }, s.p99_ms);
        this.set({ quantile: '1' }, s.max_ms);
        loop.reset();
      },
    });
  }

  /** The hot-path frame counters of one channel (bump `in` / `out`; read through the counters). */
  frameTally(channel: string): FrameTally {
    let t = this.tallies.get(channel);
    if (!t) this.tallies.set(channel, (t = { in: 0, out: 0 }));
    return t;
  }

  observeTurn(metrics: TurnMetrics): void {
    for (const stage of STAGES) {
      const v = metrics[stage];
      if (typeof v === 'number' && Number.isFinite(v)) this.stageLatency.observe({ stage }, v);
    }
  }

  /** The /metrics answer: every metric, and the lag since the previous scrape (which starts a new window). */
  async render(): Promise<{ contentType: string; body: string }> {
    const [all, lag] = await Promise.all([this.registry.metrics(), this.scrapeRegistry.metrics()]);
    return { contentType: this.registry.contentType, body: all + lag };
  }

  stop(): void {
    this.eventLoop.stop();
    this.recentLag.stop();
  }
}
