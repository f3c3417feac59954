import t from 'tap';
import { FakeOpenAi, FAKE_SPEECH_RATE, testRelease } from '../fakes/fake-openai.ts';
import { OpenAiCompatibleStt } from '../../pipeline/engines/stt-openai.ts';
import { OpenAiCompatibleTts } from '../../pipeline/engines/tts-openai.ts';
import { parseWav } from '../../media/wav.ts';
import { createEgressPolicy } from '../../pipeline/net/egress-policy.ts';

t.test('STT uploads a 16 kHz WAV as multipart and returns the text', async (t) => {
  let uploaded: Buffer | null = null;
  let fields: Record<string, string> = {};
  const fake = await new FakeOpenAi({
    apiKey: 'secret',
    transcribe: (file, f) => {
      uploaded = file;
      fields = f;
      return ' What are your opening hours? ';
    },
  }).start();
  t.teardown(() => fake.close());
  const stt = new OpenAiCompatibleStt({ baseURL: fake.baseURL, apiKey: 'secret', model: 'whisper-1', language: 'en' });
  const pcm = Int16Array.from({ length: 8000 }, (_, i) => (i % 100) * 10);
  const s = stt.createStream({ hints: ['opening hours', 'address'] });
  s.accept(pcm.subarray(0, 4000));
  s.accept(pcm.subarray(4000));
  const r = await s.finish();
  t.equal(r.text, 'What are your opening hours?');
  t.ok(r.latencyMs! >= 0);
  const wav = parseWav(uploaded!);
  t.equal(wav.sampleRate, 16000);
  t.same([...wav.samples], [...pcm], 'the audio arrives intact');
  t.match(fields, { model: 'whisper-1', language: 'en', prompt: 'opening hours. address', response_format: 'json' });
  t.match((fake.requests[0].body as { filename: string }).filename, /\.wav$/);
  t.ok(stt.health().ok);
});

t.test('STT errors surface and show in health', async (t) => {
  const fake = await new FakeOpenAi({ apiKey: 'right' }).start();
  t.teardown(() => fake.close());
  const stt = new OpenAiCompatibleStt({ baseURL: fake.baseURL, apiKey: 'wrong', model: 'm', maxRetries: 0 });
  await t.rejects(stt.transcribe(new Int16Array(1600)), /401/);
  t.equal(stt.health().ok, false);
});

for (const format of ['pcm', 'wav'] as const) {
  t.test(`TTS streams the ${format} body as PCM chunks as they arrive`, async (t) => {
    // The server holds the body after its first chunk until the client has shown it got audio.
    const rest = testRelease();
    const fake = await new FakeOpenAi({ speechSamplesPerChar: 480, speechChunkSamples: 2400, speechHold: { after: 1, until: rest.until } }).start();
    t.teardown(() => fake.close());
    const tts = new OpenAiCompatibleTts({ baseURL: fake.baseURL, model: 'tts-1', voice: 'alloy', format, sampleRate: format === 'wav' ? 8000 : 24000 });
    const text = 'Hello there, friend.';
    let firstBeforeRest: boolean | null = null;
    let total = 0;
    let chunks = 0;
    for await (const c of tts.synthesize(text)) {
      if (firstBeforeRest === null) {
        firstBeforeRest = !rest.timedOut;
        rest.release();
      }
      t.equal(c.sampleRate, FAKE_SPEECH_RATE, 'rate from the header or the configured 24 kHz');
      total += c.pcm.length;
      chunks++;
    }
    t.equal(total, text.length * 480, 'every sample, none split');
    t.ok(chunks >= 2, `${chunks} chunks: the first on its own, then the rest`);
    const req = fake.requests[0].body as { model: string; voice: string; input: string; response_format: string };
    t.match(req, { model: 'tts-1', voice: 'alloy', input: text, response_format: format });
    t.equal(firstBeforeRest, true, 'first audio while the rest of the body was not yet sent');
  });
}

t.test('TTS abort cancels the request mid-sentence', async (t) => {
  // Held after the second chunk until the test ends: a client that waited for the rest would show.
  const rest = testRelease();
  t.teardown(() => rest.release());
  const fake = await new FakeOpenAi({ speechSamplesPerChar: 2400, speechChunkSamples: 1200, speechHold: { after: 2, until: rest.until } }).start();
  t.teardown(() => fake.close());
  const tts = new OpenAiCompatibleTts({ baseURL: fake.baseURL, model: 'tts-1', voice: 'alloy' });
  const ac = new AbortController();
  let got = 0;
  for await (const c of tts.synthesize('A long sentence to speak.', { signal: ac.signal })) {
    got += c.pcm.length;
    if (got > 2000) ac.abort();
  }
  t.ok(got < 25 * 2400, `stopped after ${got} samples`);
  t.notOk(rest.timedOut, 'stopped while the server still held the rest back');
  t.ok(tts.health().ok, 'an abort is not an engine failure');
});

t.test('engines given an egress policy (a server an admin configured) obey it; a refusal or an error answer shows only what failed', async (t) => {
  const fake = await new FakeOpenAi({ apiKey: 'right-key' }).start();
  t.teardown(() => fake.close());
  const logged: Array<Record<string, unknown>> = [];
  const log = { warn: (obj: Record<string, unknown>) => void logged.push(obj) };
  const tts = new OpenAiCompatibleTts({ baseURL: fake.baseURL, model: 'tts-1', voice: 'alloy', egress: createEgressPolicy(), log, maxRetries: 0 });
  const stt = new OpenAiCompatibleStt({ baseURL: fake.baseURL, model: 'whisper-1', egress: createEgressPolicy(), log, maxRetries: 0 });
  const refused = /^outgoing request refused: 127\.0\.0\.1 is a loopback address; the operator can allow it with EGRESS_ALLOW .*\(error id [0-9a-f]+\)$/;
  await t.rejects(async () => {
    for await (const _ of tts.synthesize('Hello.'));
  }, { name: 'EngineError', message: refused });
  await t.rejects(stt.transcribe(new Int16Array(1600)), { name: 'EngineError', message: refused });
  t.same(fake.requests, [], 'nothing reached the server');
  t.match(tts.health().detail, refused);

  // Allowed, but the key is wrong: the server's error body stays in the log.
  const allowed = new OpenAiCompatibleStt({ baseURL: fake.baseURL, apiKey: 'wrong-key', model: 'whisper-1', egress: createEgressPolicy('127.0.0.1'), log, maxRetries: 0 });
  const err = await allowed.transcribe(new Int16Array(1600)).catch((e: unknown) => e as Error);
  t.match(err, { name: 'EngineError', message: /^the server answered HTTP 401 \(error id [0-9a-f]+\)$/ });
  t.notMatch(JSON.stringify(allowed.health()), /bad api key/, 'the body is not in health');
  t.match(JSON.stringify(logged.at(-1)), /bad api key/, 'but in the log');
});
