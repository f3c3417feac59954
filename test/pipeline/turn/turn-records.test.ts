/**
 * The turn manager reports each turn whole, once, when it ends (what opened it, what the caller
 * said, what was replied and what of it was heard, its latencies and times), and as it grows: at
 * its start and each time a sentence has played. The call's end is the last thing it reports,
 * after the record of a reply the hang-up cut short.
 */
import t from 'tap';
import type { TurnRecord } from '../../../pipeline/call-pipeline.ts';
import { clockedCall } from '../helpers/clocked-call.ts';

const REPLY = ['We open at nine. ', 'We close at six. ', 'On Sundays we are closed. '];

t.test('a normal turn, a barge-in, typed text and a hang-up mid-reply: one whole record each, in order', async (t) => {
  const c = clockedCall({ settings: {}, sentenceMs: 200, reply: REPLY, heard: ['what are your hours', 'and on sunday'] });
  c.p.start();
  await c.runUntil('the greeting played', () => c.turns().length === 1);
  await c.speak();
  await c.runUntil('the first answer played', () => c.turns().length === 2, 10_000);
  await c.speak();
  await c.run(300); // the first sentence and part of the second
  c.vad.fire({ type: 'start', sample: c.sample() });
  await c.run(600, true); // confirmed after 400 ms
  c.vad.fire({ type: 'end', sample: c.sample() });
  await c.runUntil('the interruption answered', () => c.turns().length === 4, 10_000);
  c.p.control({ type: 'text', text: 'where are you' });
  await c.p.close('client_hangup');

  const turns = c.turns();
  t.same(turns.map((x) => x.index), [1, 2, 3, 4, 5], 'every turn once, numbered in order');
  t.match(turns[0], { cause: 'greeting', callerText: '', replyText: 'Hello.', heardText: 'Hello.', interrupted: false });
  const all = REPLY.join('').trim();
  t.match(turns[1], { cause: 'caller', callerText: 'what are your hours', heardText: all, interrupted: false }, 'a reply played whole');
  t.equal(turns[1].replyText.trim(), all);
  for (const k of ['endpoint_ms', 'stt_final_ms', 'llm_ttft_ms', 'tts_ttfa_ms', 'v2v_ms'] as const) t.type(turns[1].metrics[k], 'number', k);
  t.notOk('barge_in_ms' in turns[1].metrics, 'no barge-in in it');
  t.match(turns[2], { cause: 'caller', callerText: 'and on sunday', interrupted: true, heardText: /^We open at nine\. We close…$/ }, 'cut by the barge-in: what was heard');
  t.equal(turns[2].replyText.trim(), all, 'though all of it was generated');
  t.type(turns[2].metrics.barge_in_ms, 'number', 'with its barge-in latency');
  t.match(turns[3], { cause: 'caller', callerText: '', heardText: all, interrupted: false }, 'the interrupting words, not understood, were answered all the same');
  t.match(turns[4], { cause: 'caller', callerText: 'where are you', interrupted: true, heardText: '' }, 'cut by the hang-up before anything played');
  t.notOk(turns[4].metrics.v2v_ms, 'typed text has no voice-to-voice time');
  for (const x of turns) {
    t.ok(x.endedAt && Date.parse(x.endedAt) >= Date.parse(x.startedAt), `turn ${x.index} has its times`);
    t.equal(x.metrics.turn, x.index);
  }
  t.same(c.records.at(-1), { type: 'call_end', reason: 'client_hangup' }, 'the end comes last');
  const ends = c.records.filter((r) => r.type === 'turn_end').length;
  t.equal(ends, turns.length, 'no second record for any turn');
});

t.test('progress: a turn is reported when it opens and after each sentence played, with what was heard so far', async (t) => {
  const c = clockedCall({ settings: {}, sentenceMs: 200, reply: REPLY, heard: ['what are your hours'] });
  await c.speak();
  await c.runUntil('the answer played', () => c.turns().length === 1, 10_000);
  const progress = c.records.filter((r) => r.type === 'turn_progress').map((r) => (r as { turn: TurnRecord }).turn);
  t.same(progress.map((x) => x.heardText), ['', 'We open at nine.', 'We open at nine. We close at six.', 'We open at nine. We close at six. On Sundays we are closed.']);
  t.ok(progress.every((x) => x.callerText === 'what are your hours' && x.endedAt === null && x.index === 1));
  const spoken = c.events.filter((e) => e.type === 'response_spoken').map((e) => (e as { text: string }).text);
  t.same(spoken, progress.slice(1).map((x) => x.heardText), 'the same as the protocol\'s response_spoken');
});
