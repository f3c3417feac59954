/**
 * End to end over the WebSocket transport with the real engines a fresh install runs: Silero VAD
 * (worker thread), pocketsphinx, espeak-ng, the built-in secretary, the SQLite call log.
 * Timing targets are the voice bench's job; here bounds only prove the behaviour (audio stops,
 * rather than playing on for seconds).
 */
import t from 'tap';
import { clientBargeInMs, runScriptedCall } from '../../bench/lib/scripted-caller.ts';
import { startSecretaryGateway, type SecretaryGateway } from './helpers/secretary-gateway.ts';
import { until } from '../helpers/until.ts';
import { fliteSpeech, withSilence } from '../../bench/lib/flite-speech.ts';
import { leaveMessageSteps } from './helpers/caller-script.ts';

let gw: SecretaryGateway;
t.before(async () => {
  gw = await startSecretaryGateway();
});
t.teardown(() => gw.stop());

const textOf = (events: { type: string; text?: unknown }[]) =>
  events.filter((e) => e.type === 'response_text_delta').map((e) => String(e.text)).join('');

t.test('"What are your opening hours?" is answered from the FAQ, and the call is logged', async (t) => {
  const question = fliteSpeech('What are your opening hours?');
  const r = await runScriptedCall({ url: gw.url, token: gw.token, steps: [{ audio: withSilence(question, 100, 200), cue: { after: 'reply', gapMs: 200 } }], maxMs: 25000 });
  const transcripts = r.events.filter((e) => e.type === 'transcript' && e.final).map((e) => String(e.text));
  t.same(transcripts, ['what are your opening hours'], 'pocketsphinx heard the question');
  t.match(textOf(r.events), /Monday to Friday from nine in the morning to six in the evening/, 'the FAQ answer');
  const metrics = r.events.filter((e) => e.type === 'turn_metrics').map((e) => e.metrics as Record<string, number>);
  const answered = metrics.find((m) => m.stt_final_ms !== undefined)!;
  t.ok(answered, 'the answered turn reports metrics');
  for (const k of ['endpoint_ms', 'stt_final_ms', 'llm_ttft_ms', 'tts_ttfa_ms', 'v2v_ms']) t.type(answered[k], 'number', k);
  t.ok(r.frames.filter((f) => f.loud).length * 20 > 3000, 'seconds of reply audio (greeting and answer) arrived');

  const callId = String(r.events.find((e) => e.type === 'started')!.call_id);
  await gw.pipelines.callLog!.flush();
  const call = await until('the call logged as completed', async () => {
    const row = await gw.controlPlane.repos.calls.get(callId);
    return row?.status === 'completed' ? row : null;
  });
  t.equal(call?.channel, 'ws');
  t.equal(call?.end_reason, 'script_done');
  const transcript = await gw.controlPlane.repos.calls.transcript(callId);
  t.ok(transcript.some((s) => s.speaker === 'caller' && s.text === 'what are your opening hours'), 'caller turn in the transcript');
  t.ok(transcript.some((s) => s.speaker === 'assistant' && /Monday to Friday/.test(s.text)), 'answer in the transcript');
  const turns = await gw.controlPlane.repos.calls.turns(callId);
  const row = turns.find((x) => x.user_text === 'what are your opening hours');
  t.ok(row && row.v2v_ms !== null && row.stt_final_ms !== null, 'turn row with its latencies');
});

t.test('barge-in: the caller cuts into the greeting and the reply audio stops', async (t) => {
  const interruption = fliteSpeech('What is your address?');
  const r = await runScriptedCall({
    url: gw.url,
    token: gw.token,
    steps: [{ audio: withSilence(interruption, 0, 200), cue: { after: 'reply_start', delayMs: 800 } }],
    maxMs: 20000,
  });
  const interrupted = r.events.find((e) => e.type === 'interrupted');
  t.ok(interrupted, 'interrupted event');
  t.match(String(interrupted?.spoken_text), /^Hello/, 'what the caller heard of the greeting is reported');
  const bargeIn = clientBargeInMs(r, r.said[0]);
  t.ok(bargeIn !== null, 'reply audio was playing when the caller spoke');
  // The greeting (~4.4 s of espeak-ng) has ~3.5 s left at the cut: stopping before 3 s proves it
  // was stopped, with room for a loaded machine making the VAD later (how fast is barge_in_ms in
  // the voice bench).
  t.ok(bargeIn! < 3000, `reply audio stopped ${bargeIn} ms after the caller started speaking, not played on`);
  const server = r.events.filter((e) => e.type === 'turn_metrics').map((e) => (e.metrics as Record<string, number>).barge_in_ms).find((x) => x !== undefined);
  t.type(server, 'number', 'server-side barge_in_ms reported');
  t.match(textOf(r.events), /1 Main Street/, 'then the interruption is answered');
});

t.test('take a message: name, caller id confirmed, reason, read back, stored, goodbye', async (t) => {
  const r = await runScriptedCall({
    url: gw.url,
    token: gw.token,
    caller: '+15551234567',
    steps: leaveMessageSteps(),
    // A ceiling, not a figure: the gateway hangs up when the dialogue is done (~45 s on an idle
    // machine); a cap reached during the goodbye would end the call as the client's instead.
    maxMs: 120_000,
  });
  const transcripts = r.events.filter((e) => e.type === 'transcript' && e.final).map((e) => String(e.text));
  t.comment(`heard: ${JSON.stringify(transcripts)}`);
  const text = textOf(r.events);
  t.match(text, /May I have your name/, 'asks for the name');
  t.match(text, /Should we call you back on plus 1 5 5, 5 1 2, 3 4 5, 6 7\?/, 'offers the caller id, spoken digit by digit');
  t.match(text, /Let me read that back/, 'reads the message back');
  t.match(text, /your message has been recorded/, 'confirms it is stored');
  const hangup = r.events.find((e) => e.type === 'hangup');
  t.equal(hangup?.reason, 'dialogue_finished', 'the secretary ends the call');

  const callId = String(r.events.find((e) => e.type === 'started')!.call_id);
  const call = await until('the call summary', async () => (await gw.controlPlane.repos.calls.get(callId))?.summary && gw.controlPlane.repos.calls.get(callId));
  t.match(call?.summary ?? '', /^Message from .+, callback \+15551234567: .+/, 'the message is the call summary');
  const stored = (await gw.controlPlane.repos.calls.transcript(callId)).find((s) => s.speaker === 'message');
  t.ok(stored, 'the message is in the transcript');
  const m = JSON.parse(stored!.text);
  t.equal(m.callbackNumber, '+15551234567');
  t.ok(m.callerName && m.reason, 'name and reason recorded');
});

t.test('a call can ask for another persona: the Russian secretary greets in Russian, from its cached audio', async (t) => {
  // Until the whole greeting has played: its end is where a synthesised one reports its TTS time.
  const r = await runScriptedCall({ url: gw.url, token: gw.token, persona: 'ru', steps: [], maxMs: 30_000, idleEndMs: 1000 });
  t.match(textOf(r.events), /[А-Яа-я]/, 'Russian greeting text');
  const start = r.events.find((e) => e.type === 'response_audio_start');
  t.comment(`greeting audio after ${start?.t_ms.toFixed(0)} ms`);
  t.ok(r.frames.some((f) => f.loud), 'greeting audio arrived');
  t.ok(r.events.some((e) => e.type === 'response_audio_end'), 'and played to its end');
  // Turn metrics come with the reply's end: a greeting that went through TTS reports tts_ttfa_ms there.
  const ttfa = r.events.filter((e) => e.type === 'turn_metrics').map((e) => (e.metrics as Record<string, number>).tts_ttfa_ms);
  t.same(ttfa.filter((x) => x !== undefined), [], 'played from the cache: no text-to-speech time');
});
