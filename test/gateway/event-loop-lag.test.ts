/**
 * Event-loop lag has readers that must not cut each other's window short: Prometheus' /metrics
 * (lag since its previous scrape, which the benches rely on) and the admin dashboard and /health,
 * which read every second per open page. A stall of the loop must show in the next scrape however
 * often the dashboard looked meanwhile, and in the dashboard's figure however often it is read.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { promRegistrySource, withEventLoopLag } from '../../control/monitor/metrics-source.ts';
import { RollingLagMonitor } from '../../gateway/observability/event-loop-monitor.ts';
import { GatewayMetrics } from '../../gateway/observability/metrics.ts';

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
  await metrics.render(); // a scrape: the window starts now
  await sleep(30); // the lag histogram samples on its own timer: let it run before the stall
  stallLoop(STALL_MS);
  await sleep(30);
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
  await sleep(30);
  stallLoop(STALL_MS);
  await sleep(30);
  const first = lag.snapshot();
  const second = lag.snapshot();
  t.ok(first.max_ms >= STALL_MS - 50, `the stall is seen (${first.max_ms} ms)`);
  t.ok(second.max_ms >= first.max_ms, 'and still seen by the next reader');
});
