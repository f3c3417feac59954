/**
 * The conversation configuration from the database (control/conversation/): what a call or chat
 * resolves, right after an edit through the admin API, on the real database (SQLite here,
 * Postgres with TEST_DATABASE_URL). `cp.conversations.resolve` is what the gateway's pipeline
 * factory asks when a call starts.
 */
import t from 'tap';
import { InMemoryMessageStore } from '../../pipeline/dialogue/message-store.ts';
import { fixedPhrases, greetingText } from '../../pipeline/dialogue/persona.ts';
import { startControl, type TestControl } from './helpers/control.ts';
import { testDatabase } from './helpers/database.ts';
import { fakeLlm } from './helpers/fake-llm.ts';

// The fake LLM servers listen on loopback, which the egress policy refuses unless allowed.
const LOOPBACK_ALLOWED = { EGRESS_ALLOW: '127.0.0.1' };

const answer = (c: TestControl, text: string, channel = 'ws') => c.cp.conversations.resolve({ channel }).faq.match(text)?.entry.answer ?? null;

t.test('nothing configured: the shipped persona and FAQ; once an FAQ entry or a persona is stored, the stored FAQ (with the take-a-message intent) and the company name', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const op = await c.userToken('op-faq', 'operator');
  const admin = await c.userToken('admin-faq', 'admin');
  const first = c.cp.conversations.resolve({ channel: 'ws' });
  t.equal(first.persona.id, 'default-en', 'the shipped persona');
  t.match(answer(c, 'What are your opening hours?'), /Monday to Friday/, 'the shipped FAQ');
  t.equal(first.llm, null, 'no provider stored, none in the environment');

  const added = await c.call('POST', '/admin/faq', { token: op, body: { question: 'Do you have parking?', answer: 'Yes, free parking behind the building.' } });
  t.equal(added.status, 201);
  t.equal(answer(c, 'do you have parking'), 'Yes, free parking behind the building.', 'the entry answers the next conversation, no restart');
  t.equal(answer(c, 'What are your opening hours?'), null, 'the sample FAQ no longer applies');
  t.equal(c.cp.conversations.resolve({ channel: 'ws' }).faq.match('I want to leave a message')?.entry.action, 'take_message', 'taking a message still works');
  t.equal(first.faq.match('do you have parking'), null, 'a conversation resolved before keeps what it had');

  await c.call('PATCH', `/admin/faq/${added.body.id}`, { token: op, body: { enabled: false } });
  t.equal(answer(c, 'do you have parking'), null, 'disabled: not answered');
  t.equal(answer(c, 'What are your opening hours?'), null, 'and the stored FAQ, empty as it is, is still the FAQ');

  await c.call('PUT', '/admin/config/company.name', { token: admin, body: { value: 'Parkside Dental' } });
  t.match(greetingText(c.cp.conversations.resolve({ channel: 'ws' }).persona), /Parkside Dental/, 'the company name reaches the shipped greeting');
  const match = await c.call('GET', `/admin/faq/match?question=${encodeURIComponent('I want to leave a message')}`, { token: op });
  t.match(match.body.match, { id: 'leave-message', builtin: true }, 'the admin tool asks the live matcher, intents included');
});

t.test('personas: the greeting, prompts and dialogue settings the admin sets are what the next call gets; a call resolved before keeps the old ones', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const op = await c.userToken('op-persona', 'operator');
  const created = await c.call('POST', '/admin/personas', {
    token: op,
    body: {
      name: 'Maria',
      system_prompt: 'You are Maria of {company}.',
      greeting: 'Hello, this is {name}. How can I help?',
      language: 'en',
      prompts: { notUnderstood: 'Sorry, I only know about parking.' },
      dialogue: { silence_reprompt_s: 4, offer_message_after_failures: 3 },
    },
  });
  t.equal(created.status, 201, JSON.stringify(created.body));
  t.match(created.body, { dialogue: { silence_reprompt_s: 4, offer_message_after_failures: 3 }, prompts: { notUnderstood: 'Sorry, I only know about parking.' } });
  const before = c.cp.conversations.resolve({ channel: 'modem' });
  t.equal(greetingText(before.persona), 'Hello, this is Maria. How can I help?');
  t.equal(before.persona.prompts.notUnderstood, 'Sorry, I only know about parking.');
  t.equal(before.persona.prompts.askName, 'May I have your name, please?', 'prompts not set stay the language’s own');
  t.same(before.dialogue, { silenceRepromptMs: 4000, silenceHangupMs: 20_000, maxCallMs: 1_800_000, offerMessageAfterFailures: 3, earlyTurnEnd: true }, 'seconds in the API, milliseconds for the pipeline, defaults for the rest');

  t.equal((await c.call('PATCH', `/admin/personas/${created.body.id}`, { token: op, body: { greeting: 'Good morning from Maria.', dialogue: { silence_hangup_s: 30 } } })).status, 200);
  const after = c.cp.conversations.resolve({ channel: 'modem' });
  t.equal(greetingText(after.persona), 'Good morning from Maria.');
  t.equal(after.dialogue.silenceHangupMs, 30_000);
  t.equal(greetingText(before.persona), 'Hello, this is Maria. How can I help?', 'the earlier call keeps its greeting');
  t.ok(Object.isFrozen(before.persona) && Object.isFrozen(before.persona.prompts), 'and nothing can change it under it');
  t.same(c.cp.conversations.greetings().map((g) => g.text), fixedPhrases(after.persona), 'the phrases to synthesise ahead follow the edit');
  t.equal(c.cp.conversations.greetings()[0].text, 'Good morning from Maria.', 'the greeting first, then the silence cues');
  t.ok(c.cp.conversations.greetings().some((g) => g.text === after.persona.prompts.stillThere), 'the still-there question among them');

  for (const bad of [{ dialogue: { silence_reprompt_s: -1 } }, { dialogue: { offer_message_after_failures: 1.5 } }, { dialogue: { bogus: 1 } }, { prompts: { askName: '' } }, { prompts: { greeting: 'use the greeting field' } }, { prompts: { nope: 'x' } }]) {
    const r = await c.call('PATCH', `/admin/personas/${created.body.id}`, { token: op, body: bad });
    t.equal(r.status, 400, JSON.stringify(bad));
    t.equal(r.body.error.code, 'validation_failed');
  }

  // A row from an old or foreign backup: what does not parse takes the defaults instead of failing calls.
  await c.cp.db('personas').where({ id: created.body.id }).update({ dialogue: '{"silence_reprompt_s":"soon"}', prompts: '{"askName":42}' });
  await c.cp.conversations.changed();
  const repaired = c.cp.conversations.resolve({ channel: 'ws' });
  t.equal(repaired.dialogue.silenceRepromptMs, 6000);
  t.equal(repaired.persona.prompts.askName, 'May I have your name, please?');
});

t.test('which persona: named by id, name or language; the text channels’ own setting; the default; the modem’s per caller number', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('admin-which', 'admin');
  const make = async (name: string, language: string) => (await c.call('POST', '/admin/personas', { token: admin, body: { name, system_prompt: name, greeting: `${name} speaking.`, language } })).body;
  const day = await make('Day', 'en');
  const night = await make('Night', 'en');
  const russian = await make('Ivan', 'ru');
  const pick = (req: { channel: string; persona?: string; callerNumber?: string }) => c.cp.conversations.resolve(req).persona.name;
  t.equal(pick({ channel: 'ws' }), 'Day', 'the first one made is the default');
  t.equal(pick({ channel: 'ws', persona: String(night.id) }), 'Night', 'by id');
  t.equal(pick({ channel: 'ws', persona: 'night' }), 'Night', 'by name');
  t.equal(pick({ channel: 'ws', persona: 'ru' }), 'Ivan', 'by language (MODEM_PERSONAS=...=ru, a WebSocket start message)');
  t.equal(c.cp.conversations.resolve({ channel: 'ws', persona: 'ru' }).faq.match('я хочу оставить сообщение')?.entry.action, 'take_message', 'in its own language');
  t.equal(pick({ channel: 'ws', persona: 'nobody' }), 'Day', 'unknown: the default');
  await c.call('PUT', '/admin/config/chat.default_persona_id', { token: admin, body: { value: night.id } });
  t.equal(pick({ channel: 'chat' }), 'Night', 'text channels: chat.default_persona_id');
  t.equal(pick({ channel: 'ws' }), 'Day', 'calls: the default persona');
  await c.call('POST', `/admin/personas/${russian.id}/default`, { token: admin });
  t.equal(pick({ channel: 'modem' }), 'Ivan', 'a new default, at once');

  const line = await c.call('POST', '/admin/gsm/personas', { token: admin, body: { number: '+79161234567', persona_id: day.id } });
  t.equal(line.status, 201);
  t.equal(pick({ channel: 'modem', callerNumber: '89161234567', persona: 'Night' }), 'Day', 'the stored entry for the number, however it is spelt, over MODEM_PERSONAS');
  t.equal(pick({ channel: 'modem', callerNumber: '+79030000000', persona: 'Night' }), 'Night', 'another number: MODEM_PERSONAS (the env default)');
  t.equal(pick({ channel: 'ws', callerNumber: '+79161234567' }), 'Ivan', 'only modem calls go by number');
  const again = await c.call('POST', '/admin/gsm/personas', { token: admin, body: { number: '8 916 123 45 67'.replace(/ /g, ''), persona_id: night.id } });
  t.equal(again.status, 200, 'the same number again changes its entry');
  t.equal(again.body.id, line.body.id);
  t.equal(pick({ channel: 'modem', callerNumber: '+79161234567' }), 'Night');
  t.equal((await c.call('GET', '/admin/gsm/personas', { token: admin })).body.items.length, 1);
  t.equal((await c.call('POST', '/admin/gsm/personas', { token: admin, body: { number: '+79161234567', persona_id: 9999 } })).status, 404, 'an unknown persona');
  t.equal((await c.call('POST', '/admin/gsm/personas', { token: admin, body: { number: 'not a number', persona_id: night.id } })).status, 400);
  const audit = (await c.call('GET', '/admin/audit?action=gsm.persona_set', { token: admin })).body.items;
  t.equal(audit.filter((a: { status: number }) => a.status < 300).length, 2, 'both changes audited (and the refused attempts)');
  t.notMatch(JSON.stringify(audit), /9161234567/, 'the audit names the entry, not the number');
  t.equal((await c.call('DELETE', `/admin/gsm/personas/${line.body.id}`, { token: admin })).status, 204);
  t.equal(pick({ channel: 'modem', callerNumber: '+79161234567' }), 'Ivan', 'removed: the default again');

  await c.call('POST', '/admin/gsm/personas', { token: admin, body: { number: '+79161234567', persona_id: day.id } });
  await c.call('DELETE', `/admin/personas/${day.id}`, { token: admin });
  t.same((await c.call('GET', '/admin/gsm/personas', { token: admin })).body.items, [], 'a deleted persona takes its numbers with it');
});

t.test('the LLM chain a conversation gets: enabled providers by priority, the persona’s, a session’s, a named model; LLM_BASE_URL only while none is stored', async (t) => {
  const env = await fakeLlm('from the environment');
  const stored = await fakeLlm('from a stored provider');
  const c = await startControl(LOOPBACK_ALLOWED, { options: { builtinConversation: { llm: { name: 'env', baseURL: env.url, model: 'env-model', maxRetries: 0 } } } });
  t.teardown(async () => {
    await c.stop();
    await env.close();
    await stored.close();
  });
  const admin = await c.userToken('admin-chain', 'admin');
  const chain = (req: Parameters<typeof c.cp.conversations.resolve>[0]) => c.cp.conversations.resolve(req).llm?.name ?? null;
  t.equal(chain({ channel: 'ws' }), 'env', 'no provider stored: the environment’s');
  const key = (await c.call('POST', '/admin/api-keys', { token: admin, body: { name: 'k' } })).body.key;
  const v1 = await c.call('POST', '/v1/chat/completions', { token: key, body: { model: 'auto', messages: [{ role: 'user', content: 'Tell me a story' }] } });
  t.match(v1.body, { model: 'env-model', choices: [{ message: { content: /from the environment/ } }] }, '/v1 uses the same chain as calls');

  const a = (await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'a', base_url: stored.url, model: 'a-model', priority: 2 } })).body;
  const b = (await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'b', base_url: stored.url, model: 'b-model', priority: 1 } })).body;
  t.equal(chain({ channel: 'ws' }), 'b>a', 'stored providers by priority; the environment’s is the last resort only');
  await c.call('PUT', '/admin/llm/default', { token: admin, body: { backend: 'provider', provider_id: a.id } });
  t.equal(chain({ channel: 'ws' }), 'a>b', 'the default backend');
  const persona = (await c.call('POST', '/admin/personas', { token: admin, body: { name: 'P', system_prompt: 'p', llm_provider_id: b.id } })).body;
  t.equal(chain({ channel: 'ws' }), 'b>a', 'the (default) persona’s provider over the default backend');
  t.equal(chain({ channel: 'chat', persona: String(persona.id), llm: { backend: 'provider', provider_id: a.id } }), 'a>b', 'a session’s choice over the persona’s');
  t.equal(chain({ channel: 'v1', model: 'a-model' }), 'a>b', 'a named model first');
  t.equal(chain({ channel: 'v1', model: 'faq' }), null, 'model "faq": no LLM');
  await c.call('PUT', '/admin/llm/default', { token: admin, body: { backend: 'faq' } });
  await c.call('PATCH', `/admin/personas/${persona.id}`, { token: admin, body: { llm_provider_id: null } });
  t.equal(chain({ channel: 'modem' }), null, 'default backend "faq": calls get the secretary alone');
  await c.call('PATCH', `/admin/llm-providers/${b.id}`, { token: admin, body: { enabled: false } });
  await c.call('PUT', '/admin/llm/default', { token: admin, body: { backend: 'auto' } });
  t.equal(chain({ channel: 'ws' }), 'a', 'a disabled provider leaves the chain at once');
});

t.test('a TTS preset is the persona’s voice; editing it reaches the next call', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const op = await c.userToken('op-voice', 'operator');
  const preset = (await c.call('POST', '/admin/tts/presets', { token: op, body: { name: 'slow', engine: 'espeak-ng', voice: 'en-us', speed: 0.8 } })).body;
  await c.call('POST', '/admin/personas', { token: op, body: { name: 'V', system_prompt: 'v', tts_preset_id: preset.id } });
  t.same(c.cp.conversations.resolve({ channel: 'ws' }).voice, { engine: 'espeak-ng', voice: 'en-us', language: 'en', speed: 0.8 });
  t.equal((await c.call('PATCH', `/admin/tts/presets/${preset.id}`, { token: op, body: { speed: 1.2 } })).status, 200);
  t.equal(c.cp.conversations.resolve({ channel: 'ws' }).voice.speed, 1.2);
  // A stored voice that is not a plain name (a backup from before the check) never reaches the engine.
  await c.cp.db('tts_presets').where({ id: preset.id }).update({ voice: '../../secret.key' });
  await c.cp.conversations.changed();
  t.notOk('voice' in c.cp.conversations.resolve({ channel: 'ws' }).voice);
});

t.test('a backup restore and a GDPR erasure reload the configuration', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('admin-restore', 'admin');
  await c.call('POST', '/admin/faq', { token: admin, body: { question: 'Do you have parking?', answer: 'Yes, behind the building.' } });
  const backup = await c.call('POST', '/admin/backups', { token: admin });
  t.equal(backup.status, 201);
  await c.call('POST', '/admin/faq', { token: admin, body: { question: 'Do you deliver?', answer: 'Yes, within the city.' } });
  t.equal(answer(c, 'do you deliver'), 'Yes, within the city.');
  t.equal((await c.call('POST', `/admin/backups/${backup.body.name}/restore`, { token: admin, body: { confirm: true } })).status, 200);
  t.equal(answer(c, 'do you deliver'), null, 'the restored FAQ, at once');
  t.equal(answer(c, 'do you have parking'), 'Yes, behind the building.');

  const token = (await c.login('admin-restore')).body.access_token; // a restore ends sessions
  const other = (await c.call('POST', '/admin/personas', { token, body: { name: 'Other', system_prompt: 'o', greeting: 'Other persona.' } })).body;
  const lined = (await c.call('POST', '/admin/personas', { token, body: { name: 'Lined', system_prompt: 'p', greeting: 'Lined persona.' } })).body;
  await c.call('POST', '/admin/gsm/personas', { token, body: { number: '+4915112345678', persona_id: lined.id } });
  t.equal(c.cp.conversations.resolve({ channel: 'modem', callerNumber: '+4915112345678' }).persona.name, 'Lined');
  const erased = await c.call('POST', '/admin/legal/erase', { token, body: { subject: '+4915112345678', confirm: true } });
  t.equal(erased.status, 200);
  t.same(await c.cp.db('modem_personas').select(), [], 'the number’s entry is personal data: erased');
  t.equal(c.cp.conversations.resolve({ channel: 'modem', callerNumber: '+4915112345678' }).persona.name, other.name, 'and calls from it no longer get its persona');
});

t.test('the admin chat: a visitor leaves a message by typing; it reaches the MessageStore with its session, and the conversation goes on across a restart', async (t) => {
  const db = await testDatabase();
  const store = new InMemoryMessageStore();
  let c = await startControl({}, { db, options: { messages: store } });
  t.teardown(async () => {
    await c.stop();
    await db.cleanup();
  });
  const op = await c.userToken('op-chat', 'operator');
  const sess = (await c.call('POST', '/admin/chat/sessions', { token: op, body: { contact: 'visitor' } })).body;
  const type = async (content: string) => {
    const r = await c.call('POST', `/admin/chat/sessions/${sess.id}/reply`, { token: op, body: { content } });
    t.equal(r.status, 200);
    const done = JSON.parse(/event: done\ndata: (.*)\n/.exec(r.text)![1]);
    return { text: done.message.content as string, source: done.source as string, ended: done.ended as boolean };
  };
  t.match(await type('Hello, I would like to leave a message'), { text: /May I have your name/, source: 'secretary' });
  t.match(await type('Jane Doe'), { text: /What number should we call you back on/ });

  await c.stop(); // the conversation is in the database, not in this process
  c = await startControl({}, { db, options: { messages: store } });
  const op2 = (await c.login('op-chat')).body.access_token;
  const typeAgain = async (content: string) => {
    const r = await c.call('POST', `/admin/chat/sessions/${sess.id}/reply`, { token: op2, body: { content } });
    return JSON.parse(/event: done\ndata: (.*)\n/.exec(r.text)![1]) as { message: { content: string }; ended: boolean };
  };
  t.match((await typeAgain('+49 151 1234 5678')).message.content, /what is your message/i);
  t.match((await typeAgain('The invoice is wrong')).message.content, /Name: Jane Doe\. Number: \+4915112345678\. Message: The invoice is wrong\./);
  const done = await typeAgain('yes, that is right');
  t.match(done, { ended: true, message: { content: /your message has been recorded/ } });
  t.equal(store.messages.length, 1);
  t.match(store.messages[0], { kind: 'message', channel: 'chat', sessionId: sess.id, callerName: 'Jane Doe', callbackNumber: '+4915112345678', reason: 'The invoice is wrong' });
  const roles = (await c.call('GET', `/admin/chat/sessions/${sess.id}/messages`, { token: op2 })).body.items.map((m: { role: string }) => m.role);
  t.equal(roles.length, 10, 'every turn stored, both sides');
});
