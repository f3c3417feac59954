/**
 * Silence over the real gateway (WebSocket, Silero VAD in its worker, pocketsphinx, espeak-ng, the
 * SQLite call log), with the silence settings shortened to 2 s / 5 s as the shipped personas'
 * defaults: a caller who sends only zeros is asked once whether they are still there, hears a
 * goodbye and is hung up on, and the call is logged `silence`, completed. A line carrying white
 * noise at -30 dBFS is silence too: the VAD calls none of it speech, so there is no turn and the
 * same polite end. And 30 s of that noise with the silence rules off (slow: it takes 30 s) still
 * makes no turn at all, with RNNoise (NOISE_SUPPRESSION=rnnoise) in front of the VAD.
 */
import t, { type Test } from 'tap';
import { whiteNoise } from '../../bench/lib/white-noise.ts';
import { runScriptedCall, type ScriptedCallResult } from '../../bench/lib/scripted-caller.ts';
import { defaultPersona } from '../../pipeline/dialogue/persona.ts';
import { until } from '../helpers/until.ts';
import { startSecretaryGateway, type SecretaryGateway } from './helpers/secretary-gateway.ts';

t.setTimeout(300_000);

const prompts = defaultPersona('en').prompts;
let short: SecretaryGateway;
let off: SecretaryGateway;
/** The three calls run at once (the suite's time); each subtest checks one. */
let calls: { silent: Promise<ScriptedCallResult>; noise: Promise<ScriptedCallResult>; longNoise: Promise<ScriptedCallResult> };
t.before(async () => {
  [short, off] = await Promise.all([
    startSecretaryGateway({}, {}, { silenceRepromptMs: 2000, silenceHangupMs: 5000 }),
    startSecretaryGateway({ NOISE_SUPPRESSION: 'rnnoise' }, {}, { silenceRepromptMs: 0, silenceHangupMs: 0 }),
  ]);
  calls = {
    silent: caller(short, null),
    noise: caller(short, whiteNoise(20, -30)),
    longNoise: runScriptedCall({ url: off.url, token: off.token, steps: [{ audio: whiteNoise(30, -30, 7), cue: { after: 'reply', gapMs: 0 } }], maxMs: 90_000, idleEndMs: 3000 }),
  };
});
t.teardown(() => Promise.all([short?.stop(), off?.stop()]));

const said = (r: ScriptedCallResult) => r.events.filter((e) => e.type === 'response_text_delta').map((e) => String(e.text));
const callIdOf = (r: ScriptedCallResult) => String(r.events.find((e) => e.type === 'started')!.call_id);
/** The caller sends `audio` from the start of the call, then zeros, until the gateway hangs up. */
const caller = (gw: SecretaryGateway, audio: Int16Array | null, maxMs = 60_000) =>
  runScriptedCall({ url: gw.url, token: gw.token, steps: audio ? [{ audio, cue: { at: 0 } }] : [], maxMs });

async function endedForSilence(t: Test, gw: SecretaryGateway, r: ScriptedCallResult) {
  t.same(said(r).filter((x) => x === prompts.stillThere), [prompts.stillThere], 'asked once whether the caller is still there');
  t.ok(said(r).includes(prompts.silenceGoodbye), 'then a goodbye');
  t.match(r.events.find((e) => e.type === 'hangup'), { reason: 'silence' }, 'and the hang-up, with its reason');
  t.match(r.close, { code: 1000 }, 'closed normally by the gateway');
  t.notOk(r.events.some((e) => e.type === 'speech_started' || e.type === 'transcript'), 'the caller was never heard speaking');
  const ends = r.events.filter((e) => e.type === 'response_audio_end');
  t.ok(ends.length === 3 && ends.every((e) => e.interrupted === false), 'greeting, question and goodbye each played to the end');
  const id = callIdOf(r);
  await gw.pipelines.callLog!.flush();
  const call = await until('the call logged as ended', async () => {
    const row = await gw.controlPlane.repos.calls.get(id);
    return row?.end_reason ? row : null;
  });
  t.match(call, { status: 'completed', end_reason: 'silence' }, 'logged as ended for silence, completed');
  const turns = await gw.controlPlane.repos.calls.turns(id);
  t.match(turns.map((x) => [x.user_text, x.assistant_text]), [[null, /^Hello/], [null, prompts.stillThere], [null, prompts.silenceGoodbye]], 'three turns, none from the caller');
  t.equal(turns.length, 3);
}

t.test('a silent caller is asked once, then said goodbye to and hung up on; the call is logged `silence`', async (t) => {
  await endedForSilence(t, short, await calls.silent);
});

t.test('white noise at -30 dBFS is silence: no turn, and the same polite end', async (t) => {
  await endedForSilence(t, short, await calls.noise);
});

t.test('30 s of white noise at -30 dBFS makes no turn, with RNNoise in front of the VAD too (slow: 30 s of audio)', async (t) => {
  const r = await calls.longNoise;
  t.match((await off.gateway.health.report()).components.noise_suppression, { status: 'ok', engine: 'rnnoise', calls: 1 }, 'the call went through the noise suppressor');
  t.match((await short.gateway.health.report()).components.noise_suppression, { status: 'disabled' }, 'off unless NOISE_SUPPRESSION says so');
  t.equal(r.stepsSaid, 1, 'the noise was sent');
  t.notOk(r.events.some((e) => e.type === 'speech_started'), 'the VAD never heard speech');
  t.notOk(r.events.some((e) => e.type === 'transcript'), 'nothing was transcribed');
  t.notOk(r.events.some((e) => e.type === 'hangup' && e.reason !== 'script_done'), 'and the gateway did not end the call (silence rules off)');
  const id = callIdOf(r);
  await off.pipelines.callLog!.flush();
  await until('the call logged as ended', async () => (await off.controlPlane.repos.calls.get(id))?.end_reason);
  t.equal((await off.controlPlane.repos.calls.turns(id)).length, 1, 'the greeting was the only turn');
});
