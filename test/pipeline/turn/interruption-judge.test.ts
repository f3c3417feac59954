/**
 * Backchannel or interruption, judged on more than the words. The readings below are what the
 * fallback recogniser (pocketsphinx, general LM + grammar of the over-reply vocabulary) made of
 * espeak-ng and flite speech (measured with bench/backchannels.ts): a judge on the first reading
 * alone would cancel the reply on "huh", "the", "i am" and let a clipped "stop" ("so") through.
 */
import t from 'tap';
import { DEFAULT_TURN_CONFIG } from '../../../pipeline/turn/config.ts';
import { judgeSpeechOverReply, overReplyVocabulary, type Heard } from '../../../pipeline/turn/interruption-judge.ts';

const config = DEFAULT_TURN_CONFIG;
const judge = (heard: Heard, isAnswer?: (text: string) => boolean) => judgeSpeechOverReply(heard, config, isAnswer);

t.test('vocalisations the recogniser misread are backchannels', async (t) => {
  const cases: Array<[string, Heard]> = [
    ['espeak "mhm" as "huh" (grammar: yeah)', { text: 'huh', alternatives: ['yeah'], confidence: 0.4, durationMs: 620 }],
    ['espeak "mm hmm" as "i am"', { text: 'i am', alternatives: ['yeah'], confidence: 0.4, durationMs: 620 }],
    ['espeak "uh huh" as "the"', { text: 'the', alternatives: ['uh huh'], confidence: 0.4, durationMs: 410 }],
    ['espeak "I see" as "the"', { text: 'the', alternatives: ['i see'], confidence: 0.4, durationMs: 420 }],
    ['flite "mhm" spelt "an h m", no grammar reading', { text: 'an h m', alternatives: [], confidence: 0.4, durationMs: 770 }],
    ['flite "uh huh" as "the head" (grammar: uh huh)', { text: 'the head', alternatives: ['uh huh'], confidence: 0.4, durationMs: 220 }],
    ['nothing recognised', { text: '', durationMs: 300 }],
    ['a listed backchannel', { text: 'okay', confidence: 0.9, durationMs: 430 }],
  ];
  for (const [what, heard] of cases) t.equal(judge(heard), 'backchannel', what);
});

t.test('interrupting words and questions interrupt, also when only another reading has them', async (t) => {
  const cases: Array<[string, Heard]> = [
    ['espeak "stop" as "so" (grammar: stop)', { text: 'so', alternatives: ['stop'], confidence: 0.4, durationMs: 400 }],
    ['espeak "hold on" as "oh ah" (grammar: hold on)', { text: 'oh ah', alternatives: ['hold on'], confidence: 0.4, durationMs: 640 }],
    ['"wait" heard surely', { text: 'wait', confidence: 0.9, durationMs: 350 }],
    ['"no wait a second"', { text: 'no wait a second', confidence: 0.4, durationMs: 700 }],
    ['Russian "подождите"', { text: 'подождите', durationMs: 500 }],
    ['a short question', { text: 'what time', confidence: 0.4, durationMs: 500 }],
    ['a question misread as fillers but long', { text: 'i know', alternatives: ['when are you open'], confidence: 0.4, durationMs: 1260 }],
  ];
  for (const [what, heard] of cases) t.equal(judge(heard), 'interruption', what);
});

t.test('a sure reading is not second-guessed by the other readings', async (t) => {
  t.equal(judge({ text: 'yeah', alternatives: ['stop'], confidence: 0.9, durationMs: 300 }), 'backchannel');
  t.equal(judge({ text: 'yeah', alternatives: ['stop'], confidence: 0.4, durationMs: 300 }), 'interruption', 'an unsure one is');
});

t.test('an answer the dialogue waits for (a "yes" to a read-back) interrupts, a filler word inside a longer word does not', async (t) => {
  t.equal(judge({ text: 'yes', confidence: 0.9, durationMs: 300 }), 'backchannel', 'yes is a backchannel by default');
  t.equal(judge({ text: 'yes', confidence: 0.9, durationMs: 300 }, (x) => x === 'yes'), 'interruption', 'unless it answers');
  t.equal(judge({ text: 'stopwatch', confidence: 0.9, durationMs: 500 }), 'interruption', 'not a filler: a word to answer');
  t.equal(judge({ text: 'nothing', confidence: 0.9, durationMs: 300 }), 'interruption', '"no" inside a word is not the word "no"');
});

t.test('the vocabulary the recogniser is given while a reply plays holds both lists', async (t) => {
  const v = overReplyVocabulary(config);
  for (const w of ['mhm', 'uh huh', 'stop', 'hold on', 'подождите']) t.ok(v.includes(w), w);
});
