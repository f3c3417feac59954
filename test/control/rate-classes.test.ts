/**
 * The chat and tts rate classes over HTTP: each has its own bucket per client IP, shared by every
 * route of that class, and neither touches the other or the default class. (Default and auth are
 * tested in http-layer.test.ts and auth-flow.test.ts.)
 */
import t from 'tap';
import { encodeWav } from '../../media/wav.ts';
import { catalogOf, GatedTts } from './helpers/fake-engines.ts';
import { startControl } from './helpers/control.ts';

t.test('chat and tts classes are limited separately, across their routes, with 429 rate_limited and Retry-After', async (t) => {
  const tts = new GatedTts();
  tts.release();
  // Per minute, so no token refills during the test (2/min refills one every 30 s); no sentence
  // cache, so every synthesis that passes reaches the engine and can be counted.
  const c = await startControl({ RATE_LIMIT_CHAT: '2/min', RATE_LIMIT_TTS: '3/min', TTS_CACHE_MAX_BYTES: '0' }, { options: { tts: catalogOf(tts) } });
  t.teardown(c.stop);
  const admin = await c.userToken('adm-rate', 'admin');
  const key = (await c.call('POST', '/admin/api-keys', { token: admin, body: { name: 'k' } })).body.key;
  const session = (await c.call('POST', '/admin/chat/sessions', { token: admin, body: {} })).body;

  const chat = () => c.call('POST', '/v1/chat/completions', { token: key, body: { model: 'faq', messages: [{ role: 'user', content: 'hi' }] } });
  const adminReply = () => c.call('POST', `/admin/chat/sessions/${session.id}/reply`, { token: admin, body: { content: 'hi' } });
  const speech = () => c.call('POST', '/v1/audio/speech', { token: key, body: { model: 'tts-1', voice: 'alloy', input: 'Hello.', response_format: 'pcm' } });
  const ttsTest = () => c.call('POST', '/admin/tts/test', { token: admin, body: { text: 'Hello.' } });
  const transcribe = () => c.call('POST', '/admin/stt/transcribe', { token: admin, rawBody: encodeWav(new Int16Array(1600), 16000), headers: { 'content-type': 'audio/wav' } });

  const refused = (r: Awaited<ReturnType<typeof chat>>, cls: string, perTokenS: number, what: string) => {
    t.equal(r.status, 429, `${what}: 429`);
    t.equal(r.body.error.code, 'rate_limited');
    t.match(r.body.error.message, new RegExp(`too many ${cls} requests`));
    const after = Number(r.headers.get('retry-after'));
    t.ok(after >= 1 && after <= perTokenS, `${what}: Retry-After ${after} s, at most one token's refill time (${perTokenS} s)`);
  };

  t.equal((await chat()).status, 200);
  t.equal((await adminReply()).status, 200, 'the admin chat reply draws on the same chat bucket');
  refused(await chat(), 'chat', 30, '/v1/chat/completions, third chat request');
  refused(await adminReply(), 'chat', 30, 'admin reply, chat bucket empty');

  t.equal((await speech()).status, 200, 'tts has its own bucket: not touched by chat');
  t.equal((await speech()).status, 200);
  t.equal((await ttsTest()).status, 200);
  refused(await ttsTest(), 'tts', 20, '/admin/tts/test, fourth tts request');
  refused(await speech(), 'tts', 20, '/v1/audio/speech, tts bucket empty');
  refused(await transcribe(), 'tts', 20, 'transcription is in the tts class too');

  t.equal((await c.call('GET', '/v1/models', { token: key })).status, 200, 'the default class is unaffected');
  t.equal((await c.call('GET', '/admin/faq', { token: admin })).status, 200);
  refused(await chat(), 'chat', 30, 'chat still refused after tts ran out');
  t.equal(tts.sentencesStarted, 3, 'refused tts requests never reached the engine');
});

t.test('a chat/tts class set to off is not limited while the other still is', async (t) => {
  const tts = new GatedTts();
  tts.release();
  const c = await startControl({ RATE_LIMIT_CHAT: 'off', RATE_LIMIT_TTS: '1/min' }, { options: { tts: catalogOf(tts) } });
  t.teardown(c.stop);
  const admin = await c.userToken('adm-rate-off', 'admin');
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await c.call('POST', '/admin/tts/test', { token: admin, body: { text: 'Hi.' } })).status);
  t.same(statuses, [200, 429, 429, 429, 429]);
  const key = (await c.call('POST', '/admin/api-keys', { token: admin, body: { name: 'k' } })).body.key;
  const chats: number[] = [];
  for (let i = 0; i < 15; i++) chats.push((await c.call('POST', '/v1/chat/completions', { token: key, body: { model: 'faq', messages: [{ role: 'user', content: 'hi' }] } })).status);
  t.ok(chats.every((s) => s === 200), 'off: fifteen chats in a row');
});
