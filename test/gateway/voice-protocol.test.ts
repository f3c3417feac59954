/**
 * The WebSocket voice transport against a real gateway on loopback, through the echo pipeline:
 * audio round trips in every codec, and every kind of bad input gets its documented answer
 * without taking the process (or the connection, where it can survive) down.
 */
import t, { type Test } from 'tap';
import { WebSocket } from 'ws';
import { createWireCodec } from '../../media/codec.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/until.ts';
import { TestClient } from '../helpers/ws-client.ts';

// The default start timeout (10 s): clients that do start must never race it, however slowly a
// loaded machine connects fifty of them (bench/transport.ts reports that time as start_ms).
let gw: TestGateway;
t.before(async () => {
  gw = await startTestGateway({ VOICE_JITTER_FRAMES: '1' });
});
t.teardown(() => gw.stop());

const tone = (rate: number, ms: number, hz: number, amp = 8000) =>
  Int16Array.from({ length: (rate * ms) / 1000 }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * hz * i) / rate)));

function rms(x: Int16Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / Math.max(1, x.length));
}

async function expectAlive(t: Test, c: TestClient) {
  c.sendJson({ type: 'ping', id: 'alive' });
  await c.waitFor((r) => r.events.some((e) => e.type === 'pong' && e.id === 'alive'), 'pong');
  t.equal(c.ws.readyState, WebSocket.OPEN, 'connection survives');
}

t.test('rejects a missing or wrong token with 401 before the upgrade', async (t) => {
  for (const token of [null, 'wrong-token-wrong-token']) {
    const c = new TestClient(gw.url, token);
    await t.rejects(c.opened, /HTTP 401/);
  }
  const viaQuery = new TestClient(`${gw.url}?token=${encodeURIComponent(gw.token)}`, null);
  await viaQuery.opened;
  const viaProtocol = new TestClient(gw.url, null, { protocols: ['voice.v1', `bearer.${gw.token}`] });
  await viaProtocol.opened;
  t.equal(viaProtocol.ws.protocol, 'voice.v1', 'the non-secret subprotocol is the one selected');
  viaQuery.ws.close();
  viaProtocol.ws.close();
});

t.test('pcm16 16 kHz echoes bit-exact, one 20 ms frame per message', async (t) => {
  const c = new TestClient(gw.url, gw.token);
  const started = await c.start('pcm16', 16000);
  t.match(started, { protocol: 1, codec: 'pcm16', sample_rate: 16000, frame_ms: 20, frame_bytes: 640 });
  const sent: Buffer[] = [];
  for (let i = 0; i < 10; i++) {
    const frame = Buffer.from(tone(16000, 20, 440 + i * 10).buffer);
    sent.push(frame);
    c.ws.send(frame);
  }
  await c.waitFor((r) => r.frames.length >= 10, '10 echoed frames');
  t.ok(c.received.frames.every((f) => f.length === 640), 'every reply frame is 640 bytes');
  t.same(Buffer.concat(c.received.frames.slice(0, 10)), Buffer.concat(sent), 'echo is bit-exact');
  c.sendJson({ type: 'hangup' });
  const ev = await c.waitForEvent('hangup');
  t.equal(ev.reason, 'client_hangup');
  t.equal((await c.closed).code, 1000);
});

for (const [codec, rate, frameBytes] of [
  ['mulaw', 8000, 160],
  ['alaw', 8000, 160],
  ['pcm16', 8000, 320],
  ['pcm16', 24000, 960],
  ['pcm16', 48000, 1920],
  ['opus', 48000, null],
] as const) {
  t.test(`${codec} ${rate} Hz: a tone survives the round trip through the 16 kHz pipeline`, async (t) => {
    const c = new TestClient(gw.url, gw.token);
    const started = await c.start(codec, rate);
    t.equal(started.frame_bytes, frameBytes);
    const wire = createWireCodec(codec, rate);
    const input = tone(rate, 600, 1000);
    const n = wire.frameSamples;
    for (let off = 0; off + n <= input.length; off += n) c.ws.send(wire.encode(input.subarray(off, off + n)));
    await c.waitFor((r) => r.frames.length >= 28, 'echoed frames');
    if (frameBytes !== null) t.ok(c.received.frames.every((f) => f.length === frameBytes), `every frame is ${frameBytes} bytes`);
    const decoded = c.received.frames.map((f) => wire.decode(new Uint8Array(f.buffer, f.byteOffset, f.length)));
    // Skip the first 100 ms (resampler and codec warm-up), compare steady-state level.
    const steady = decoded.slice(5, 25);
    const out = new Int16Array(steady.reduce((s, f) => s + f.length, 0));
    let o = 0;
    for (const f of steady) {
      out.set(f, o);
      o += f.length;
    }
    const ratioDb = 20 * Math.log10(rms(out) / rms(input));
    t.ok(Math.abs(ratioDb) < 1.5, `level preserved within 1.5 dB (got ${ratioDb.toFixed(2)} dB)`);
    wire.close();
    c.ws.close();
  });
}

t.test('malformed input gets error events and the connection survives', async (t) => {
  const c = new TestClient(gw.url, gw.token);
  await c.opened;
  c.ws.send(Buffer.from([1, 2, 3]));
  await c.waitFor((r) => r.events.some((e) => e.code === 'not_started'), 'not_started');
  c.ws.send('{not json');
  await c.waitFor((r) => r.events.some((e) => e.code === 'bad_json'), 'bad_json');
  c.sendJson({ type: 'teleport' });
  await c.waitFor((r) => r.events.some((e) => e.code === 'unknown_type'), 'unknown_type');
  c.sendJson([1, 2]);
  c.sendJson({ type: 'start', codec: 'g729' });
  c.sendJson({ type: 'start', codec: 'mulaw', sample_rate: 16000 });
  await c.waitFor((r) => r.events.some((e) => e.code === 'unsupported_codec'), 'unsupported_codec');
  const invalid = c.received.events.filter((e) => e.code === 'invalid_message');
  t.equal(invalid.length, 2, 'array and unknown codec are invalid messages');
  t.match(String(invalid[1].message), /codec/, 'the message names the bad field');
  c.sendJson({ type: 'text', text: 'hi' });
  await c.waitFor((r) => r.events.filter((e) => e.code === 'not_started').length >= 2, 'text before start');
  await expectAlive(t, c);

  // After all that, a valid start still works.
  c.sendJson({ type: 'start', codec: 'pcm16' });
  await c.waitForEvent('started');
  c.sendJson({ type: 'start', codec: 'pcm16' });
  await c.waitFor((r) => r.events.some((e) => e.code === 'already_started'), 'already_started');
  c.ws.send(Buffer.alloc(641));
  await c.waitFor((r) => r.events.some((e) => e.code === 'bad_audio'), 'bad_audio for odd pcm16');
  c.ws.send(Buffer.alloc(40 * 1024));
  await c.waitFor((r) => r.events.some((e) => e.code === 'frame_too_large'), 'frame_too_large');
  c.sendJson({ type: 'dtmf', digits: 'x' });
  await c.waitFor((r) => r.events.filter((e) => e.code === 'invalid_message').length >= 3, 'bad dtmf');
  await expectAlive(t, c);
  c.ws.close();
});

t.test('a message far beyond the limit is refused by closing the connection', async (t) => {
  const c = new TestClient(gw.url, gw.token);
  await c.start();
  c.ws.send(Buffer.alloc(1024 * 1024));
  const { code } = await c.closed;
  t.not(code, 1000, `closed abnormally (${code})`);
  await until('the call to be released', () => gw.gateway.calls.active === 0);
});

t.test('opus packets that do not decode are bad_audio, not a crash', async (t) => {
  const c = new TestClient(gw.url, gw.token);
  await c.start('opus', 48000);
  c.ws.send(Buffer.from([0xff, 0xff, 0xff, 0x00, 0x13]));
  await c.waitFor((r) => r.events.some((e) => e.code === 'bad_audio'), 'bad_audio');
  await expectAlive(t, c);
  c.ws.close();
});

t.test('no start within the start timeout closes with 4002', async (t) => {
  // A gateway of its own with a short timeout: this client never starts, so nothing races it.
  const short = await startTestGateway({ VOICE_WS_START_TIMEOUT_MS: '300' });
  t.teardown(() => short.stop());
  const c = new TestClient(short.url, short.token);
  await c.opened;
  const { code } = await c.closed;
  t.equal(code, 4002);
  t.ok(c.received.events.some((e) => e.type === 'hangup' && e.reason === 'start_timeout'));
});

t.test('text input reaches the pipeline and comes back as events', async (t) => {
  const c = new TestClient(gw.url, gw.token);
  await c.start();
  c.sendJson({ type: 'text', text: 'hello there' });
  const ev = await c.waitForEvent('transcript');
  t.match(ev, { final: true, text: 'hello there' });
  c.ws.close();
});

t.test('abrupt disconnects and many short connections leak no calls', async (t) => {
  const rounds = 4;
  const perRound = 50;
  for (let r = 0; r < rounds; r++) {
    const clients = Array.from({ length: perRound }, () => new TestClient(gw.url, gw.token));
    await Promise.all(clients.map((c) => c.start('mulaw', 8000)));
    t.equal(gw.gateway.calls.active, perRound, `round ${r}: ${perRound} live calls`);
    for (const [i, c] of clients.entries()) {
      if (i % 2) c.ws.terminate();
      else c.ws.close();
    }
    await Promise.all(clients.map((c) => c.closed));
    // The server sees a terminated socket go a moment after the client does.
    await until(`round ${r}: every call released`, () => gw.gateway.calls.active === 0);
  }
  await until('no call and no connection left behind', () => gw.gateway.calls.active === 0 && gw.gateway.voice.connections === 0);
  const health = (await (await fetch(`${gw.http}/health`)).json()) as { status: string };
  t.ok(['ok', 'degraded'].includes(health.status), 'gateway still answers');
});

t.test('capacity: a start beyond MAX_CALLS is refused with 4003', async (t) => {
  const small = await startTestGateway({ MAX_CALLS: '1' });
  t.teardown(() => small.stop());
  const a = new TestClient(small.url, small.token);
  await a.start();
  const b = new TestClient(small.url, small.token);
  await b.opened;
  b.sendJson({ type: 'start', codec: 'pcm16' });
  t.equal((await b.closed).code, 4003);
  t.ok(b.received.events.some((e) => e.code === 'capacity'));
  a.ws.close();
});

t.test('graceful shutdown tells live callers and closes with 1001', async (t) => {
  const g = await startTestGateway();
  const c = new TestClient(g.url, g.token);
  await c.start();
  await g.stop();
  t.equal((await c.closed).code, 1001);
  t.ok(c.received.events.some((e) => e.type === 'hangup' && e.reason === 'server_shutdown'));
  await t.rejects(new TestClient(g.url, g.token).opened, 'no new connections after shutdown');
});
