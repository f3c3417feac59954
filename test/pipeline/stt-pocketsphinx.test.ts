import t from 'tap';
import { PocketsphinxStt } from '../../pipeline/engines/stt-pocketsphinx.ts';
import { buildGrammar, loadDictionary, phraseWords } from '../../pipeline/engines/pocketsphinx-grammar.ts';
import { PocketsphinxBatchDecoder } from '../../pipeline/engines/pocketsphinx-batch.ts';
import { FaqMatcher } from '../../pipeline/dialogue/faq-matcher.ts';
import { defaultFaq } from '../../pipeline/dialogue/persona.ts';
import { speech } from './helpers/speech.ts';

const faq = new FaqMatcher(defaultFaq('en'));
const phrases = [...faq.phrases(), 'yes', 'no', 'no thank you', 'goodbye'];

t.test('grammar building drops unknown words and writes a small dictionary', async (t) => {
  const dict = loadDictionary('/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict');
  t.same(phraseWords("What's up, Doc? 42"), ["what's", 'up', 'doc']);
  const g = buildGrammar(['Hello there!', 'Zzyzxq hello', 'hello there'], dict);
  t.same(g.phrases, ['hello there', 'hello']);
  t.same(g.droppedWords, ['zzyzxq']);
  t.match(g.jsgf, /public <utterance> = hello there \| hello;/);
  t.match(g.dict, /^hello HH AH L OW$/m);
  t.throws(() => buildGrammar(['qqqzx'], dict), /no phrase/);
  // Hints come from FAQ questions an operator typed: only dictionary words reach the grammar file.
  const hostile = buildGrammar(['hello; public <x> = /etc/passwd | <NULL>', '#JSGF V1.0; grammar evil; import <a.b>;', '../../secret.key there'], dict);
  t.match(hostile.jsgf, /^#JSGF V1\.0;\ngrammar expected;\npublic <utterance> = [a-z' |]+;\n$/, 'one rule of plain words: no JSGF syntax, no paths');
  t.same(hostile.phrases, ['hello public x etc null', 'v grammar evil import a b', 'secret key there']);
});

t.test('flite "What are your opening hours?" maps to the opening-hours FAQ at 16 kHz and via 8 kHz', async (t) => {
  const stt = new PocketsphinxStt({ phrases });
  t.teardown(() => stt.close());
  for (const via8k of [false, true]) {
    const { pcm } = await speech('What are your opening hours?', { via8k, leadSilenceSec: 0.3, trailSilenceSec: 0.3 });
    const r = await stt.transcribe(pcm);
    t.equal(faq.match(r.text)?.entry.id, 'opening-hours', `${via8k ? '8k' : '16k'}: "${r.text}" in ${r.latencyMs?.toFixed(0)} ms`);
  }
  t.ok(stt.health().ok);
});

t.test('off-script speech falls back to the general language model', async (t) => {
  const stt = new PocketsphinxStt({ phrases });
  t.teardown(() => stt.close());
  const { pcm } = await speech('My name is John Smith', { leadSilenceSec: 0.2, trailSilenceSec: 0.2 });
  const r = await stt.transcribe(pcm);
  t.match(r.text, /john/, `"${r.text}"`);
  t.equal(faq.match(r.text), null);
});

t.test('streams accumulate audio; hints choose the grammar; short input is skipped', async (t) => {
  const stt = new PocketsphinxStt({ useLm: false });
  t.teardown(() => stt.close());
  const { pcm } = await speech('Yes', { via8k: true, leadSilenceSec: 0.2, trailSilenceSec: 0.2 });
  const s = stt.createStream({ hints: ['yes', 'no'] });
  for (let i = 0; i < pcm.length; i += 320) s.accept(pcm.subarray(i, i + 320));
  t.equal((await s.finish()).text, 'yes');
  t.equal((await stt.transcribe(new Int16Array(800), { hints: ['yes', 'no'] })).text, '');
  t.equal(stt.streaming, false);
});

t.test('a decoder whose process dies fails the utterance and recovers on the next', async (t) => {
  const dec = new PocketsphinxBatchDecoder({
    hmm: '/usr/share/pocketsphinx/model/en-us/en-us',
    dict: '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict',
    jsgf: '/nonexistent.jsgf',
  });
  t.teardown(() => dec.close());
  await t.rejects(dec.decode(new Int16Array(16000)), /exited/);
  t.ok(dec.lastError);
});

t.test('a peek at a pause reads the grammar at once and starts the whole decode; the end takes it unless loud audio followed', async (t) => {
  const stt = new PocketsphinxStt({ phrases });
  t.teardown(() => stt.close());
  const { pcm } = await speech('What are your opening hours?', { trailSilenceSec: 0.2 });
  const silence = new Int16Array(16000 * 0.3);

  const quiet = stt.createStream();
  quiet.accept(pcm);
  const peeked = await quiet.peek!();
  t.match(peeked.text, /opening hours/, `the grammar's reading at the pause: "${peeked.text}"`);
  t.ok((peeked.confidence ?? 0) >= 0.9, 'and it is sure of it');
  quiet.accept(silence);
  const started = performance.now();
  const final = await quiet.finish();
  t.equal(final.text, peeked.text, 'the final is the decode begun at the pause');
  t.comment(`final ready ${Math.round(performance.now() - started)} ms after the end`);

  // A pause before any words (a caller who hesitates first): its reading is empty, and the question after it is decoded afresh.
  const more = stt.createStream();
  more.accept(silence);
  t.equal((await more.peek!()).text, '', 'nothing at the first pause');
  more.accept(pcm);
  t.match((await more.finish()).text, /opening hours/, 'speech after the pause is decoded afresh');
});

t.test('a peek too early (under 100 ms of audio) reads nothing', async (t) => {
  const stt = new PocketsphinxStt({ phrases });
  t.teardown(() => stt.close());
  const s = stt.createStream();
  s.accept(new Int16Array(800));
  t.same(await s.peek!(), { text: '', confidence: 0, latencyMs: 0 });
});
