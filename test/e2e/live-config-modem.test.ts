/**
 * Live configuration on the phone path: the gateway as `npm start` assembles it, attached to the
 * SIM7600 emulator (MODEM_* variables), with the secretary pipeline. An FAQ entry added through
 * the admin API is answered on the next modem call; the persona per caller number set through
 * /admin/gsm/personas greets that caller, over MODEM_PERSONAS, which stays the default; who is
 * answered and when (the `modem.call_handling` setting) replaces MODEM_BLOCK/MODEM_HOURS at the next ring.
 */
import t from 'tap';
import { fliteSpeech, withSilence } from '../../bench/lib/flite-speech.ts';
import { Sim7600Emulator } from '../../gateway/modem/emulator/sim7600-emulator.ts';
import { resampleClip } from '../../media/resampler.ts';
import type { PipelineEvent } from '../../pipeline/call-pipeline.ts';
import { until } from '../helpers/until.ts';
import { ADMIN_TEST_ENV, startSecretaryGateway, type SecretaryGateway } from './helpers/secretary-gateway.ts';

let emu: Sim7600Emulator;
let gw: SecretaryGateway;
let admin: string;
t.before(async () => {
  // Six calls in a row: the emulator's audio channel must not go silent after its default five
  // PCM cycles (real modules do; the gateway's reset for it is tested in the modem's own tests).
  emu = new Sim7600Emulator({ ringIntervalMs: 100, degradeAfterCycles: 0 });
  const { atPath, audioPath } = await emu.start();
  gw = await startSecretaryGateway({}, { ...ADMIN_TEST_ENV, MODEM_AT_PORT: atPath, MODEM_AUDIO_PORT: audioPath, MODEM_AUTO_ANSWER_RINGS: '1', MODEM_PERSONAS: '+79035551234=Night', MODEM_BLOCK: '+79990000011' });
  await gw.app.modem!.modem.whenReady(10_000);
  admin = await gw.userToken('owner', 'admin');
});
t.teardown(async () => {
  await gw.stop();
  await emu.stop();
});

const replyText = (events: PipelineEvent[]) => events.map((e) => (e.type === 'response_text_delta' ? e.text : '')).join('');

/**
 * A call from `number`: the caller listens to the greeting, says `question` if any, and hangs up
 * once the answer has played (a caller who hangs up within milliseconds of the answer is another
 * test: the emulator may still be ringing then).
 */
async function modemCall(number: string, question?: string): Promise<string> {
  const calls = gw.app.modem!.calls;
  const events: PipelineEvent[] = [];
  const before = calls.records.length;
  calls.once('call', (c) => c.on('pipeline', (e) => events.push(e)));
  emu.ring(number);
  await until(`the call from ${number} answered and greeted`, () => emu.audio.current !== null && events.some((e) => e.type === 'response_audio_end'), { timeoutMs: 20_000 });
  if (question) {
    emu.playCallerAudio(resampleClip(withSilence(fliteSpeech(question), 0, 300), 16000, 8000));
    const heard = () => events.findIndex((e) => e.type === 'transcript' && e.final && e.text !== '');
    await until('the answer played', () => heard() >= 0 && events.slice(heard()).some((e) => e.type === 'response_audio_end'), { timeoutMs: 40_000 });
  }
  emu.remoteHangup();
  await until(`the call from ${number} logged`, () => calls.records.length === before + 1, { timeoutMs: 20_000 });
  return replyText(events);
}

t.test('an FAQ entry added through the admin API is answered on the next modem call', async (t) => {
  t.notMatch(await modemCall('+79990000001', 'Do you have parking?'), /parking/i, 'before: not an answer the secretary has');
  t.equal((await gw.call('POST', '/admin/faq', admin, { question: 'Do you have parking?', answer: 'Yes, there is free parking behind the building.' })).status, 201);
  t.match(await modemCall('+79990000001', 'Do you have parking?'), /free parking behind the building/, 'after: answered on the phone, no restart');
});

t.test('the persona per caller number: the admin API’s entry, else MODEM_PERSONAS, else the default', async (t) => {
  const make = async (name: string) => (await gw.call('POST', '/admin/personas', admin, { name, system_prompt: name, greeting: `${name} desk, good day.` })).body;
  await make('Day');
  await make('Night');
  const line = await make('Line');
  t.match(await modemCall('+79990000002'), /^Day desk/, 'an unlisted number: the default persona');
  t.match(await modemCall('+79035551234'), /^Night desk/, 'MODEM_PERSONAS names it for this number');
  const set = await gw.call('POST', '/admin/gsm/personas', admin, { number: '+79035551234', persona_id: line.id });
  t.equal(set.status, 201);
  t.match(await modemCall('+79035551234'), /^Line desk/, 'the admin API’s entry wins, at the next call');
  t.equal((await gw.call('DELETE', `/admin/gsm/personas/${set.body.id}`, admin)).status, 204);
  t.match(await modemCall('+79035551234'), /^Night desk/, 'removed: MODEM_PERSONAS again');
});

/** A call the gateway refuses: its logged reason, and whether it was answered all the same. */
async function refusedCall(number: string): Promise<{ reason: string; answered: boolean }> {
  const calls = gw.app.modem!.calls;
  const before = calls.records.length;
  const answers = emu.commandLog.filter((c) => c.command === 'ATA').length;
  emu.ring(number);
  await until(`the call from ${number} logged`, () => calls.records.length === before + 1, { timeoutMs: 20_000 });
  return { reason: calls.records[before].reason, answered: emu.commandLog.filter((c) => c.command === 'ATA').length > answers };
}

t.test('who is answered and when, set through the admin API, replaces MODEM_* from the next ring; reset, the environment again', async (t) => {
  const viewer = await gw.userToken('viola', 'viewer');
  const environment = { auto_answer_rings: 1, allow: [], block: ['+79990000011'], hours: null, anonymous: 'answer', refuse_with: 'hangup' };
  const before = (await gw.call('GET', '/admin/gsm/call-handling', viewer)).body;
  t.same(before, { source: 'environment', stored_invalid: false, stored: null, environment, effective: environment }, 'MODEM_* as the modem was started with');

  const set = (value: unknown) => gw.call('PUT', '/admin/config/modem.call_handling', admin, { value });
  t.equal((await set({ block: ['+79990000009'] })).status, 200);
  t.same(await refusedCall('+79990000009'), { reason: 'rejected_blocked', answered: false }, 'a number blocked through the API is refused at the next ring, no restart');
  t.match(await modemCall('+79990000011'), /\w/, "MODEM_BLOCK's number is answered: the stored choice replaces the environment's whole");

  // Working hours that ended an hour ago, in UTC, every day: now is outside them.
  const hour = new Date().getUTCHours();
  const hh = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`;
  t.equal((await set({ hours: { days: [0, 1, 2, 3, 4, 5, 6], start: hh(hour - 3), end: hh(hour - 1), time_zone: 'UTC' } })).status, 200);
  t.same(await refusedCall('+79990000010'), { reason: 'rejected_outside_hours', answered: false }, 'outside the working hours saved through the API');

  t.equal((await gw.call('DELETE', '/admin/config/modem.call_handling', admin)).status, 200);
  t.same(await refusedCall('+79990000011'), { reason: 'rejected_blocked', answered: false }, 'reset: MODEM_BLOCK refuses its number again');
  t.match(await modemCall('+79990000009'), /\w/, 'and the number blocked only through the API is answered');
});
