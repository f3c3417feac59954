/**
 * Event-loop lag has readers that must not cut each other's window short: Prometheus' /metrics
 * (lag since its previous scrape, which the benches rely on) and the admin dashboard and /health,
 * which read every second per open page. A stall of the loop must show in the next scrape however
 * often the dashboard looked meanwhile, and in the dashboard's figure however often it is read.
 */
import t from 'tap';
import { promRegistrySource, withEventLoopLag } from '../../control/monitor/metrics-source.ts';
import { RollingLagMonitor } from '../../gateway/observability/event-loop-monitor.ts';
import { GatewayMetrics } from '../../gateway/observability/metrics.ts';
import { until } from '../helpers/until.ts';

const STALL_MS = 400;

/** Holds the event loop, as a long synchronous task in the gateway would. */
function stallLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

const scrapedMax = (body: string) => Number(/voice_event_loop_lag_ms\{quantile="1"\} ([0-9.e+-]+)/.exec(body)?.[1] ?? NaN);

t.test('dashboard reads do not reset the lag a Prometheus scrape reports', async (t) => {
  const metrics = new GatewayMetrics();
  t.teardown(() => metrics.stop());
  // A histogram measures the gap between two of its timer's ticks: the stall must come after a first tick.
  await until('the histograms sampling', () => metrics.recentLag.snapshot().samples >= 2);
  await metrics.render(); // a scrape: the window starts now
  await until('the scrape window sampling', () => metrics.eventLoop.snapshot().samples >= 2);
  stallLoop(STALL_MS);
  // The histograms sample on their own timers, which fire once the loop is free again.
  await until('the stall sampled', () => metrics.recentLag.snapshot().max_ms >= STALL_MS - 50);
  const monitor = withEventLoopLag(promRegistrySource(metrics.registry), metrics.recentLag);
  const seen = await monitor.snapshot();
  await monitor.snapshot();
  t.ok(seen['voice_event_loop_lag_ms{quantile="1"}']! >= STALL_MS - 50, `the dashboard sees the stall (${seen['voice_event_loop_lag_ms{quantile="1"}']} ms)`);
  const { body } = await metrics.render();
  t.ok(scrapedMax(body) >= STALL_MS - 50, `the next scrape still reports it after two dashboard reads (${scrapedMax(body)} ms)`);
  t.equal(body.match(/^# TYPE voice_event_loop_lag_ms gauge$/gm)?.length, 1, 'the lag gauge appears once in /metrics');
  t.match(body, /^# TYPE voice_active_calls gauge$/m, 'with every other metric');
});

t.test('the rolling lag is the same for every reader: reading it resets nothing', async (t) => {
  const lag = new RollingLagMonitor(60_000);
  t.teardown(() => lag.stop());
  await until('the histogram sampling', () => lag.snapshot().samples >= 2);
  stallLoop(STALL_MS);
  await until('the stall sampled', () => lag.snapshot().max_ms >= STALL_MS - 50);
  const first = lag.snapshot();
  const second = lag.snapshot();
  t.ok(first.max_ms >= STALL_MS - 50, `the stall is seen (${first.max_ms} ms)`);
  t.ok(second.max_ms >= first.max_ms, 'and still seen by the next reader');
});
