/**
 * Live configuration end to end over the real gateway (gateway/assemble.ts, the WebSocket
 * transport, Silero VAD, pocketsphinx, espeak-ng, SQLite): what an owner changes through the
 * admin API is what the next caller hears, without a restart, while a call in progress keeps
 * what it started with; and one FAQ entry answers the same in /v1, the admin chat and a call.
 */
import t from 'tap';
import { runScriptedCall, type ScriptedCallResult, type Step } from '../../bench/lib/scripted-caller.ts';
import { fliteSpeech, withSilence } from '../../bench/lib/flite-speech.ts';
import { until } from '../helpers/until.ts';
import { ADMIN_TEST_ENV, startSecretaryGateway, type SecretaryGateway } from './helpers/secretary-gateway.ts';

let gw: SecretaryGateway;
let admin: string;
t.before(async () => {
  gw = await startSecretaryGateway({}, ADMIN_TEST_ENV);
  admin = await gw.userToken('owner', 'admin');
});
t.teardown(() => gw.stop());

const textOf = (r: ScriptedCallResult) => r.events.filter((e) => e.type === 'response_text_delta').map((e) => String(e.text)).join('');
const ask = (question: string, cue: Step['cue'] = { after: 'reply', gapMs: 200 }): Step => ({ audio: withSilence(fliteSpeech(question), 0, 200), cue });
// maxMs is a ceiling, not a figure (a call ends after its last reply): the first call of the
// first test holds through the whole second call, so it gets room for two calls on a slow machine.
const call = (steps: Step[], extra: Partial<Parameters<typeof runScriptedCall>[0]> = {}) => runScriptedCall({ url: gw.url, token: gw.token, steps, maxMs: 90_000, ...extra });
// A caller waiting while the test edits: never re-prompted or hung up on for silence.
const PATIENT = { silence_reprompt_s: 0, silence_hangup_s: 0 };

t.test('an FAQ entry and a greeting edited through the admin API reach the next call; a call in progress keeps its greeting and FAQ', async (t) => {
  // What is said is under test here, not how it sounds: a voice at twice espeak's speed halves the
  // real-time playback the callers wait out.
  const preset = await gw.call('POST', '/admin/tts/presets', admin, { name: 'fast', engine: 'espeak-ng', voice: 'en', speed: 2 });
  t.equal(preset.status, 201, preset.text);
  const persona = await gw.call('POST', '/admin/personas', admin, { name: 'Anna', system_prompt: 'You are Anna.', greeting: 'Hello, Parkside Dental, Anna speaking. How can I help?', dialogue: PATIENT, tts_preset_id: preset.body.id });
  t.equal(persona.status, 201, persona.text);
  const faq = await gw.call('POST', '/admin/faq', admin, { question: 'Do you have parking?', answer: 'Yes, there is free parking behind the building.' });
  t.equal(faq.status, 201);

  // The first caller hears the greeting, then holds while the owner edits.
  let edited = false;
  let greeted!: () => void;
  const greetingPlayed = new Promise<void>((resolve) => (greeted = resolve));
  const first = call([ask('Do you have parking?', { when: () => edited })], { onEvent: (e) => e.type === 'response_audio_end' && greeted() });
  await greetingPlayed;

  t.equal((await gw.call('PATCH', `/admin/personas/${persona.body.id}`, admin, { greeting: 'Good morning, Harbor View Clinic. How may I help you?' })).status, 200);
  t.equal((await gw.call('PATCH', `/admin/faq/${faq.body.id}`, admin, { answer: 'No, sorry, please take the tram to the clinic.' })).status, 200);

  const second = await call([ask('Do you have parking?')]);
  t.match(textOf(second), /^Good morning, Harbor View Clinic\. How may I help you\?/, 'the next caller hears the edited greeting');
  t.match(textOf(second), /please take the tram/, 'and the edited answer');

  edited = true;
  const kept = await first;
  t.match(textOf(kept), /^Hello, Parkside Dental, Anna speaking\./, 'the call in progress kept its greeting');
  t.match(textOf(kept), /free parking behind the building/, 'and its FAQ');
  t.notMatch(textOf(kept), /tram/);

  // The edited greeting is synthesised once, ahead, and the old one dropped: the next call plays it from the cache.
  const cached = () => gw.pipelines.greetings!.texts();
  await until('the edited greeting cached', () => cached().includes('Good morning, Harbor View Clinic. How may I help you?'));
  t.notOk(cached().some((g) => g.startsWith('Hello, Parkside Dental')), 'the old greeting is not kept');
  const third = await call([], { maxMs: 30_000, idleEndMs: 1000 });
  t.match(textOf(third), /^Good morning, Harbor View Clinic/);
  const ttfa = third.events.filter((e) => e.type === 'turn_metrics').map((e) => (e.metrics as Record<string, number>).tts_ttfa_ms);
  t.same(ttfa.filter((x) => x !== undefined), [], 'played from the cache: no text-to-speech time');
});

t.test('one FAQ entry answers the same in /v1/chat/completions, the admin chat and a call', async (t) => {
  const answer = 'Yes, we take all major credit cards.';
  t.equal((await gw.call('POST', '/admin/faq', admin, { question: 'Can I pay by credit card?', answer })).status, 201);
  const key = (await gw.call('POST', '/admin/api-keys', admin, { name: 'site' })).body.key as string;
  const v1 = await gw.call('POST', '/v1/chat/completions', key, { model: 'auto', messages: [{ role: 'user', content: 'can i pay by credit card' }] });
  t.match(v1.body.choices[0].message.content, answer, '/v1');
  t.equal(v1.headers.get('x-answer-source'), 'faq');

  const session = (await gw.call('POST', '/admin/chat/sessions', admin, {})).body;
  const chat = await gw.call('POST', `/admin/chat/sessions/${session.id}/reply`, admin, { content: 'Can I pay with a credit card?' });
  t.match(JSON.parse(/event: done\ndata: (.*)\n/.exec(chat.text)![1]), { source: 'faq', message: { content: new RegExp(`^${answer}`) } }, 'the admin chat');

  const voice = await call([ask('Can I pay by credit card?')]);
  t.match(textOf(voice), answer, 'a call');
});
