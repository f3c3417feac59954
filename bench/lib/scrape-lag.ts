/**
 * The gateway's event-loop lag as its own /metrics reports it. /metrics is never anonymous on the
 * public port, so the benches start their gateways with this METRICS_TOKEN (the baseline servers
 * ignore the header).
 */
export const BENCH_METRICS_TOKEN = 'bench-metrics-token-0123456789';

export async function scrapeLag(port: number): Promise<{ p50: number; p99: number; max: number }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } });
  const text = await res.text();
  const q = (quantile: string) => Number(new RegExp(`voice_event_loop_lag_ms\\{quantile="${quantile}"\\} ([0-9.e+-]+)`).exec(text)?.[1] ?? NaN);
  return { p50: q('0.5'), p99: q('0.99'), max: q('1') };
}
