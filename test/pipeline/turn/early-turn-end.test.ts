/**
 * A turn ends at a pause when the recogniser is sure the caller said a whole expected phrase: the
 * answer starts before the VAD's full silence, and the VAD's later end is not a second turn. It
 * does not when the reading is unsure, leads on ("my number is"), is a number half read out, or
 * speech resumed before the reading came back; a persona can turn it off. Speech after a turn
 * that ended at a pause pauses the answer and is judged like any speech over a reply.
 */
import t from 'tap';
import { VoicePipeline } from '../../../pipeline/voice-pipeline.ts';
import type { PipelineEvent } from '../../../pipeline/call-pipeline.ts';
import type { DialogueChunk, DialoguePort, SttPort, TtsPort } from '../../../pipeline/turn/ports.ts';
import { isCompleteTurn, isUnsureFragment } from '../../../pipeline/turn/turn-completion.ts';
import { ManualVad } from '../helpers/manual-vad.ts';
import { clockedCall } from '../helpers/clocked-call.ts';

interface Peek {
  text: string;
  sure: boolean;
}

function setup(opts: { peek: Peek | (() => Promise<Peek>); final?: string; earlyTurnEnd?: boolean; minUtteranceMs?: number }) {
  const vad = new ManualVad();
  const asked: string[] = [];
  let finals = 0;
  const stt: SttPort = {
    begin: () => ({
      accept() {},
      peek: typeof opts.peek === 'function' ? opts.peek : async () => opts.peek as Peek,
      finish: async () => {
        finals++;
        return opts.final ?? 'what time do you open';
      },
      cancel() {},
    }),
  };
  const tts: TtsPort = {
    async *synthesize(_text, signal) {
      if (!signal.aborted) yield { pcm: new Int16Array(1600).fill(3000), sampleRate: 16000 };
    },
  };
  const dialogue: DialoguePort = {
    async *greet() {},
    async *respond(text): AsyncIterable<DialogueChunk> {
      asked.push(text);
      yield { type: 'text', text: 'We open at nine. ' };
    },
  };
  const p = new VoicePipeline({ callId: 'c1', channel: 'test' }, {
    vad, stt, tts, dialogue, splitter: () => ({ push: (d: string) => [d], flush: () => [] }),
    config: { minUtteranceMs: opts.minUtteranceMs ?? 0, bargeInConfirmMs: 800, vadHangoverMs: 0 },
    dialogueSettings: { silenceRepromptMs: 0, silenceHangupMs: 0, maxCallMs: 0, ...(opts.earlyTurnEnd === undefined ? {} : { earlyTurnEnd: opts.earlyTurnEnd }) },
  });
  const events: PipelineEvent[] = [];
  p.onEvent((e) => events.push(e));
  return { p, vad, events, asked, finals: () => finals };
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};
const frames = (p: VoicePipeline, n: number) => {
  for (let i = 0; i < n; i++) p.pushAudio(new Int16Array(320));
};

t.test('a sure, whole phrase at a pause is answered there; the VAD end after it is not a second turn', async (t) => {
  const { p, vad, events, asked, finals } = setup({ peek: { text: 'what time do you open', sure: true } });
  frames(p, 60);
  vad.fire({ type: 'start', sample: 0 });
  vad.fire({ type: 'pause', sample: 16000 });
  await settle();
  t.same(asked, ['what time do you open'], 'answered at the pause');
  t.equal(finals(), 0, 'no second decode');
  t.ok(p.pullAudio(), 'the answer plays');
  vad.fire({ type: 'end', sample: 16000 });
  await settle();
  t.same(asked, ['what time do you open'], 'the VAD\'s own end makes no second turn');
  t.notOk(events.some((e) => e.type === 'interrupted'));
  t.equal(events.filter((e) => e.type === 'transcript').length, 1);
});

t.test('no early end for an unsure reading, one that leads on, a number half read, or with early_turn_end off', async (t) => {
  for (const [what, peek, earlyTurnEnd] of [
    ['unsure', { text: 'what time do you open', sure: false }, undefined],
    ['leads on', { text: 'my number is', sure: true }, undefined],
    ['half a number', { text: 'five five five one two', sure: true }, undefined],
    ['a lone "no"', { text: 'no', sure: true }, undefined],
    ['persona turned it off', { text: 'what time do you open', sure: true }, false],
  ] as const) {
    const { p, vad, asked, finals } = setup({ peek, earlyTurnEnd });
    frames(p, 60);
    vad.fire({ type: 'start', sample: 0 });
    vad.fire({ type: 'pause', sample: 16000 });
    await settle();
    t.same(asked, [], `${what}: not at the pause`);
    vad.fire({ type: 'end', sample: 16000 });
    await settle();
    t.equal(finals(), 1, `${what}: decoded at the VAD's end`);
    t.equal(asked.length, 1, `${what}: answered then`);
  }
});

t.test('speech resumed before the reading came back: the reading is stale', async (t) => {
  let release!: (p: Peek) => void;
  const { p, vad, asked } = setup({ peek: () => new Promise<Peek>((r) => (release = r)) });
  frames(p, 60);
  vad.fire({ type: 'start', sample: 0 });
  vad.fire({ type: 'pause', sample: 16000 });
  vad.fire({ type: 'resume', sample: 17000 });
  release({ text: 'what time do you open', sure: true });
  await settle();
  t.same(asked, [], 'not answered at the stale pause');
  vad.fire({ type: 'end', sample: 30000 });
  await settle();
  t.equal(asked.length, 1, 'answered at the end');
});

t.test('the caller goes on after a turn ended at a pause: the answer pauses, and real words interrupt it', async (t) => {
  const { p, vad, events, asked } = setup({ peek: { text: 'what time do you open', sure: true }, final: 'on saturdays please' });
  frames(p, 60);
  vad.fire({ type: 'start', sample: 0 });
  vad.fire({ type: 'pause', sample: 16000 });
  await settle();
  t.ok(p.pullAudio(), 'the answer plays');
  vad.fire({ type: 'resume', sample: 20000 });
  t.equal(p.pullAudio(), null, 'paused while the caller goes on');
  frames(p, 10);
  vad.fire({ type: 'end', sample: 28000 });
  await settle();
  t.ok(events.some((e) => e.type === 'interrupted'), 'the answer is interrupted');
  t.same(asked, ['what time do you open', 'on saturdays please']);
});

t.test('what counts as a whole turn', async (t) => {
  t.ok(isCompleteTurn('what time do you open'));
  t.ok(isCompleteTurn('yes that is right'));
  t.ok(isCompleteTurn('five five five one two three four five six seven'), 'ten digits: a whole number');
  t.notOk(isCompleteTurn('my name is john and'));
  t.notOk(isCompleteTurn('my number is'));
  t.notOk(isCompleteTurn('five five five'));
  t.notOk(isCompleteTurn('мой номер'));
  t.notOk(isCompleteTurn(''));
  t.notOk(isCompleteTurn('stop', ['stop', 'mhm']), 'an over-reply word alone');
  t.ok(isCompleteTurn('a table for two'), 'one digit word is an answer, not a number begun');
  t.ok(isCompleteTurn('at nine thirty'), 'nor are two');
});

t.test('a whole question over a paused reply ends at its pause and interrupts the reply', async (t) => {
  const { p, vad, events, asked } = setup({ peek: { text: 'where is your office', sure: true } });
  frames(p, 60);
  vad.fire({ type: 'start', sample: 0 });
  vad.fire({ type: 'end', sample: 16000 });
  await settle();
  t.ok(p.pullAudio(), 'the first answer plays');
  vad.fire({ type: 'start', sample: 20000 });
  t.equal(p.pullAudio(), null, 'paused by the new speech');
  vad.fire({ type: 'pause', sample: 30000 });
  await settle();
  t.ok(events.some((e) => e.type === 'interrupted'), 'the reply is cut at the pause');
  t.same(asked, ['what time do you open', 'where is your office']);
});

t.test('a number read out in groups is one turn: each group that plainly goes on is held for the next', async (t) => {
  const call = clockedCall({ settings: {}, heard: ['five five five', 'one two three', 'four five six seven'] });
  call.p.start();
  await call.runUntil('greeting played', () => call.events.some((e) => e.type === 'response_audio_end'));
  for (const ms of [600, 600, 800]) {
    await call.speak(ms);
    await call.run(300);
  }
  await call.runUntil('the answer', () => call.events.some((e) => e.type === 'transcript'));
  const transcripts = call.events.filter((e) => e.type === 'transcript').map((e) => (e as { text: string }).text);
  t.same(transcripts, ['five five five one two three four five six seven'], 'one turn with the whole number');
  await call.runUntil('the answer played', () => call.events.filter((e) => e.type === 'response_audio_end').length === 2);
  t.equal(call.events.filter((e) => e.type === 'response_audio_start').length, 2, 'the greeting and one answer');
});

t.test('a held turn nobody finishes is answered after the hold; with early_turn_end off it is answered at once', async (t) => {
  for (const earlyTurnEnd of [true, false]) {
    const call = clockedCall({ settings: { earlyTurnEnd }, heard: ['my name is'] });
    call.p.start();
    await call.runUntil('greeting played', () => call.events.some((e) => e.type === 'response_audio_end'));
    await call.speak(600);
    await call.run(100);
    const early = call.events.some((e) => e.type === 'transcript');
    t.equal(early, !earlyTurnEnd, earlyTurnEnd ? 'held at the VAD\'s end' : 'answered at the VAD\'s end');
    const waited = await call.runUntil('the answer', () => call.events.some((e) => e.type === 'transcript'));
    if (earlyTurnEnd) t.ok(waited >= 600 && waited <= 1000, `answered as it stands after the hold (${waited + 100} ms after the end)`);
  }
});

t.test('a breath after a turn that ended at its pause: the answer it paused plays on', async (t) => {
  const { p, vad, events } = setup({ peek: { text: 'what time do you open', sure: true }, minUtteranceMs: 200 });
  frames(p, 60);
  vad.fire({ type: 'start', sample: 0 });
  vad.fire({ type: 'pause', sample: 16000 });
  await settle();
  t.ok(p.pullAudio(), 'the answer plays');
  vad.fire({ type: 'resume', sample: 20000 });
  t.equal(p.pullAudio(), null, 'paused');
  vad.fire({ type: 'end', sample: 20000 }); // nothing of length came of it
  await settle();
  t.ok(p.pullAudio(), 'playing again');
  t.notOk(events.some((e) => e.type === 'interrupted'), 'not interrupted');
});

t.test('what counts as an unsure fragment: short, not sure, not a word said over a reply', async (t) => {
  t.ok(isUnsureFragment('well', 0.4));
  t.ok(isUnsureFragment('where are we', 0.5), 'three words');
  t.notOk(isUnsureFragment('do you sell gift cards', 0.4), 'four words: a sentence of its own');
  t.notOk(isUnsureFragment('well', 0.9), 'a sure reading');
  t.notOk(isUnsureFragment('well', undefined), 'an engine with no confidence');
  t.notOk(isUnsureFragment('mhm', 0.4, ['mhm', 'stop']), 'a backchannel');
  t.notOk(isUnsureFragment('', 0.4));
});

t.test('a short unsure reading waits for more: the misheard start of a sentence and its end are one turn', async (t) => {
  const call = clockedCall({ settings: {}, heard: ['well', 'your address'], confidence: 0.4 });
  call.p.start();
  await call.runUntil('greeting played', () => call.events.some((e) => e.type === 'response_audio_end'));
  await call.speak(500);
  await call.run(200); // 200 ms after the VAD's end: inside the unsure hold
  t.notOk(call.events.some((e) => e.type === 'transcript'), 'not answered at the VAD\'s end');
  await call.speak(600);
  await call.runUntil('the answer', () => call.events.some((e) => e.type === 'transcript'));
  t.same(call.events.filter((e) => e.type === 'transcript').map((e) => (e as { text: string }).text), ['well your address']);
});

t.test('an unsure short turn nobody goes on from is answered after the unsure hold; a sure one, a longer one, or with the hold off, at once', async (t) => {
  const cases: Array<[string, { heard: string; confidence: number; turn?: { unsureHoldMs: number }; earlyTurnEnd?: boolean }, boolean]> = [
    ['unsure, three words', { heard: 'who is this', confidence: 0.4 }, true],
    ['sure', { heard: 'who is this', confidence: 0.9 }, false],
    ['four words', { heard: 'who is this please', confidence: 0.4 }, false],
    ['a backchannel', { heard: 'mhm', confidence: 0.4 }, false],
    ['the hold off', { heard: 'who is this', confidence: 0.4, turn: { unsureHoldMs: 0 } }, false],
    ['early_turn_end off', { heard: 'who is this', confidence: 0.4, earlyTurnEnd: false }, false],
  ];
  for (const [name, c, held] of cases) {
    const call = clockedCall({ settings: c.earlyTurnEnd === undefined ? {} : { earlyTurnEnd: c.earlyTurnEnd }, heard: [c.heard], confidence: c.confidence, turn: { unsureHoldMs: 400, ...c.turn } });
    call.p.start();
    await call.runUntil('greeting played', () => call.events.some((e) => e.type === 'response_audio_end'));
    await call.speak(600);
    await call.run(100);
    t.equal(call.events.some((e) => e.type === 'transcript'), !held, `${name}: ${held ? 'held' : 'answered'} at the VAD's end`);
    const waited = await call.runUntil('the answer', () => call.events.some((e) => e.type === 'transcript'));
    if (held) t.ok(waited >= 200 && waited <= 600, `${name}: answered as it stands after the unsure hold (${waited + 100} ms after the end)`);
  }
});
