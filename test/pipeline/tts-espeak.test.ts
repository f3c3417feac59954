import t from 'tap';
import { EspeakTts } from '../../pipeline/engines/tts-espeak.ts';
import { PcmByteStream } from '../../pipeline/engines/pcm-byte-stream.ts';
import { encodeWav } from '../../media/wav.ts';
import { rms } from '../../media/pcm.ts';
import type { TtsChunk } from '../../pipeline/engines/types.ts';

async function all(it: AsyncIterable<TtsChunk>) {
  const chunks: TtsChunk[] = [];
  for await (const c of it) chunks.push(c);
  const n = chunks.reduce((s, c) => s + c.pcm.length, 0);
  const pcm = new Int16Array(n);
  let at = 0;
  for (const c of chunks) {
    pcm.set(c.pcm, at);
    at += c.pcm.length;
  }
  return { chunks, pcm };
}

t.test('English and Russian sentences come out as 22.05 kHz speech', async (t) => {
  const tts = new EspeakTts();
  for (const text of ['We are open from nine to six.', 'Мы работаем с девяти до шести.']) {
    const { chunks, pcm } = await all(tts.synthesize(text));
    t.ok(chunks.length >= 1, 'chunks');
    t.ok(chunks.every((c) => c.sampleRate === 22050), 'rate');
    const seconds = pcm.length / 22050;
    t.ok(seconds > 1 && seconds < 5, `plausible duration ${seconds.toFixed(2)} s`);
    t.ok(rms(pcm) > 500, 'not silence');
  }
  t.same(tts.health(), { name: 'espeak-ng', ok: true, detail: undefined });
});

t.test('the voice follows the script unless one is given', async (t) => {
  const tts = new EspeakTts();
  // Russian text through an English voice is spelt out letter by letter: much longer audio.
  const ru = (await all(tts.synthesize('Привет'))).pcm.length;
  const spelt = (await all(tts.synthesize('Привет', { voice: 'en-us' }))).pcm.length;
  t.ok(spelt > ru * 1.5, `auto voice ${ru} samples vs forced English ${spelt}`);
});

t.test('abort stops synthesis mid-sentence and ends quietly', async (t) => {
  const tts = new EspeakTts();
  const long = 'This is a rather long sentence that goes on and on. '.repeat(40);
  const full = (await all(tts.synthesize('This is a rather long sentence that goes on and on.'))).pcm.length * 40;
  const ac = new AbortController();
  let got = 0;
  for await (const c of tts.synthesize(long, { signal: ac.signal })) {
    got += c.pcm.length;
    ac.abort();
  }
  t.ok(got < full, `stopped after ${got} of about ${full} samples`);
  const pre = new AbortController();
  pre.abort();
  t.same((await all(tts.synthesize('hello', { signal: pre.signal }))).chunks, []);
});

t.test('a missing binary is an error and shows in health', async (t) => {
  const tts = new EspeakTts({ command: '/nonexistent/espeak-ng' });
  await t.rejects(all(tts.synthesize('hello')));
  t.equal(tts.health().ok, false);
});

t.test('PcmByteStream reassembles WAV bytes split anywhere', async (t) => {
  const samples = Int16Array.from({ length: 1001 }, (_, i) => (i * 37) % 20000 - 10000);
  const wav = new Uint8Array(encodeWav(samples, 24000));
  for (const step of [1, 3, 7, 44, 45, 1000]) {
    const s = new PcmByteStream({ wav: true, sampleRate: 0 });
    const parts: number[] = [];
    for (let i = 0; i < wav.length; i += step) parts.push(...s.push(wav.subarray(i, i + step)));
    t.equal(s.sampleRate, 24000);
    t.same(parts, [...samples], `step ${step}`);
  }
  const raw = new PcmByteStream({ wav: false, sampleRate: 16000 });
  t.same([...raw.push(new Uint8Array([1, 0, 2]))], [1]);
  t.same([...raw.push(new Uint8Array([0]))], [2]);
  t.throws(() => new PcmByteStream({ wav: true, sampleRate: 0 }).push(new Uint8Array(20)), /RIFF/);
});
