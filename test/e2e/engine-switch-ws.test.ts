/**
 * Switching the voice at run time over the real gateway (gateway/assemble.ts, the WebSocket
 * transport, pocketsphinx, espeak-ng, SQLite): after PUT /admin/engines/tts a new call speaks with
 * the new voice while a call already in progress keeps speaking with the old one, until it ends
 * and the old engine is closed. espeak-ng is deterministic, so "the same voice" is checked on the
 * audio: the call in progress answers as a call on the environment's voice does, and unlike the
 * call on the new voice.
 */
import t from 'tap';
import { hasCommand } from '../helpers/has-command.ts';
import { until } from '../helpers/until.ts';
import { TestClient } from '../helpers/ws-client.ts';
import { ADMIN_TEST_ENV, startSecretaryGateway, type SecretaryGateway } from './helpers/secretary-gateway.ts';

const QUESTION = 'What are your opening hours?';

/** A caller who holds the line quietly while the test switches engines: never re-prompted or hung up on. */
const PATIENT = { silenceRepromptMs: 0, silenceHangupMs: 0 };

const audioEnds = (c: TestClient) => c.received.events.filter((e) => e.type === 'response_audio_end').length;

/** A call that has heard its greeting. */
async function greeted(gw: SecretaryGateway): Promise<TestClient> {
  const c = new TestClient(gw.url, gw.token);
  await c.start('pcm16', 16000);
  await c.waitFor(() => audioEnds(c) >= 1, 20_000, 'the greeting played');
  return c;
}

/** Types the question and returns the reply's audio as it arrived, silent frames at either end trimmed. */
async function replyAudio(c: TestClient): Promise<Buffer> {
  const from = c.received.frames.length;
  const ends = audioEnds(c);
  c.sendJson({ type: 'text', text: QUESTION });
  await c.waitFor(() => audioEnds(c) > ends, 20_000, 'the reply played');
  const frames = c.received.frames.slice(from);
  const silent = (f: Buffer) => f.every((b) => b === 0);
  while (frames.length && silent(frames[0])) frames.shift();
  while (frames.length && silent(frames[frames.length - 1])) frames.pop();
  return Buffer.concat(frames);
}

/**
 * How alike two recordings of the same text are: their normalised correlation (1: the same wave).
 * The same voice comes back a fraction of a sample apart (the reply's chunks meet the resampler at
 * other points), which keeps it near 1; another voice (pitch, formants) falls far below.
 */
function similarity(a: Buffer, b: Buffer): number {
  const x = new Int16Array(a.buffer, a.byteOffset, a.length >> 1);
  const y = new Int16Array(b.buffer, b.byteOffset, b.length >> 1);
  const n = Math.min(x.length, y.length);
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < n; i++) {
    xy += x[i] * y[i];
    xx += x[i] * x[i];
    yy += y[i] * y[i];
  }
  return xx && yy ? xy / Math.sqrt(xx * yy) : 0;
}

t.test('a new call gets the new voice; a call in progress keeps the old one until it ends', { skip: hasCommand('espeak-ng') ? false : 'needs espeak-ng' }, async (t) => {
  const gw = await startSecretaryGateway({}, ADMIN_TEST_ENV, PATIENT);
  t.teardown(() => gw.stop());
  const admin = await gw.userToken('owner', 'admin');
  const tts = async () => (await gw.call('GET', '/admin/engines', admin)).body.tts;

  const ongoing = await greeted(gw);
  t.teardown(() => ongoing.ws.close());
  t.match(await tts(), { engine: 'espeak', voice: null, source: 'environment', calls: 1 });

  const put = await gw.call('PUT', '/admin/engines/tts', admin, { engine: 'espeak', voice: 'en-us+f3' });
  t.equal(put.status, 200, put.text);
  t.match(put.body, { engine: 'espeak', voice: 'en-us+f3', source: 'admin', runtime: 'espeak-ng', calls: 0, draining: [{ runtime: 'espeak-ng', calls: 1 }] });

  const fresh = await greeted(gw);
  t.match(await tts(), { voice: 'en-us+f3', calls: 1, draining: [{ calls: 1 }] }, 'the new call holds the new engine, the old call the old one');
  // Both calls answer at once, each in its own engine's voice.
  const [newVoice, kept] = await Promise.all([replyAudio(fresh), replyAudio(ongoing)]);
  t.ok(newVoice.length > 16000 && kept.length > 16000, `both answered aloud (${newVoice.length} and ${kept.length} bytes)`);
  t.ok(similarity(kept, newVoice) < 0.5, `the call in progress does not speak with the new voice (similarity ${similarity(kept, newVoice).toFixed(2)})`);

  fresh.ws.close();
  ongoing.ws.close();
  await until('the old engine closed with its last call', async () => (await tts()).draining.length === 0);

  // Back to the environment's voice: a new call answers exactly as the call in progress did.
  const reset = await gw.call('DELETE', '/admin/engines/tts', admin);
  t.match(reset.body, { engine: 'espeak', voice: null, source: 'environment' });
  const again = await greeted(gw);
  t.teardown(() => again.ws.close());
  const environmentVoice = await replyAudio(again);
  t.ok(similarity(kept, environmentVoice) > 0.9, `the call in progress kept the voice it started with (similarity ${similarity(kept, environmentVoice).toFixed(2)})`);
  const health = (await (await fetch(`${gw.base}/health`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { components: Record<string, unknown> };
  t.match(health.components.tts, { status: 'ok', engine: 'espeak-ng', source: 'environment' }, '/health follows the live engine');
});
