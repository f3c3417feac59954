import t from 'tap';
import { FakeOpenAi, testRelease, type ChatRequestBody } from '../fakes/fake-openai.ts';
import { OpenAiCompatibleLlm, LlmUnavailableError } from '../../pipeline/engines/llm-openai.ts';
import type { LlmDelta } from '../../pipeline/engines/types.ts';
import { LlmDialogue } from '../../pipeline/dialogue/llm-dialogue.ts';
import { Secretary } from '../../pipeline/dialogue/secretary.ts';
import { FaqMatcher } from '../../pipeline/dialogue/faq-matcher.ts';
import { InMemoryMessageStore } from '../../pipeline/dialogue/message-store.ts';
import { defaultFaq, defaultPersona } from '../../pipeline/dialogue/persona.ts';
import type { DialogueEvent } from '../../pipeline/dialogue/types.ts';
import { deadPort } from '../helpers/dead-port.ts';
import { until } from '../helpers/until.ts';
import { collect, provider, textOf } from './helpers/llm-deltas.ts';

t.test('streams text deltas as they arrive', async (t) => {
  // The server holds everything after the first token until the client has shown it got that one.
  const rest = testRelease();
  const fake = await new FakeOpenAi({ chat: () => ({ text: 'We are open from nine to six today.', hold: { after: 1, until: rest.until } }) }).start();
  t.teardown(() => fake.close());
  const llm = new OpenAiCompatibleLlm([provider('fake', fake.baseURL, { apiKey: 'k' })]);
  const deltas: LlmDelta[] = [];
  let firstBeforeRest = false;
  for await (const d of llm.stream([{ role: 'user', content: 'hours?' }])) {
    if (d.type === 'text' && !deltas.some((x) => x.type === 'text')) {
      firstBeforeRest = !rest.timedOut;
      rest.release();
    }
    deltas.push(d);
  }
  t.ok(firstBeforeRest, 'the first token reached the caller while the rest was not yet sent');
  t.equal(textOf(deltas), 'We are open from nine to six today.');
  t.ok(deltas.filter((d) => d.type === 'text').length >= 8, 'one delta per token');
  t.match(deltas[deltas.length - 1], { type: 'done', finishReason: 'stop', provider: 'fake' });
  const req = fake.chatRequests()[0];
  t.equal(req.stream, true);
  t.equal(req.model, 'fake-model');
  t.equal(fake.requests[0].headers.authorization, 'Bearer k');
});

t.test('tool calls are assembled from streamed pieces', async (t) => {
  const fake = await new FakeOpenAi({
    chat: () => ({ text: 'Noted.', toolCalls: [{ name: 'take_message', arguments: { caller_name: 'Ann', callback_number: '555', reason: 'invoice' } }, { name: 'end_call', arguments: {} }] }),
  }).start();
  t.teardown(() => fake.close());
  const llm = new OpenAiCompatibleLlm([provider('fake', fake.baseURL)]);
  const ds = await collect(llm.stream([{ role: 'user', content: 'x' }], { tools: [{ name: 'take_message', description: 'd', parameters: { type: 'object' } }] }));
  const calls = ds.filter((d) => d.type === 'tool_call').map((d) => (d as { call: { name: string; arguments: string } }).call);
  t.equal(calls.length, 2);
  t.equal(calls[0].name, 'take_message');
  t.same(JSON.parse(calls[0].arguments), { caller_name: 'Ann', callback_number: '555', reason: 'invoice' });
  t.equal(calls[1].name, 'end_call');
  t.match(ds[ds.length - 1], { type: 'done', finishReason: 'tool_calls' });
  t.equal((fake.chatRequests()[0].tools ?? [])[0].function.name, 'take_message');
});

t.test('fallback chain: refused connection, HTTP 500 and a silent provider all fall through', async (t) => {
  const bad500 = await new FakeOpenAi({ chat: () => ({ status: 500 }) }).start();
  const hang = await new FakeOpenAi({ chat: () => ({ hang: true }) }).start();
  const good = await new FakeOpenAi({ chat: () => ({ text: 'from the backup' }) }).start();
  t.teardown(async () => {
    await bad500.close();
    await hang.close();
    await good.close();
  });
  const refused = `http://127.0.0.1:${await deadPort()}/v1`;
  const llm = new OpenAiCompatibleLlm([
    provider('refused', refused),
    provider('error500', bad500.baseURL),
    provider('silent', hang.baseURL, { firstTokenMs: 300 }),
    provider('good', good.baseURL),
  ]);
  const ds = await collect(llm.stream([{ role: 'user', content: 'hi' }]));
  t.equal(textOf(ds), 'from the backup');
  t.match(ds[ds.length - 1], { type: 'done', provider: 'good' });
  const h = llm.health();
  t.equal(h.ok, true);
  // The silent provider never answers: only its first-token timeout can have moved the chain on.
  t.match(h.detail, /refused: .*error500: .*silent: no first token within 300 ms/s, 'the silent provider cost only its first-token timeout');

  const none = new OpenAiCompatibleLlm([provider('refused', refused), provider('error500', bad500.baseURL)]);
  await t.rejects(collect(none.stream([{ role: 'user', content: 'hi' }])), LlmUnavailableError);
  t.equal(none.health().ok, false);
});

t.test('the SDK retries a connect failure before falling back', async (t) => {
  let calls = 0;
  const flaky = await new FakeOpenAi({ chat: () => (++calls === 1 ? { status: 503 } : { text: 'second try' }) }).start();
  t.teardown(() => flaky.close());
  const llm = new OpenAiCompatibleLlm([provider('flaky', flaky.baseURL, { maxRetries: 1 })]);
  t.equal(textOf(await collect(llm.stream([{ role: 'user', content: 'x' }]))), 'second try');
  t.equal(calls, 2);
});

t.test('abort (barge-in) ends the stream quietly and promptly', async (t) => {
  // The rest is held back until the test ends: a stream that waited for it would show.
  const rest = testRelease();
  t.teardown(() => rest.release());
  const fake = await new FakeOpenAi({ chat: () => ({ text: 'one two three four five six seven eight nine ten', hold: { after: 2, until: rest.until } }) }).start();
  t.teardown(() => fake.close());
  const llm = new OpenAiCompatibleLlm([provider('fake', fake.baseURL), provider('never', fake.baseURL)]);
  const ac = new AbortController();
  const ds: LlmDelta[] = [];
  for await (const d of llm.stream([{ role: 'user', content: 'x' }], { signal: ac.signal })) {
    ds.push(d);
    if (ds.length === 2) ac.abort();
  }
  t.notOk(rest.timedOut, 'stopped while the server still held the rest back: it did not wait for it');
  t.ok(textOf(ds).length < 20);
  t.equal(fake.chatRequests().length, 1, 'no fallback after an abort');
});

t.test('a provider dying mid-reply is an error, not a silent fallback', async (t) => {
  const fake = await new FakeOpenAi({ tokenMs: 20, chat: () => ({ text: 'one two three four', dropAfterTokens: 2 }) }).start();
  t.teardown(() => fake.close());
  const llm = new OpenAiCompatibleLlm([provider('fake', fake.baseURL), provider('backup', fake.baseURL)]);
  const ds: LlmDelta[] = [];
  await t.rejects(
    (async () => {
      for await (const d of llm.stream([{ role: 'user', content: 'x' }])) ds.push(d);
    })(),
  );
  t.equal(textOf(ds), 'one two');
});

/* ------------------------------------------------------------ dialogue */

async function turn(it: AsyncIterable<DialogueEvent>) {
  const events: DialogueEvent[] = [];
  for await (const e of it) events.push(e);
  return { events, text: events.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text).join('') };
}

function dialogue(fakeUrl: string, store = new InMemoryMessageStore(), extra = {}) {
  const persona = defaultPersona('en');
  const faq = new FaqMatcher(defaultFaq('en'));
  return new LlmDialogue({
    llm: new OpenAiCompatibleLlm([provider('fake', fakeUrl)]),
    persona,
    faq,
    store,
    context: { callId: 'call-7', callerNumber: '+15550001111' },
    ...extra,
  });
}

t.test('dialogue: FAQ first, the model otherwise, with the persona and FAQ in the system prompt', async (t) => {
  const fake = await new FakeOpenAi({ chat: () => ({ text: 'Parking is behind the building.' }) }).start();
  t.teardown(() => fake.close());
  const d = dialogue(fake.baseURL);
  t.match((await turn(d.greet())).text, /This is Anna/);
  t.match((await turn(d.respond({ text: 'what are your opening hours' }))).text, /Monday to Friday/);
  t.equal(fake.chatRequests().length, 0, 'answered from the FAQ without the model');
  t.equal((await turn(d.respond({ text: 'where can I park my car?' }))).text, 'Parking is behind the building.');
  const req = fake.chatRequests()[0] as ChatRequestBody;
  t.match(req.messages[0].content, /You are Anna.*FAQ:.*opening hours.*\+15550001111/s);
  t.same(req.messages.slice(-1), [{ role: 'user', content: 'where can I park my car?' }]);
  t.same((req.tools ?? []).map((x) => x.function.name), ['take_message', 'end_call', 'notify']);
});

t.test('dialogue: take_message and end_call tools store the message and end the call after a spoken reply', async (t) => {
  const fake = await new FakeOpenAi({
    chat: (_body, i) =>
      i === 0
        ? { toolCalls: [{ name: 'take_message', arguments: { caller_name: 'Ann Lee', callback_number: '555 0101', reason: 'invoice' } }] }
        : { text: 'Thank you Ann, I have passed it on. Goodbye!', toolCalls: [{ name: 'end_call', arguments: { reason: 'done' } }] },
  }).start();
  t.teardown(() => fake.close());
  const store = new InMemoryMessageStore();
  const d = dialogue(fake.baseURL, store);
  const r = await turn(d.respond({ text: 'yes that is all correct' }));
  t.equal(store.messages.length, 1);
  t.match(store.messages[0], { callId: 'call-7', callerName: 'Ann Lee', callbackNumber: '555 0101', reason: 'invoice', language: 'en' });
  t.match(r.text, /Goodbye/);
  const types = r.events.map((e) => e.type);
  t.equal(types[0], 'message_taken');
  t.equal(types.at(-1), 'end_call', 'end of call comes after the goodbye text');
  t.equal(types.filter((x) => x === 'end_call').length, 1);
  const second = fake.chatRequests()[1];
  const toolMsg = second.messages.find((m) => m.role === 'tool');
  t.match(toolMsg, { tool_call_id: 'call_0_0', content: '{"ok":true}' });
});

t.test('dialogue: every provider down -> the built-in secretary answers the turn', async (t) => {
  const store = new InMemoryMessageStore();
  const persona = defaultPersona('en');
  const faq = new FaqMatcher(defaultFaq('en'));
  const fallback = new Secretary({ persona, faq, store });
  const d = dialogue(`http://127.0.0.1:${await deadPort()}/v1`, store, { fallback });
  const r = await turn(d.respond({ text: 'I want to talk about something unusual' }));
  t.match(r.text, /can't answer that/);
  t.equal(d.messages().at(-1)?.role, 'assistant');
});

t.test('dialogue: a barge-in while the reply streams (the turn manager\'s order: interrupted, then the consumer stops) keeps what was heard, and the earlier reply as it was', async (t) => {
  let n = 0;
  const replies = ['Yes, at the front desk.', 'Let me explain our whole pricing model in great detail now.'];
  const fake = await new FakeOpenAi({ tokenMs: 20, chat: () => ({ text: replies[n++] }) }).start();
  t.teardown(() => fake.close());
  const d = dialogue(fake.baseURL);
  for await (const _ of d.respond({ text: 'do you sell gift cards' })) void _;
  const ac = new AbortController();
  let deltas = 0;
  for await (const e of d.respond({ text: 'tell me about prices' }, { signal: ac.signal })) {
    if (e.type === 'text' && ++deltas === 3) {
      ac.abort();
      d.noteInterrupted('Let me');
      break;
    }
  }
  const history = d.messages().slice(1).map((m) => [m.role, m.content]);
  t.same(history, [
    ['user', 'do you sell gift cards'],
    ['assistant', 'Yes, at the front desk.'],
    ['user', 'tell me about prices'],
    ['assistant', 'Let me…'],
  ]);
  // The next turn goes to the model with that history.
  replies.push('Sure.');
  for await (const _ of d.respond({ text: 'go on' })) void _;
  t.same(fake.chatRequests().at(-1)!.messages.slice(-2).map((m) => m.content), ['Let me…', 'go on']);
});

t.test('dialogue: the cut reply winds down only after the next turn began (the pipeline answers the interruption at once): history stays in order', async (t) => {
  const replies = ['Let me explain our whole pricing model in great detail now.', 'Sure.'];
  let n = 0;
  let oldReturned = false;
  let nextAskedAfterOld: boolean | null = null;
  const fake = await new FakeOpenAi({
    tokenMs: 20,
    chat: (_b, i) => {
      if (i === 1) nextAskedAfterOld = oldReturned;
      return { text: replies[n++] };
    },
  }).start();
  t.teardown(() => fake.close());
  const d = dialogue(fake.baseURL);
  const ac = new AbortController();
  const old = d.respond({ text: 'tell me about prices' }, { signal: ac.signal })[Symbol.asyncIterator]();
  for (let i = 0; i < 3; i++) await old.next();
  ac.abort();
  d.noteInterrupted('Let me');
  // The pipeline starts the next turn at once; the old generator is returned a moment later, when
  // its consumer next looks at it (the 30 ms is that moment, part of the scenario: a turn that did
  // not wait would go ahead in it). The next turn waits for that before touching history.
  const next = turn(d.respond({ text: 'go on' }));
  await new Promise((r) => setTimeout(r, 30));
  const started = performance.now();
  oldReturned = true;
  await old.return?.();
  await next;
  t.equal(nextAskedAfterOld, true, 'the next turn asked the model only once the old one had ended');
  // Not the 5 s a stuck previous turn is given (PREVIOUS_TURN_WAIT_MS): it went on when the old one ended.
  t.ok(performance.now() - started < 4000, 'the next turn did not sit out the stuck-turn wait');
  t.same(d.messages().slice(1).map((m) => [m.role, m.content]), [
    ['user', 'tell me about prices'],
    ['assistant', 'Let me…'],
    ['user', 'go on'],
    ['assistant', 'Sure.'],
  ]);
  t.same(fake.chatRequests()[1].messages.slice(-2).map((m) => m.content), ['Let me…', 'go on'], 'the model saw what it had said');
});

t.test('dialogue: cut during a second tool round, the first round keeps its words and the second only what followed them', async (t) => {
  const fake = await new FakeOpenAi({
    tokenMs: 20,
    chat: (_b, i) =>
      i === 0
        ? { text: 'Let me note that.', toolCalls: [{ name: 'notify', arguments: { text: 'caller wants a callback' } }] }
        : { text: 'Your message is saved and we will call you back tomorrow morning.' },
  }).start();
  t.teardown(() => fake.close());
  const d = dialogue(fake.baseURL);
  const ac = new AbortController();
  let second = 0;
  let seenTool = false;
  for await (const e of d.respond({ text: 'please have someone call me' }, { signal: ac.signal })) {
    if (e.type === 'notify') seenTool = true;
    if (seenTool && e.type === 'text' && ++second === 2) {
      ac.abort();
      d.noteInterrupted('Let me note that. Your message');
      break;
    }
  }
  const history = d.messages().slice(1);
  t.same(history.map((m) => m.role), ['user', 'assistant', 'tool', 'assistant']);
  t.equal(history[1].content, 'Let me note that.', 'the first round as it was said');
  t.equal(history[3].content, 'Your message…', 'the second round: only its own heard words, not the first round again');
});

t.test('dialogue: barge-in keeps only what was heard in the history', async (t) => {
  const fake = await new FakeOpenAi({ tokenMs: 30, chat: () => ({ text: 'Let me explain our whole pricing model in great detail now.' }) }).start();
  t.teardown(() => fake.close());
  const d = dialogue(fake.baseURL);
  const ac = new AbortController();
  let n = 0;
  for await (const e of d.respond({ text: 'tell me about prices' }, { signal: ac.signal })) if (e.type === 'text' && ++n === 3) ac.abort();
  d.noteInterrupted('Let me');
  const last = d.messages().at(-1)!;
  t.equal(last.role, 'assistant');
  t.equal(last.content, 'Let me…');
});

t.test('dialogue: cut in the first of three rounds, that round keeps what was heard and the later ones say nothing was', async (t) => {
  const rounds = [
    { text: 'Let me note that.', toolCalls: [{ name: 'notify', arguments: { text: 'callback' } }] },
    { text: 'I told the team.', toolCalls: [{ name: 'notify', arguments: { text: 'team told' } }] },
    { text: 'Anything else?' },
  ];
  const fake = await new FakeOpenAi({ chat: (_b, i) => rounds[i] }).start();
  t.teardown(() => fake.close());
  const d = dialogue(fake.baseURL);
  await turn(d.respond({ text: 'please have someone call me' }));
  d.noteInterrupted('Let me'); // the caller cut in while the audio of the first round still played
  const replies = d.messages().filter((m) => m.role === 'assistant').slice(-3).map((m) => m.content);
  t.same(replies, ['Let me…', '…', '…']);
});

t.test('dialogue: a barge-in while a tool call is still saving: its result stays next to its call, before the next turn', async (t) => {
  let release!: () => void;
  const saved = new Promise<void>((r) => (release = r));
  let saving = false;
  const store = { messages: [] as unknown[], async save(m: unknown) { saving = true; await saved; this.messages.push(m); } };
  const fake = await new FakeOpenAi({
    chat: (_b, i) =>
      i === 0 ? { toolCalls: [{ name: 'take_message', arguments: { caller_name: 'Ann', callback_number: '555', reason: 'invoice' } }] } : { text: 'Of course.' },
  }).start();
  t.teardown(() => fake.close());
  const d = dialogue(fake.baseURL, store as unknown as InMemoryMessageStore);
  const ac = new AbortController();
  const old = d.respond({ text: 'take a message for the manager' }, { signal: ac.signal })[Symbol.asyncIterator]();
  const pending = old.next();
  await until("the round's tool call to be saving", () => saving);
  ac.abort();
  d.noteInterrupted('');
  const next = turn(d.respond({ text: 'actually one more thing' }));
  // The save finishes a moment after the next turn began (part of the scenario: a turn that did
  // not wait for it would go ahead in these 50 ms and put its words before the tool result).
  await new Promise((r) => setTimeout(r, 50));
  release();
  await pending;
  await old.return?.();
  await next;
  t.same(d.messages().slice(1).map((m) => m.role), ['user', 'assistant', 'tool', 'user', 'assistant']);
  const request = fake.chatRequests()[1].messages.map((m) => m.role);
  t.same(request.slice(-3), ['assistant', 'tool', 'user'], 'the model sees the tool result right after its call');
});

/* ------------------------------------------------------------ not understood */

const OFFER = defaultPersona('en').prompts.offerMessage;

t.test('dialogue: two unintelligible turns hand the caller to the secretary, which takes the message; the model is not asked meanwhile', async (t) => {
  const fake = await new FakeOpenAi({ chat: () => ({ text: 'A model answer.' }) }).start();
  t.teardown(() => fake.close());
  const store = new InMemoryMessageStore();
  const fallback = new Secretary({ persona: defaultPersona('en'), faq: new FaqMatcher(defaultFaq('en')), store, context: { callId: 'call-7' } });
  const d = dialogue(fake.baseURL, store, { fallback, offerMessageAfterFailures: 2 });
  t.match((await turn(d.respond({ text: '' }))).text, /did not catch that/, 'the first: asked again');
  const offer = (await turn(d.respond({ text: '' }))).text;
  t.match(offer, OFFER, 'the second: the offer');
  t.match(offer, /May I have your name/);
  for (const said of ['John Smith', '555 0101 22', 'about my invoice']) t.notMatch((await turn(d.respond({ text: said }))).text, /A model answer/, `"${said}" answered by the secretary`);
  const done = await turn(d.respond({ text: 'yes' }));
  t.match(done.text, /recorded/);
  t.ok(done.events.some((e) => e.type === 'end_call'));
  t.match(store.messages, [{ callerName: 'John Smith', reason: 'about my invoice' }]);
  t.equal(fake.chatRequests().length, 0, 'the model was never asked');
  t.match(d.messages().map((m) => m.content).join('\n'), /I can take a message for you[\s\S]*John Smith[\s\S]*Let me read that back/, 'the history holds the whole exchange');
});

t.test('dialogue: without a fallback the offer is made in the model\'s name, and the model takes it from there', async (t) => {
  const fake = await new FakeOpenAi({ chat: () => ({ text: 'Thank you. And your number?' }) }).start();
  t.teardown(() => fake.close());
  const d = dialogue(fake.baseURL, new InMemoryMessageStore(), { offerMessageAfterFailures: 2 });
  await turn(d.respond({ text: '' }));
  t.match((await turn(d.respond({ text: '' }))).text, OFFER);
  t.equal((await turn(d.respond({ text: 'John Smith' }))).text, 'Thank you. And your number?');
  const sent = (fake.chatRequests()[0] as ChatRequestBody).messages;
  t.match(sent.at(-2), { role: 'assistant', content: new RegExp(`${OFFER}.*May I have your name`) }, 'the model sees its offer');
});

t.test('dialogue: an answer from the model starts the count again; an empty answer from it counts as not understood', async (t) => {
  const answers = ['Parking is behind the building.', '', ''];
  let n = 0;
  const fake = await new FakeOpenAi({ chat: () => ({ text: answers[n++] ?? '' }) }).start();
  t.teardown(() => fake.close());
  const d = dialogue(fake.baseURL, new InMemoryMessageStore(), { offerMessageAfterFailures: 2 });
  await turn(d.respond({ text: '' }));
  t.equal((await turn(d.respond({ text: 'where can I park?' }))).text, 'Parking is behind the building.');
  const first = (await turn(d.respond({ text: 'and on sundays?' }))).text;
  t.match(first, /did not catch that/, 'a model saying nothing: asked again, not an empty reply');
  t.match((await turn(d.respond({ text: 'hello?' }))).text, OFFER, 'two of those in a row: the offer');
});
