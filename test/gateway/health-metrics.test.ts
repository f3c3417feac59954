import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';
import { TestClient } from '../helpers/ws-client.ts';

t.test('/health reports every component and /metrics speaks Prometheus', async (t) => {
  const gw = await startTestGateway();
  t.teardown(() => gw.stop());
  const res = await fetch(`${gw.http}/health`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /application\/json/);
  t.equal(res.headers.get('x-content-type-options'), 'nosniff');
  const body = (await res.json()) as { status: string; components: Record<string, { status: string }> };
  t.equal(body.status, 'ok');
  for (const name of ['gateway', 'event_loop', 'dsp', 'pipeline']) t.ok(body.components[name]?.status, `component ${name}`);

  const c = new TestClient(gw.url, gw.token);
  await c.start('mulaw', 8000);
  for (let i = 0; i < 5; i++) c.ws.send(Buffer.alloc(160, 0xff));
  await c.waitFor((r) => r.frames.length > 0, 'an echoed frame');
  const metrics = await (await fetch(`${gw.http}/metrics`)).text();
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
  const again = await (await fetch(`${gw.http}/metrics`)).text();
  t.equal(count(again, 'in'), 8, 'eight after three more: not reset by the first scrape');
  t.ok(count(again, 'out') >= 8, 'frames out counted across scrapes too');
  c.ws.close();
  await c.closed;
});

t.test('unknown routes get a JSON 404 in the one error format', async (t) => {
  const gw = await startTestGateway();
  t.teardown(() => gw.stop());
  const res = await fetch(`${gw.http}/nope`, { method: 'POST' });
  t.equal(res.status, 404);
  t.same(await res.json(), { error: { code: 'not_found', message: 'no route for POST /nope' } });
});
