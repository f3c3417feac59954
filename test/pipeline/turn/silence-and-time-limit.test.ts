/**
 * The dialogue settings in the turn manager's behaviour, on a clock the test steps (20 ms per
 * transport tick, the ManualVad for the caller's speech): a silent caller is asked once whether
 * they are still there and then hung up on politely (`silence`); speech resets that clock, noise
 * the VAD does not call speech does not, and a reply playing holds it; at the call's time limit
 * the sentence being said is finished, then the goodbye, then the hang-up (`max_duration`).
 */
import t from 'tap';
import { CUE_WORDS, clockedCall } from '../helpers/clocked-call.ts';

const greeted = async (c: ReturnType<typeof clockedCall>) => {
  c.p.start();
  await c.runUntil('the greeting played', () => c.events.some((e) => e.type === 'response_audio_end'));
  return c.now();
};
const said = (c: ReturnType<typeof clockedCall>, text: string) => c.events.filter((e) => e.type === 'response_text_delta' && (e as { text: string }).text === text);

t.test('a silent caller is asked once whether they are still there, then hears a goodbye and the call hangs up with `silence`', async (t) => {
  const c = clockedCall({ settings: { silenceRepromptMs: 2000, silenceHangupMs: 5000 } });
  const greetingEnd = await greeted(c);
  await c.run(1900);
  t.same(said(c, CUE_WORDS.still_there), [], 'not before 2 s of silence');
  await c.run(200);
  const asked = said(c, CUE_WORDS.still_there);
  t.equal(asked.length, 1, 'asked at 2 s');
  t.ok(asked[0].at - greetingEnd >= 2000 && asked[0].at - greetingEnd <= 2040, `at ${asked[0].at - greetingEnd} ms of silence`);
  await c.runUntil('the hang-up', () => c.hangup() !== undefined, 10_000);
  t.equal(said(c, CUE_WORDS.still_there).length, 1, 'asked once only');
  const goodbye = said(c, CUE_WORDS.silence_goodbye);
  t.equal(goodbye.length, 1, 'a goodbye');
  t.ok(goodbye[0].at - greetingEnd >= 5000 && goodbye[0].at - greetingEnd <= 5040, `said at ${goodbye[0].at - greetingEnd} ms of silence, the re-prompt counted as silence`);
  const hangup = c.hangup()!;
  t.equal(hangup.reason, 'silence');
  t.ok(hangup.at >= goodbye[0].at + 100, 'the hang-up only after the goodbye played');
  t.match(c.turns().map((x) => [x.cause, x.heardText]), [['greeting', 'Hello.'], ['silence', CUE_WORDS.still_there], ['silence', CUE_WORDS.silence_goodbye]], 'each a turn of its own');
  const n = c.events.length;
  await c.speak();
  await c.run(1000);
  t.same(c.events.slice(n).filter((e) => e.type !== 'turn_metrics'), [], 'after the hang-up the caller is no longer listened to');
});

t.test('speech resets the silence clock, even speech too short to be a turn; noise the VAD does not call speech does not', async (t) => {
  const c = clockedCall({ settings: { silenceRepromptMs: 2000, silenceHangupMs: 5000 } });
  await greeted(c);
  await c.run(1500, true); // loud line noise, no VAD start: still silence
  await c.speak(100); // a cough: speech to the VAD, no turn (shorter than minUtteranceMs)
  const spokeAt = c.now();
  t.notOk(c.events.some((e) => e.type === 'transcript'), 'no turn from the cough');
  await c.runUntil('the re-prompt', () => said(c, CUE_WORDS.still_there).length > 0, 10_000);
  t.ok(said(c, CUE_WORDS.still_there)[0].at - spokeAt >= 2000, 'asked 2 s after the speech ended, not 2 s after the greeting');

  const noisy = clockedCall({ settings: { silenceRepromptMs: 2000, silenceHangupMs: 5000 } });
  const greetingEnd = await greeted(noisy);
  await noisy.run(2100, true);
  t.equal(said(noisy, CUE_WORDS.still_there).length, 1, 'noise alone: asked at 2 s as for silence');
  t.ok(said(noisy, CUE_WORDS.still_there)[0].at - greetingEnd <= 2040);
});

t.test('a caller speaking holds the clock however long they speak', async (t) => {
  const c = clockedCall({ settings: { silenceRepromptMs: 2000, silenceHangupMs: 5000 }, heard: ['a very long story'] });
  await greeted(c);
  await c.speak(6000);
  t.same(said(c, CUE_WORDS.still_there), [], 'no re-prompt while the caller speaks');
  t.notOk(c.hangup(), 'nor a hang-up');
  t.ok(c.events.some((e) => e.type === 'transcript'), 'the caller is answered');
});

t.test('a reply playing holds the clock: silence counts from its end', async (t) => {
  const c = clockedCall({ settings: { silenceRepromptMs: 2000, silenceHangupMs: 5000 }, sentenceMs: 3000, heard: ['tell me everything'] });
  await greeted(c);
  await c.speak();
  const replyStart = c.now();
  await c.runUntil('the 6 s reply played', () => c.events.filter((e) => e.type === 'response_audio_end').length === 2, 20_000);
  const replyEnd = c.now();
  t.ok(replyEnd - replyStart >= 6000, 'two sentences of 3 s');
  t.same(said(c, CUE_WORDS.still_there), [], 'no re-prompt while it played');
  await c.runUntil('the re-prompt', () => said(c, CUE_WORDS.still_there).length > 0, 10_000);
  const at = said(c, CUE_WORDS.still_there)[0].at - replyEnd;
  t.ok(at >= 2000 && at <= 2040, `asked ${at} ms after the reply ended`);
});

t.test('a caller who answers the re-prompt is answered, and silence after that earns a new re-prompt', async (t) => {
  const c = clockedCall({ settings: { silenceRepromptMs: 2000, silenceHangupMs: 5000 }, heard: ['yes I am here'] });
  await greeted(c);
  await c.runUntil('the re-prompt', () => said(c, CUE_WORDS.still_there).length === 1, 10_000);
  await c.run(500);
  await c.speak();
  await c.runUntil('the answer played', () => c.turns().length === 3, 10_000);
  t.match(c.turns()[2], { cause: 'caller', callerText: 'yes I am here' });
  const answered = c.now();
  await c.runUntil('the second re-prompt', () => said(c, CUE_WORDS.still_there).length === 2, 10_000);
  t.ok(said(c, CUE_WORDS.still_there)[1].at - answered >= 2000, 'silence counted from the answer');
  t.notOk(c.hangup(), 'no hang-up: the silence started again');
});

t.test('at the time limit the sentence being said is finished, then the goodbye, then the hang-up with `max_duration`', async (t) => {
  const c = clockedCall({ settings: { maxCallMs: 3000 }, sentenceMs: 1000, heard: ['what can you tell me'], reply: ['One. ', 'Two. ', 'Three. ', 'Four. ', 'Five. '] });
  await greeted(c);
  await c.run(200);
  await c.speak();
  await c.runUntil('the hang-up', () => c.hangup() !== undefined, 20_000);
  t.equal(c.hangup()!.reason, 'max_duration');
  const reply = c.turns().find((x) => x.cause === 'caller')!;
  t.match(reply, { callerText: 'what can you tell me', interrupted: true }, 'the reply was cut');
  t.match(reply.heardText, /^One\.( Two\.)?$/, 'whole sentences only: the one playing at 3 s finished');
  t.notMatch(reply.heardText, /Three/, 'what followed it was dropped');
  t.match(c.events.filter((e) => e.type === 'interrupted'), [{ spoken_text: reply.heardText }], 'the client is told what was heard');
  const goodbye = c.turns().at(-1)!;
  t.match(goodbye, { cause: 'time_limit', heardText: CUE_WORDS.time_limit_goodbye, interrupted: false });
  const limitAt = 3000;
  const goodbyeText = said(c, CUE_WORDS.time_limit_goodbye)[0];
  t.ok(goodbyeText.at >= limitAt, 'the goodbye came after the limit');
  t.ok(goodbyeText.at <= limitAt + 1040, 'and no later than the sentence playing at the limit took to finish');
  t.ok(c.hangup()!.at >= goodbyeText.at + 100, 'the hang-up after the goodbye played');
});

t.test('at the time limit with nothing playing, the goodbye comes at once; a caller speaking cannot stop it', async (t) => {
  const c = clockedCall({ settings: { maxCallMs: 2000, silenceRepromptMs: 10_000 }, heard: ['wait, one more thing'] });
  await greeted(c);
  await c.run(1800);
  c.vad.fire({ type: 'start', sample: c.sample() }); // the caller starts speaking just before the limit...
  await c.run(400, true);
  t.equal(said(c, CUE_WORDS.time_limit_goodbye).length, 1, 'the goodbye at the limit');
  c.vad.fire({ type: 'end', sample: c.sample() });
  await c.runUntil('the hang-up', () => c.hangup() !== undefined, 5000);
  t.equal(c.hangup()!.reason, 'max_duration');
  t.notOk(c.events.some((e) => e.type === 'transcript'), '...and is not answered');
  t.notOk(c.events.some((e) => e.type === 'interrupted'), 'nor does the goodbye pause for them');
});

t.test('0 turns a rule off: no re-prompt, no hang-up, no time limit', async (t) => {
  const c = clockedCall({ settings: { silenceRepromptMs: 0, silenceHangupMs: 0, maxCallMs: 0 } });
  await greeted(c);
  await c.run(30_000);
  t.equal(c.turns().length, 1, 'only the greeting');
  t.notOk(c.hangup());
});

t.test('closing the call mid-goodbye still reports the goodbye as heard so far, and the end last', async (t) => {
  const c = clockedCall({ settings: { maxCallMs: 1000 }, sentenceMs: 1000 });
  await greeted(c);
  await c.runUntil('the goodbye playing', () => c.events.some((e) => e.type === 'response_audio_start' && e.at >= 1000), 5000);
  await c.run(200);
  await c.p.close('client_hangup');
  const last = c.records.at(-1)!;
  t.same(last, { type: 'call_end', reason: 'client_hangup' });
  t.match(c.turns().at(-1), { cause: 'time_limit', interrupted: true, heardText: '' }, 'cut before a word of it played whole');
});

t.test('a reply paused at a VAD onset when the time limit comes still finishes its sentence, says goodbye and hangs up', async (t) => {
  const c = clockedCall({ settings: { maxCallMs: 3000 }, sentenceMs: 1000, heard: ['what can you tell me'], reply: ['One. ', 'Two. ', 'Three. ', 'Four. ', 'Five. '] });
  await greeted(c);
  await c.run(200);
  await c.speak();
  await c.runUntil('the reply playing just before the limit', () => c.now() >= 2900);
  // Speech may be starting over the reply; neither its start nor its loss ever comes.
  c.vad.fire({ type: 'onset', sample: c.sample() });
  const pulled = c.pulled();
  await c.run(60);
  t.equal(c.pulled(), pulled, 'paused at the onset');
  await c.runUntil('the hang-up', () => c.hangup() !== undefined, 20_000);
  t.equal(c.hangup()!.reason, 'max_duration');
  t.match(c.turns().at(-1)!, { cause: 'time_limit', heardText: CUE_WORDS.time_limit_goodbye, interrupted: false }, 'the goodbye was heard whole');
});
