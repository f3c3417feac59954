import t from 'tap';
import { Gauge } from 'prom-client';
import { startTestGateway } from '../helpers/gateway.ts';
import { TestClient } from '../helpers/ws-client.ts';

const METRICS_TOKEN = 'metrics-token-0123456789';
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
/** The anonymous answer: the status alone (`degraded` when a loaded machine lags the event loop). */
const statusOnly = async (res: Response) => {
  const body = (await res.json()) as Record<string, unknown>;
  return Object.keys(body).length === 1 && (body.status === 'ok' || body.status === 'degraded');
};

t.test('/health reports every component to the metrics token and /metrics speaks Prometheus to it', async (t) => {
  const gw = await startTestGateway({ METRICS_TOKEN });
  t.teardown(() => gw.stop());
  const res = await fetch(`${gw.http}/health`, bearer(METRICS_TOKEN));
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /application\/json/);
  t.equal(res.headers.get('x-content-type-options'), 'nosniff');
  const body = (await res.json()) as { status: string; components: Record<string, { status: string }> };
  t.match(body.status, /^(ok|degraded)$/, 'degraded when a loaded machine lags the event loop');
  for (const name of ['gateway', 'event_loop', 'dsp', 'pipeline']) t.ok(body.components[name]?.status, `component ${name}`);

  const c = new TestClient(gw.url, gw.token);
  await c.start('mulaw', 8000);
  for (let i = 0; i < 5; i++) c.ws.send(Buffer.alloc(160, 0xff));
  await c.waitFor((r) => r.frames.length > 0, 'an echoed frame');
  const metrics = await (await fetch(`${gw.http}/metrics`, bearer(METRICS_TOKEN))).text();
  t.match(metrics, /voice_active_calls\{channel="ws"\} 1/);
  t.match(metrics, /voice_frames_in_total\{channel="ws"\} [1-9]/);
  t.match(metrics, /voice_frames_out_total\{channel="ws"\} [1-9]/);
  t.match(metrics, /voice_event_loop_lag_ms\{quantile="0.99"\}/);
  t.match(metrics, /# TYPE voice_stage_latency_ms histogram/);
  t.match(metrics, /process_resident_memory_bytes/);
  // Frames are tallied as plain numbers and folded in at each scrape: the counter keeps growing.
  const count = (text: string, dir: string) => Number(new RegExp(`voice_frames_${dir}_total\\{channel="ws"\\} (\\d+)`).exec(text)?.[1]);
  const firstIn = count(metrics, 'in');
  t.equal(firstIn, 5, 'five frames in');
  for (let i = 0; i < 3; i++) c.ws.send(Buffer.alloc(160, 0xff));
  await c.waitFor((r) => r.frames.length >= 8, 'eight echoed frames');
  const again = await (await fetch(`${gw.http}/metrics`, bearer(METRICS_TOKEN))).text();
  t.equal(count(again, 'in'), 8, 'eight after three more: not reset by the first scrape');
  t.ok(count(again, 'out') >= 8, 'frames out counted across scrapes too');
  c.ws.close();
  await c.closed;
});

t.test('anonymous callers: /health says only the status, /metrics is refused saying how to enable it', async (t) => {
  const gw = await startTestGateway();
  t.teardown(() => gw.stop());
  const health = await fetch(`${gw.http}/health`);
  t.equal(health.status, 200);
  t.ok(await statusOnly(health), 'no components, no uptime, no versions');
  const metrics = await fetch(`${gw.http}/metrics`);
  t.equal(metrics.status, 401);
  t.equal(metrics.headers.get('www-authenticate'), 'Bearer');
  t.match(await metrics.json(), { error: { code: 'unauthorized', message: /METRICS_TOKEN.*METRICS_PORT/ } });
  t.notMatch(await (await fetch(`${gw.http}/metrics`, bearer(METRICS_TOKEN))).text(), /voice_/, 'no token is configured, so none is accepted');
});

t.test('with METRICS_TOKEN: a wrong bearer is 401 on both; no bearer still gets the status', async (t) => {
  const gw = await startTestGateway({ METRICS_TOKEN });
  t.teardown(() => gw.stop());
  t.equal((await fetch(`${gw.http}/metrics`)).status, 401);
  t.equal((await fetch(`${gw.http}/metrics`, bearer('metrics-token-but-wrong'))).status, 401);
  t.equal((await fetch(`${gw.http}/health`, bearer('metrics-token-but-wrong'))).status, 401, 'a misconfigured scraper notices');
  t.ok(await statusOnly(await fetch(`${gw.http}/health`)));
});

t.test('with METRICS_PORT: metrics on their own listener (open there, or behind the token), not on the public port', async (t) => {
  const open = await startTestGateway({ METRICS_PORT: '0' });
  t.teardown(() => open.stop());
  const side = `http://127.0.0.1:${open.gateway.metricsPort}`;
  t.equal((await fetch(`${open.http}/metrics`)).status, 404, 'not on the public port');
  t.match(await (await fetch(`${side}/metrics`)).text(), /voice_active_calls/, 'open on the metrics listener');
  t.ok(((await (await fetch(`${side}/health`)).json()) as { components?: object }).components, 'the full /health there');
  t.ok(await statusOnly(await fetch(`${open.http}/health`)), 'the public port still tells only the status');
  t.equal((await fetch(`${side}/ws/voice`)).status, 404, 'nothing else on the metrics listener');

  const guarded = await startTestGateway({ METRICS_PORT: '0', METRICS_TOKEN });
  t.teardown(() => guarded.stop());
  const guardedSide = `http://127.0.0.1:${guarded.gateway.metricsPort}`;
  t.equal((await fetch(`${guardedSide}/metrics`)).status, 401, 'a token set is asked for there too');
  t.equal((await fetch(`${guardedSide}/metrics`, bearer(METRICS_TOKEN))).status, 200);
  t.ok(await statusOnly(await fetch(`${guardedSide}/health`)));
});

t.test('unknown routes get a JSON 404 in the one error format', async (t) => {
  const gw = await startTestGateway();
  t.teardown(() => gw.stop());
  const res = await fetch(`${gw.http}/nope`, { method: 'POST' });
  t.equal(res.status, 404);
  t.same(await res.json(), { error: { code: 'not_found', message: 'no route for POST /nope' } });
});

t.test('a handler that throws answers 500 with an error id, never the error text', async (t) => {
  const gw = await startTestGateway({ METRICS_TOKEN });
  t.teardown(() => gw.stop());
  new Gauge({
    name: 'test_failing_gauge',
    help: 'throws on every scrape',
    registers: [gw.gateway.metrics.registry],
    collect() {
      throw new Error('cannot read /srv/data/secret.key');
    },
  });
  const res = await fetch(`${gw.http}/metrics`, bearer(METRICS_TOKEN));
  t.equal(res.status, 500);
  const body = (await res.json()) as { error: { code: string; message: string; details: { error_id: string } } };
  t.equal(body.error.code, 'internal');
  t.match(body.error.details.error_id, /^[0-9a-f]{10}$/);
  t.notMatch(JSON.stringify(body), /secret|\/srv/, 'the error text stays in the log');
});
