/**
 * A reply starts with its first audible sample: the TTS engine's leading padding is dropped from
 * the reply's start (and from a cached prompt), never from a later sentence, whose pause is speech.
 * With real espeak-ng the first frame the caller gets is audible from its first sample.
 */
import t from 'tap';
import { EspeakTts } from '../../../pipeline/engines/tts-espeak.ts';
import { SentenceSplitter } from '../../../pipeline/text/sentence-splitter.ts';
import { ttsPort } from '../../../pipeline/turn/engine-adapters.ts';
import { AUDIBLE_LEVEL, LEAD_IN_SAMPLES, LeadingSilenceTrimmer, firstAudibleSample } from '../../../pipeline/turn/leading-silence.ts';
import type { DialogueChunk, TtsPort } from '../../../pipeline/turn/ports.ts';
import { ReplyPlayer } from '../../../pipeline/turn/reply-player.ts';
import { ReplyVoice, type ReplySink } from '../../../pipeline/turn/reply-voice.ts';

const tone = (n: number, level = 3000) => Int16Array.from({ length: n }, (_, i) => Math.round(level * Math.sin(i / 3)) || level);
const concat = (...parts: Int16Array[]) => {
  const out = new Int16Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};

async function* say(text: string): AsyncIterable<DialogueChunk> {
  yield { type: 'text', text };
}

function sink(): ReplySink & { ttfa: number[] } {
  const ttfa: number[] = [];
  return { signal: new AbortController().signal, text() {}, hangup() {}, firstAudio: (ms) => void ttfa.push(ms), ttfa };
}

/** Everything the player would hand the transport, in order. */
function drain(player: ReplyPlayer): Int16Array {
  const frames: Int16Array[] = [];
  for (let f = player.next(); f; f = player.next()) frames.push(f);
  return concat(...frames);
}

t.test('the trimmer drops chunks until the onset, keeps a short lead-in, then passes everything', async (t) => {
  const trim = new LeadingSilenceTrimmer();
  t.equal(trim.trim(new Int16Array(500)).length, 0, 'a silent chunk is dropped whole');
  t.equal(trim.trim(Int16Array.from({ length: 100 }, () => AUDIBLE_LEVEL - 1)).length, 0, 'below the audible level counts as silence');
  const chunk = concat(new Int16Array(200), tone(100));
  const out = trim.trim(chunk);
  t.equal(out.length, 100 + LEAD_IN_SAMPLES, 'onset plus its lead-in');
  t.equal(firstAudibleSample(out), LEAD_IN_SAMPLES);
  t.ok(trim.audible);
  const later = new Int16Array(300);
  t.equal(trim.trim(later), later, 'after the onset silence passes untouched');
});

t.test('a reply loses its leading padding, its second sentence keeps its pause, a cached prompt is trimmed too', async (t) => {
  const padding = 1600; // 100 ms at 16 kHz
  const tts: TtsPort = {
    async *synthesize(text) {
      yield { pcm: new Int16Array(padding / 2), sampleRate: 16000 };
      yield { pcm: concat(new Int16Array(padding / 2), tone(text.length * 100)), sampleRate: 16000 };
    },
  };
  const player = new ReplyPlayer(320);
  const voice = new ReplyVoice({ tts, splitter: () => new SentenceSplitter(), player, now: () => performance.now() });
  const s = sink();
  await voice.speak(say('Hello there. We are open today.'), s);
  const out = drain(player);
  t.equal(s.ttfa.length, 1, 'tts_ttfa_ms reported once');
  t.ok(firstAudibleSample(out) <= LEAD_IN_SAMPLES, `the first audible sample is within the lead-in (at ${firstAudibleSample(out)})`);
  const firstLength = 'Hello there.'.length * 100;
  const second = out.subarray(LEAD_IN_SAMPLES + firstLength);
  // The player ends a sentence on a whole frame, so its last frame is filled out with up to 319 zeros.
  const pause = firstAudibleSample(second);
  t.ok(pause >= padding && pause < padding + 320, `the second sentence keeps its 100 ms pause (${pause} samples)`);

  voice.playReady('Are you still there?', concat(new Int16Array(padding), tone(640)));
  const cached = drain(player);
  t.ok(firstAudibleSample(cached) <= LEAD_IN_SAMPLES, 'a cached prompt starts audible');
});

t.test('with espeak-ng the first frame handed on is audible from its start', async (t) => {
  const engine = new EspeakTts();
  t.teardown(() => engine.close());
  const player = new ReplyPlayer(320);
  const voice = new ReplyVoice({ tts: ttsPort(engine), splitter: () => new SentenceSplitter(), player, now: () => performance.now() });
  const raw = concat(...(await collect(engine.synthesize('Hello, how can I help you?'))));
  t.ok(firstAudibleSample(raw) > 0, `espeak-ng pads its output (${firstAudibleSample(raw)} samples at 22.05 kHz)`);
  await voice.speak(say('Hello, how can I help you?'), sink());
  const out = drain(player);
  t.ok(out.length > 16000 * 0.8, 'the reply is all there');
  t.ok(firstAudibleSample(out) <= LEAD_IN_SAMPLES, `first audible sample at ${firstAudibleSample(out)}`);
});

async function collect(it: AsyncIterable<{ pcm: Int16Array }>): Promise<Int16Array[]> {
  const out: Int16Array[] = [];
  for await (const c of it) out.push(c.pcm);
  return out;
}
