/**
 * The secretary pipelines synthesise ahead every phrase a call may say without a dialogue (each
 * persona's greeting and silence cues): one that fails (a voice missing for one persona) must not
 * leave the others to be synthesised mid-call.
 */
import t from 'tap';
import { BuiltinConversationSource } from '../../pipeline/conversation/builtin-source.ts';
import { InMemoryMessageStore } from '../../pipeline/dialogue/message-store.ts';
import { fixedPhrases, defaultPersona } from '../../pipeline/dialogue/persona.ts';
import type { SttEngine, TtsChunk, TtsEngine, TtsOptions, VadEngine } from '../../pipeline/engines/types.ts';
import { PIPELINE_SAMPLE_RATE } from '../../pipeline/call-pipeline.ts';
import { createSecretaryPipelines } from '../../pipeline/secretary-pipeline.ts';

/** Speaks a short tone for any text but one, which fails as a missing voice would. */
class PickyTts implements TtsEngine {
  readonly name = 'picky';
  readonly sampleRate = PIPELINE_SAMPLE_RATE;
  readonly asked: string[] = [];
  constructor(private readonly failOn: string) {}
  async *synthesize(text: string, _opts?: TtsOptions): AsyncIterable<TtsChunk> {
    this.asked.push(text);
    if (text === this.failOn) throw new Error('no such voice');
    yield { pcm: new Int16Array(160).fill(1000), sampleRate: this.sampleRate };
  }
  health() {
    return { name: this.name, ok: true, detail: '' };
  }
  async close() {}
}

const unused = <T>(what: string): T =>
  new Proxy({}, { get: (_o, key) => (key === 'then' ? undefined : () => { throw new Error(`${what} is not used by warm()`); }) }) as T;

t.test('warm(): a phrase that fails is reported, and every other persona phrase is still synthesised ahead', async (t) => {
  const source = new BuiltinConversationSource();
  const phrases = source.greetings().map((g) => g.text);
  const english = fixedPhrases(defaultPersona('en'));
  t.ok(phrases.length >= 8, `${phrases.length} phrases: greeting and three cues for each shipped persona`);
  t.ok(english.every((p) => phrases.includes(p)), 'the English greeting and its cues among them');
  const tts = new PickyTts(phrases[0]);
  const pipelines = createSecretaryPipelines({ engines: { vad: unused<VadEngine>('vad'), stt: unused<SttEngine>('stt'), tts }, source, store: new InMemoryMessageStore() });

  const err = await pipelines.warm();
  t.match(err?.message, /no such voice/, 'the failure is returned');
  t.same(new Set(tts.asked), new Set(phrases), 'every phrase was tried, the ones after the failure too');
  t.equal(pipelines.greetings.size, new Set(phrases).size - 1, 'all but the failed one are ready');
  t.notOk(pipelines.greetings.texts().includes(phrases[0]), 'not the failed one');
});
