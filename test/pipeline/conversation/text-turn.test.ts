/**
 * A typed turn through the conversation core (pipeline/conversation/text-turn.ts): the same
 * dialogues as a call, fed text. The secretary's state goes through JSON between turns, as a
 * chat session stores it.
 */
import t, { type Test } from 'tap';
import { BuiltinConversationSource } from '../../../pipeline/conversation/builtin-source.ts';
import { DEFAULT_DIALOGUE_SETTINGS } from '../../../pipeline/conversation/dialogue-settings.ts';
import { textTurn, type TextTurnResult } from '../../../pipeline/conversation/text-turn.ts';
import { InMemoryMessageStore } from '../../../pipeline/dialogue/message-store.ts';
import { parseSecretaryState, type SecretaryState } from '../../../pipeline/dialogue/secretary-state.ts';
import type { ChatMessage } from '../../../pipeline/engines/types.ts';
import { FakeOpenAi, type FakeOpenAiOptions } from '../../fakes/fake-openai.ts';

/** A typed conversation as a chat session keeps it: the history and the stored state. */
function session(source: BuiltinConversationSource, store: InMemoryMessageStore, sessionId = 7) {
  const history: ChatMessage[] = [];
  let stored: unknown = null;
  return async (text: string): Promise<TextTurnResult> => {
    const r = await textTurn({
      config: source.resolve({ channel: 'chat' }),
      store,
      context: { channel: 'chat', sessionId },
      history,
      state: parseSecretaryState(stored),
      text,
      signal: new AbortController().signal,
    });
    history.push({ role: 'user', content: text }, { role: 'assistant', content: r.text });
    stored = JSON.parse(JSON.stringify(r.state)) as SecretaryState | null;
    return r;
  };
}

async function withLlm(t: Test, opts: FakeOpenAiOptions) {
  const fake = await new FakeOpenAi(opts).start();
  t.teardown(() => fake.close());
  return { fake, source: new BuiltinConversationSource({ llm: { name: 'fake', baseURL: fake.baseURL, model: 'fake-model', maxRetries: 0 } }) };
}

t.test('a visitor leaves a message by typing: the secretary asks over several turns, reads it back as typed, and the message reaches the store with its channel and session', async (t) => {
  const store = new InMemoryMessageStore();
  const say = session(new BuiltinConversationSource(), store);
  t.match((await say('I would like to leave a message')).text, /May I have your name/);
  t.match((await say('John Smith')).text, /What number should we call you back on/);
  t.match((await say('+1 555 123 4567')).text, /what is your message/i);
  const readBack = await say('Please call me back about my order');
  t.match(readBack.text, /Name: John Smith\. Number: \+15551234567\. Message: Please call me back about my order\. Is that correct\?/, 'a chat shows the number as digits, not spelt out for a voice');
  t.equal(store.messages.length, 0, 'nothing stored before the confirmation');
  const done = await say('yes');
  t.match(done.text, /your message has been recorded/);
  t.equal(done.ended, true);
  t.equal(done.state, null, 'the next message starts afresh');
  t.equal(store.messages.length, 1);
  t.match(store.messages[0], { kind: 'message', channel: 'chat', sessionId: 7, callerName: 'John Smith', callbackNumber: '+15551234567', reason: 'Please call me back about my order', language: 'en' });
  t.notOk('callId' in store.messages[0], 'a chat has no call');
  t.match(await say('What are your opening hours?'), { source: 'faq', text: /Monday to Friday/ }, 'after the message, the menu again');
});

t.test('without sessions (/v1): the FAQ answers or the fixed message does; no half-taken message', async (t) => {
  const store = new InMemoryMessageStore();
  const config = new BuiltinConversationSource().resolve({ channel: 'v1' });
  const ask = (text: string) => textTurn({ config, store, context: { channel: 'v1' }, history: [], text, signal: new AbortController().signal });
  t.match(await ask('What are your opening hours?'), { source: 'faq', model: 'faq', text: /Monday to Friday/, state: null });
  t.match(await ask('I want to leave a message'), { source: 'fallback', model: 'fallback', text: config.fallbackMessage });
  t.match(await ask('Can you repair my bicycle?'), { source: 'fallback' });
  t.equal(store.messages.length, 0);
});

t.test('with an LLM: its take_message and notify tools reach the store marked with the channel; usage and model are reported', async (t) => {
  const { source } = await withLlm(t, {
    chat: (_b, i) =>
      i === 0
        ? {
            toolCalls: [
              { name: 'take_message', arguments: { caller_name: 'Ann Lee', callback_number: '555 0101', reason: 'invoice' } },
              { name: 'notify', arguments: { text: 'wants the manager today' } },
            ],
          }
        : { text: 'I have passed that on.' },
  });
  const store = new InMemoryMessageStore();
  const r = await textTurn({ config: source.resolve({ channel: 'v1' }), store, context: { channel: 'v1' }, history: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'Hello!' }], text: 'Tell the manager to call Ann Lee about the invoice', signal: new AbortController().signal });
  t.match(r, { source: 'llm', model: 'fake-model', text: 'I have passed that on.', ended: false });
  t.ok(r.tokensIn > 0 && r.tokensOut > 0, 'token counts from the provider');
  t.match(store.messages, [
    { kind: 'message', channel: 'v1', callerName: 'Ann Lee', callbackNumber: '555 0101', reason: 'invoice' },
    { kind: 'human_requested', channel: 'v1', reason: 'wants the manager today' },
  ]);
});

t.test('a provider failing mid-answer: the turn keeps the part sent and says it was cut, with an error id', async (t) => {
  // Tokens 20 ms apart, so the ones before the drop are on the wire when the socket dies.
  const { source } = await withLlm(t, { tokenMs: 20, chat: () => ({ text: 'We are open from nine until six', dropAfterTokens: 3 }) });
  const sent: string[] = [];
  const r = await textTurn({
    config: source.resolve({ channel: 'v1' }),
    store: new InMemoryMessageStore(),
    context: { channel: 'v1' },
    history: [],
    text: 'Tell me something',
    signal: new AbortController().signal,
    onText: async (x) => void sent.push(x),
  });
  t.equal(r.text, sent.join(''), 'exactly what was sent');
  t.ok(r.text.length > 0);
  t.match(r.truncated, { message: /error id [0-9a-f]{10}/, errorId: /^[0-9a-f]{10}$/ });
});

t.test('every provider down before a word: a session falls back to the secretary, which keeps its state', async (t) => {
  const { source } = await withLlm(t, { chat: () => ({ status: 500 }) });
  const store = new InMemoryMessageStore();
  const say = session(source, store);
  const r = await say('I want to leave a message');
  t.match(r, { source: 'secretary', text: /May I have your name/ });
  t.match(r.state, { kind: 'ask_name' }, 'the secretary took over, and its state is kept for the next turn');
});

t.test("a typed chat offers to take a message after the persona's number of turns it does not understand, or never with 0", async (t) => {
  const offered = (r: TextTurnResult) => r.text.includes('I can take a message for you.');
  for (const [after, firstOffer] of [[2, 2], [3, 3], [0, null]] as const) {
    const source = new BuiltinConversationSource({ dialogue: { ...DEFAULT_DIALOGUE_SETTINGS, offerMessageAfterFailures: after } });
    const say = session(source, new InMemoryMessageStore());
    let first: number | null = null;
    for (let turn = 1; turn <= 4 && first === null; turn++) if (offered(await say('purple elephants dancing'))) first = turn;
    t.equal(first, firstOffer, `offer_message_after_failures ${after}: first offered at turn ${firstOffer ?? 'never'}`);
  }
});
