/**
 * Streaming TTS: /admin/tts/stream really streams (the first chunk reaches the client while later
 * sentences are still unsynthesised), at the asked rate; presets, voices, test synthesis, cache;
 * the WebSocket twin; /v1/audio/speech streamed WAV with API keys.
 */
import t from 'tap';
import WebSocket from 'ws';
import { decodeAudioFile } from '../../media/audio-file-decode.ts';
import { parseWav } from '../../media/wav.ts';
import { rmsOf, toneAmplitude } from '../media/signals.ts';
import { hasCommand } from '../helpers/has-command.ts';
import { startControl } from './helpers/control.ts';
import { catalogOf, GatedTts } from './helpers/fake-engines.ts';

const hasEspeak = hasCommand('espeak-ng');

const FIVE = 'Good morning, this is the front desk. We are open from nine to five. Our office is on Main Street. You can leave a message after the tone. Thank you for calling.';

async function post(base: string, path: string, token: string, body: unknown) {
  return fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

t.test('the first chunk leaves before synthesis of the later sentences has even started', async (t) => {
  const engine = new GatedTts();
  const c = await startControl({}, { options: { tts: catalogOf(engine) } });
  t.teardown(c.stop);
  const op = await c.userToken('olga', 'operator');
  const res = await post(c.base, '/admin/tts/stream', op, { text: 'First sentence here. Second one follows. And a third.', target_sample_rate: 8000 });
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'audio/L16;rate=8000;channels=1');
  t.equal(res.headers.get('x-sample-rate'), '8000');
  const reader = res.body!.getReader();
  const first = await reader.read();
  t.notOk(first.done);
  t.ok(first.value!.byteLength > 0, `first chunk ${first.value!.byteLength} bytes`);
  // The engine holds sentence 2 until we release it: the first chunk cannot have waited for it.
  t.equal(engine.sentencesFinished < 3, true, 'synthesis not finished when the first chunk arrived');
  t.ok(engine.sentencesStarted <= 2, 'later sentences not yet synthesised');
  engine.release();
  let total = first.value!.byteLength;
  for (let i = 0; i < 1000; i++) {
    const r = await reader.read();
    if (r.done) break;
    total += r.value.byteLength;
  }
  t.equal(engine.sentencesFinished, 3);
  // 3 sentences x 100 ms at 8 kHz = 2400 samples (+/- the resampler's edges), 2 bytes each.
  t.equal(total % 2, 0, 'whole samples');
  t.ok(Math.abs(total / 2 - 2400) < 100, `${total / 2} samples for 300 ms at 8 kHz`);
});

t.test('validation: rate, engine, preset, role', async (t) => {
  const engine = new GatedTts();
  engine.release();
  const c = await startControl({}, { options: { tts: catalogOf(engine) } });
  t.teardown(c.stop);
  const op = await c.userToken('olga', 'operator');
  const viewer = await c.userToken('vera', 'viewer');
  let r = await c.call('POST', '/admin/tts/stream', { token: op, body: { text: 'Hi.', target_sample_rate: 44100 } });
  t.equal(r.status, 400);
  t.match(r.body.error.message, /target_sample_rate/);
  r = await c.call('POST', '/admin/tts/stream', { token: op, body: { text: 'Hi.', engine: 'nope' } });
  t.equal(r.status, 400);
  t.equal(r.body.error.code, 'unknown_engine');
  r = await c.call('POST', '/admin/tts/stream', { token: op, body: { text: 'Hi.', preset_id: 999 } });
  t.equal(r.status, 404);
  r = await c.call('POST', '/admin/tts/stream', { token: op, body: { text: '   ' } });
  t.equal(r.status, 400);
  r = await c.call('POST', '/admin/tts/stream', { token: viewer, body: { text: 'Hi.' } });
  t.equal(r.status, 403);
  r = await c.call('POST', '/admin/tts/presets', { token: op, body: { name: 'x', engine: 'nope', voice: 'v' } });
  t.equal(r.status, 400);
  r = await c.call('GET', '/admin/tts/ws/stream', { token: op });
  t.equal(r.status, 426, 'the WebSocket path over plain HTTP asks for an upgrade');
});

t.test('espeak-ng: five sentences stream in pieces at every rate; rates scale; the cache serves repeats', { skip: !hasEspeak && 'espeak-ng not installed' }, async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const op = await c.userToken('olga', 'operator');
  // Measured warm: espeak-ng's helper process starts with the control plane (until it is up,
  // sentences are spawned directly, which is slower under this parallel test load).
  await c.cp.tts.ready();
  const sizes: Record<number, number> = {};
  for (const rate of [8000, 16000, 24000]) {
    const started = performance.now();
    const res = await post(c.base, '/admin/tts/stream', op, { text: FIVE, target_sample_rate: rate });
    t.equal(res.status, 200);
    const reader = res.body!.getReader();
    let ttfb = 0;
    let bytes = 0;
    let chunks = 0;
    const pcm: Buffer[] = [];
    for (let i = 0; i < 100_000; i++) {
      const r = await reader.read();
      if (r.done) break;
      if (!chunks++) ttfb = performance.now() - started;
      bytes += r.value.byteLength;
      pcm.push(Buffer.from(r.value));
    }
    const ttlb = performance.now() - started;
    sizes[rate] = bytes;
    t.ok(chunks >= 5, `${rate} Hz: ${chunks} chunks`);
    // That the first chunk leaves before later sentences are synthesised is proven without timing
    // by the gated test above; the TTFB / last-byte ratio is a figure for `npm run bench -- control`
    // (a ratio asserted here flaked under the parallel suite: 68 vs 100 ms once).
    t.comment(`${rate} Hz: ttfb ${ttfb.toFixed(0)} ms, last byte ${ttlb.toFixed(0)} ms`);
    const all = Buffer.concat(pcm);
    const samples = new Int16Array(all.buffer, all.byteOffset, all.byteLength / 2);
    const seconds = samples.length / rate;
    t.ok(seconds > 5 && seconds < 30, `${seconds.toFixed(1)} s of speech`);
    t.ok(samples.some((v) => Math.abs(v) > 1000), 'not silence');
  }
  t.ok(Math.abs(sizes[24000] / sizes[8000] - 3) < 0.05, 'three times the bytes at 24 kHz as at 8 kHz');
  const stats = (await c.call('GET', '/admin/tts/cache', { token: op })).body;
  t.ok(stats.cache.entries >= 5, 'sentences cached');
  // The same text again comes from the cache.
  const again = await post(c.base, '/admin/tts/stream', op, { text: FIVE, target_sample_rate: 8000 });
  t.equal((await again.arrayBuffer()).byteLength, sizes[8000], 'cached audio is the same length');
  const after = (await c.call('GET', '/admin/tts/cache', { token: op })).body;
  t.ok(after.cache.hits >= stats.cache.hits + 5, 'served from the cache');
  t.equal((await c.call('DELETE', '/admin/tts/cache', { token: op })).status, 204);
  t.equal((await c.call('GET', '/admin/tts/cache', { token: op })).body.cache.entries, 0);
});

t.test('presets CRUD, voices, test synthesis as WAV', { skip: !hasEspeak && 'espeak-ng not installed' }, async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const op = await c.userToken('olga', 'operator');
  const voices = await c.call('GET', '/admin/tts/voices', { token: op });
  t.equal(voices.status, 200);
  t.equal(voices.body.default_engine, 'espeak-ng');
  t.ok(voices.body.items.some((v: { id: string }) => v.id === 'en-us'), 'espeak voices listed');
  t.ok(voices.body.items.some((v: { id: string }) => v.id === 'ru'));
  const p = await c.call('POST', '/admin/tts/presets', { token: op, body: { name: 'russian', engine: 'espeak-ng', voice: 'ru', language: 'ru', speed: 1.2 } });
  t.equal(p.status, 201);
  t.equal(p.body.speed, 1.2);
  t.equal((await c.call('PATCH', `/admin/tts/presets/${p.body.id}`, { token: op, body: { speed: 0.9 } })).body.speed, 0.9);
  t.equal((await c.call('GET', '/admin/tts/presets', { token: op })).body.items.length, 1);
  const res = await fetch(c.base + '/admin/tts/test', {
    method: 'POST',
    headers: { authorization: `Bearer ${op}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'Здравствуйте. Чем могу помочь?', preset_id: p.body.id, target_sample_rate: 16000 }),
  });
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'audio/wav');
  const wav = parseWav(new Uint8Array(await res.arrayBuffer()));
  t.equal(wav.sampleRate, 16000);
  t.ok(wav.samples.length > 16000, `${wav.samples.length} samples`);
  t.equal((await c.call('DELETE', `/admin/tts/presets/${p.body.id}`, { token: op })).status, 204);
  t.equal((await c.call('GET', `/admin/tts/presets/${p.body.id}`, { token: op })).status, 404);
  const audit = await c.cp.repos.audit.list({ action: 'tts_presets.create' }, { limit: 10, offset: 0 });
  t.equal(audit.items.length, 1, 'preset changes are audited');
});

t.test("espeak-ng voices as espeak-ng takes them: any case, the bare language it also answers to, +variant; paths and unknown variants refused", { skip: !hasEspeak && 'espeak-ng not installed' }, async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const op = await c.userToken('olga', 'operator');
  const preset = (name: string, voice: string) => c.call('POST', '/admin/tts/presets', { token: op, body: { name, engine: 'espeak-ng', voice } });
  for (const [i, voice] of ['en', 'en-US', 'en-us+f3', 'en+klatt', 'ru+m2', 'EN-GB+F1'].entries()) {
    t.equal((await preset(`ok ${i}`, voice)).status, 201, `${voice} is taken`);
  }
  for (const [i, voice] of ['en+nosuchvariant', 'xx-nowhere', 'en+', '../en', 'en/../../etc/passwd'].entries()) {
    const r = await preset(`bad ${i}`, voice);
    t.match({ status: r.status, code: r.body.error?.code }, { status: 400, code: 'unknown_voice' }, `${voice} is refused`);
  }
  const female = (await c.call('GET', '/admin/tts/presets', { token: op })).body.items.find((p: { voice: string }) => p.voice === 'en-us+f3');
  const res = await c.call('POST', '/admin/tts/test', { token: op, body: { text: 'Hello there.', preset_id: female.id, target_sample_rate: 16000 } });
  t.equal(res.status, 200, 'and a preset with a variant synthesises');
});

function openWs(url: string, opts: { token?: string; protocols?: string[] }) {
  const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {} });
  return new Promise<{ ws: WebSocket; status?: number }>((resolve) => {
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ ws, status: res.statusCode }));
    ws.once('error', () => resolve({ ws, status: -1 }));
  });
}

t.test('WebSocket stream: auth at the upgrade, start/binary/end, queueing, cancel', async (t) => {
  const engine = new GatedTts();
  const c = await startControl({}, { options: { tts: catalogOf(engine) } });
  t.teardown(c.stop);
  const op = await c.userToken('olga', 'operator');
  const viewer = await c.userToken('vera', 'viewer');
  const url = `ws://127.0.0.1:${c.port}/admin/tts/ws/stream`;
  t.equal((await openWs(url, {})).status, 401, 'no credentials: refused before the upgrade');
  t.equal((await openWs(url, { token: 'forged' })).status, 401);
  t.equal((await openWs(url, { token: viewer })).status, 403, 'viewer: refused');
  const { ws, status } = await openWs(url, { protocols: ['vg-tts', `bearer.${op}`] });
  t.equal(status, undefined, 'browser-style subprotocol token accepted');
  t.equal(ws.protocol, 'vg-tts');
  t.teardown(() => ws.close());
  const events: Array<{ type: string; [k: string]: unknown }> = [];
  let binaryBytes = 0;
  let firstBinaryWhileGated = false;
  const ended = new Promise<void>((resolve) => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        if (binaryBytes === 0) firstBinaryWhileGated = engine.sentencesFinished < 2;
        binaryBytes += (data as Buffer).byteLength;
        if (engine.sentencesFinished === 1) engine.release();
        return;
      }
      const m = JSON.parse(String(data));
      events.push(m);
      if (m.type === 'end' && m.id === 'b') resolve();
    });
  });
  ws.send(JSON.stringify({ type: 'synthesize', id: 'a', text: 'One. Two. Three.', target_sample_rate: 24000 }));
  ws.send(JSON.stringify({ type: 'synthesize', id: 'b', text: 'Four.', target_sample_rate: 8000 }));
  ws.send(JSON.stringify({ type: 'bogus' }));
  await ended;
  t.ok(firstBinaryWhileGated, 'audio arrived while later sentences were held back');
  t.same(events.filter((e) => e.type !== 'error').map((e) => `${e.type}:${e.id}`), ['start:a', 'end:a', 'start:b', 'end:b'], 'requests answered in order');
  t.equal(events.find((e) => e.type === 'start' && e.id === 'a')!.sample_rate, 24000);
  t.ok(events.some((e) => e.type === 'error' && e.code === 'validation_failed'), 'bad message answered with an error, socket kept');
  const a = events.find((e) => e.type === 'end' && e.id === 'a')!;
  t.ok(Math.abs((a.bytes as number) / 2 - 7200) < 200, `utterance a: ${a.bytes} bytes ~ 300 ms at 24 kHz`);
  t.equal(binaryBytes, (a.bytes as number) + (events.find((e) => e.type === 'end' && e.id === 'b')!.bytes as number));
  const audit = await c.cp.repos.audit.list({ action: 'tts.ws_connect' }, { limit: 10, offset: 0 });
  t.equal(audit.items.length, 1);
});

t.test('/v1/audio/speech streams WAV with an API key; unsupported formats are refused', { skip: !hasEspeak && 'espeak-ng not installed' }, async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('adam', 'admin');
  const key = (await c.call('POST', '/admin/api-keys', { token: admin, body: { name: 'k' } })).body.key;
  t.equal((await c.call('POST', '/v1/audio/speech', { body: { model: 'tts-1', input: 'Hi.', voice: 'alloy' } })).status, 401);
  t.equal((await c.call('POST', '/v1/audio/speech', { token: admin, body: { model: 'tts-1', input: 'Hi.', voice: 'alloy' } })).status, 401, 'user tokens are not API keys');
  const aac = await c.call('POST', '/v1/audio/speech', { token: key, body: { model: 'tts-1', input: 'Hi.', voice: 'alloy', response_format: 'aac' } });
  t.equal(aac.status, 400);
  t.equal(aac.body.error.code, 'unsupported_format');
  t.same(aac.body.error.details, { supported: ['wav', 'pcm', 'mp3', 'opus'] });
  const res = await post(c.base, '/v1/audio/speech', key, { model: 'tts-1', input: 'Hello there. How can I help you today?', voice: 'alloy' });
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'audio/wav');
  const wav = parseWav(new Uint8Array(await res.arrayBuffer()));
  t.equal(wav.sampleRate, 24000);
  t.ok(wav.samples.length > 24000, `${(wav.samples.length / 24000).toFixed(1)} s of audio`);
  const pcm = await post(c.base, '/v1/audio/speech', key, { model: 'tts-1', input: 'Hello there.', voice: 'en-us', response_format: 'pcm' });
  t.equal(pcm.headers.get('content-type'), 'audio/L16;rate=24000;channels=1');
  t.ok((await pcm.arrayBuffer()).byteLength > 10_000);
  const seconds = wav.samples.length / 24000;
  for (const [format, type] of [['mp3', 'audio/mpeg'], ['opus', 'audio/ogg; codecs=opus']] as const) {
    const r = await post(c.base, '/v1/audio/speech', key, { model: 'tts-1', input: 'Hello there. How can I help you today?', voice: 'alloy', response_format: format });
    t.equal(r.headers.get('content-type'), type);
    const back = await decodeAudioFile(new Uint8Array(await r.arrayBuffer()), { sampleRate: 16000, maxSeconds: 60 });
    t.ok(Math.abs(back.samples.length / 16000 - seconds) < 0.15, `${format}: ${(back.samples.length / 16000).toFixed(2)} s, wav ${seconds.toFixed(2)} s`);
    t.ok(rmsOf(back.samples) > 500, `${format} carries speech (rms ${rmsOf(back.samples).toFixed(0)})`);
  }
  await c.cp.usage.flush();
  const usage = await c.cp.repos.usageLog.list({ kind: 'tts' }, { limit: 10, offset: 0 });
  t.ok(usage.items.length >= 4, 'speech requests are metered as tts usage');
});

t.test('/v1/audio/speech mp3 and opus stream: the first sentence is on the wire before the second is synthesised', async (t) => {
  for (const format of ['mp3', 'opus'] as const) {
    const engine = new GatedTts();
    const c = await startControl({}, { options: { tts: catalogOf(engine) } });
    const admin = await c.userToken('adam', 'admin');
    const key = (await c.call('POST', '/admin/api-keys', { token: admin, body: { name: 'k' } })).body.key;
    const res = await post(c.base, '/v1/audio/speech', key, { model: 'tts-1', input: 'First sentence here. Second one follows. And a third.', voice: 'alloy', response_format: format });
    t.equal(res.status, 200);
    const reader = res.body!.getReader();
    const chunks: Uint8Array[] = [];
    // Read until audio bytes arrive while sentence 2 is still held back by the gate.
    while (chunks.reduce((n, c) => n + c.byteLength, 0) < 200) {
      const r = await reader.read();
      if (r.done) break;
      chunks.push(r.value);
    }
    t.equal(engine.sentencesFinished, 1, `${format}: audio bytes sent while only the first sentence exists`);
    engine.release();
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      chunks.push(r.value);
    }
    const back = await decodeAudioFile(Buffer.concat(chunks), { sampleRate: 16000, maxSeconds: 10 });
    t.ok(back.samples.length / 16000 > 0.28 && back.samples.length / 16000 < 0.4, `${format}: ${(back.samples.length / 16000).toFixed(3)} s for three 100 ms sentences`);
    t.ok(toneAmplitude(back.samples, 16000, 440, 800, 4000) > 5000, `${format}: the 440 Hz tone survives`);
    await c.stop();
  }
});

/** A TTS socket that collects its JSON events and its close. */
async function ttsSocket(url: string, token: string) {
  const { ws, status } = await openWs(url, { token });
  if (status !== undefined) throw new Error(`upgrade refused: ${status}`);
  const events: Array<{ type: string; [k: string]: unknown }> = [];
  const listeners = new Set<() => void>();
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    events.push(JSON.parse(String(data)));
    for (const l of listeners) l();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  /** Send one synthesize request and wait for its end or error event. */
  const say = (id: string) =>
    new Promise<{ type: string; [k: string]: unknown }>((resolve) => {
      const check = () => {
        const e = events.find((x) => x.id === id && (x.type === 'end' || x.type === 'error'));
        if (e) {
          listeners.delete(check);
          resolve(e);
        }
      };
      listeners.add(check);
      ws.send(JSON.stringify({ type: 'synthesize', id, text: 'Hello there.', target_sample_rate: 8000 }));
    });
  return { ws, events, closed, say };
}

t.test('WebSocket stream: the credential is checked again per request; logout, disabling, demotion and expiry close the socket', { timeout: 30_000 }, async (t) => {
  const engine = new GatedTts();
  engine.release();
  const c = await startControl({}, { options: { tts: catalogOf(engine) } });
  t.teardown(c.stop);
  const url = `ws://127.0.0.1:${c.port}/admin/tts/ws/stream`;
  const admin = await c.userToken('root', 'admin');

  const cases: Array<{ name: string; user: string; revoke: (token: string, userId: number) => Promise<void>; code: string; close: number }> = [
    { name: 'logout', user: 'olga', code: 'session_revoked', close: 4401, revoke: async (token) => void (await c.call('POST', '/admin/auth/logout', { token })) },
    { name: 'user disabled', user: 'dora', code: 'invalid_token', close: 4401, revoke: async (_t, id) => void (await c.call('PATCH', `/admin/users/${id}`, { token: admin, body: { disabled: true } })) },
    { name: 'demoted to viewer', user: 'demi', code: 'forbidden', close: 4403, revoke: async (_t, id) => void (await c.call('PATCH', `/admin/users/${id}`, { token: admin, body: { role: 'viewer' } })) },
  ];
  for (const k of cases) {
    const token = await c.userToken(k.user, 'operator');
    const userId = (await c.cp.repos.users.findByUsername(k.user))!.id;
    const s = await ttsSocket(url, token);
    t.match(await s.say('before'), { type: 'end', id: 'before' }, `${k.name}: served while the session is valid`);
    await k.revoke(token, userId);
    const refused = await s.say('after');
    t.match(refused, { type: 'error', id: 'after', code: k.code, message: String }, `${k.name}: the next request is refused with ${k.code}`);
    t.same(await s.closed, { code: k.close, reason: k.code }, `${k.name}: closed with ${k.close}`);
    t.notOk(s.events.some((e) => e.type === 'start' && e.id === 'after'), `${k.name}: no audio after the revocation`);
    t.notMatch(JSON.stringify(s.events), new RegExp(token.slice(-20)), 'the token is never echoed');
  }

  // Expiry: the same socket, the clock moved past the access token's lifetime (900 s).
  const token = await c.userToken('exp', 'operator');
  const s = await ttsSocket(url, token);
  t.match(await s.say('now'), { type: 'end' });
  const realNow = Date.now;
  Date.now = () => realNow() + 901_000 + 10_000;
  t.teardown(() => void (Date.now = realNow));
  try {
    t.match(await s.say('later'), { type: 'error', code: 'invalid_token', message: 'access token expired' });
  } finally {
    Date.now = realNow;
  }
  t.equal((await s.closed).code, 4401, 'an expired token closes the socket');
});
