import t from 'tap';
import { FaqMatcher } from '../../pipeline/dialogue/faq-matcher.ts';
import { InMemoryMessageStore, type MessageStore } from '../../pipeline/dialogue/message-store.ts';
import { defaultFaq, defaultPersona, type DefaultLanguage } from '../../pipeline/dialogue/persona.ts';
import { Secretary } from '../../pipeline/dialogue/secretary.ts';
import type { DialogueEvent } from '../../pipeline/dialogue/types.ts';

function make(lang: DefaultLanguage = 'en', callerNumber?: string, store: MessageStore = new InMemoryMessageStore()) {
  return new Secretary({
    persona: defaultPersona(lang),
    faq: new FaqMatcher(defaultFaq(lang)),
    store,
    context: { callId: 'c1', callerNumber },
  });
}

async function collect(it: AsyncIterable<DialogueEvent>) {
  const events: DialogueEvent[] = [];
  for await (const e of it) events.push(e);
  const text = events.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text).join('').trim();
  return { events, text, ended: events.some((e) => e.type === 'end_call') };
}

const say = (s: Secretary, text: string) => collect(s.respond({ text }));

t.test('greets and answers from the FAQ', async (t) => {
  const s = make();
  const g = await collect(s.greet());
  t.match(g.text, /Hello, you have reached our office\. This is Anna/);
  const r = await say(s, 'What are your opening hours?');
  t.match(r.text, /Monday to Friday/);
  t.match(r.text, /anything else/i);
  t.equal(s.state.kind, 'menu');
  t.ok(s.expectedPhrases().includes('What are your opening hours?'));
  const bye = await say(s, 'no, thank you, bye');
  t.match(bye.text, /Goodbye/);
  t.ok(bye.ended, 'signals end of call');
  t.equal(s.state.kind, 'done');
});

t.test('takes a message with the caller id offered, reads it back, stores it', async (t) => {
  const store = new InMemoryMessageStore();
  const s = make('en', '+15551234567', store);
  let r = await say(s, 'I want to leave a message');
  t.match(r.text, /name/i);
  r = await say(s, 'My name is John Smith');
  t.match(r.text, /call you back on plus 1 5 5, 5 1 2, 3 4 5, 6 7\?/);
  t.same(s.expectedPhrases().slice(0, 2), ['yes', 'no']);
  r = await say(s, 'yes please');
  t.match(r.text, /message/i);
  r = await say(s, 'Please call me about the invoice');
  t.match(r.text, /Name: John Smith\. Number: plus 1 5 5, 5 1 2, 3 4 5, 6 7\. Message: Please call me about the invoice\. Is that correct\?/);
  r = await say(s, 'yes');
  t.match(r.text, /recorded.*Goodbye/s);
  t.ok(r.ended);
  t.equal(store.messages.length, 1);
  t.match(store.messages[0], { callId: 'c1', callerName: 'John Smith', callbackNumber: '+15551234567', reason: 'Please call me about the invoice', language: 'en' });
  const taken = r.events.find((e) => e.type === 'message_taken');
  t.ok(taken, 'message_taken event');
});

t.test('asks for a number when there is no caller id; "no" at read-back starts over', async (t) => {
  const store = new InMemoryMessageStore();
  const s = make('en', undefined, store);
  await say(s, 'can you take a message');
  let r = await say(s, 'Jane');
  t.match(r.text, /What number/);
  r = await say(s, 'five five five one two three four');
  t.match(r.text, /what is your message/i);
  r = await say(s, 'call me');
  t.match(r.text, /Number: 5 5 5, 1 2 3, 4/);
  r = await say(s, 'no, that is wrong');
  t.match(r.text, /try again.*name/is);
  await say(s, 'Jane Doe');
  await say(s, '5 5 5 9 9 9 9');
  await say(s, 'urgent');
  r = await say(s, 'yes');
  t.ok(r.ended);
  t.match(store.messages[0], { callerName: 'Jane Doe', callbackNumber: '5559999', reason: 'urgent' });
});

t.test('asks to repeat on empty input, then goes to take-a-message after two failures', async (t) => {
  const s = make();
  let r = await say(s, '');
  t.match(r.text, /say it again/);
  t.equal(s.state.kind, 'menu');
  r = await say(s, 'blah blah weather');
  t.match(r.text, /take a message.*name/is);
  t.equal(s.state.kind, 'ask_name');
});

t.test('a successful answer resets the failure count', async (t) => {
  const s = make();
  await say(s, '');
  await say(s, 'where is your office');
  const r = await say(s, '');
  t.equal(s.state.kind, 'menu', 'still in the menu after one new failure');
  t.match(r.text, /say it again/);
});

t.test('never loops forever: silence through take-a-message still ends the call', async (t) => {
  const store = new InMemoryMessageStore();
  const s = make('en', undefined, store);
  let ended = false;
  for (let i = 0; i < 20 && !ended; i++) ended = (await say(s, '')).ended;
  t.ok(ended, 'call ended');
  t.equal(store.messages.length, 1, 'something was saved for a human');
  t.equal(store.messages[0].callerName, 'not given');
});

t.test('Russian secretary', async (t) => {
  const store = new InMemoryMessageStore();
  const s = make('ru', '+79161234567', store);
  t.match((await collect(s.greet())).text, /Здравствуйте/);
  t.match((await say(s, 'какой у вас адрес')).text, /улица Ленина/);
  t.match((await say(s, 'я хочу оставить сообщение')).text, /Как вас зовут/);
  t.match((await say(s, 'меня зовут Иван')).text, /Перезвонить вам на номер/);
  t.match((await say(s, 'да')).text, /Что передать/);
  t.match((await say(s, 'перезвоните по поводу заказа')).text, /Имя: Иван/);
  const r = await say(s, 'да, всё верно');
  t.ok(r.ended);
  t.match(store.messages[0], { callerName: 'Иван', callbackNumber: '+79161234567', language: 'ru' });
});

t.test('a failing store still ends the call politely', async (t) => {
  const s = make('en', undefined, { save: async () => { throw new Error('db down'); } });
  await say(s, 'leave a message');
  await say(s, 'Bob');
  await say(s, '5551234');
  await say(s, 'hello');
  const r = await say(s, 'yes');
  t.match(r.text, /could not save/);
  t.ok(r.ended);
});

t.test('an aborted reply stops yielding text', async (t) => {
  const s = make();
  const ac = new AbortController();
  ac.abort();
  const r = await collect(s.respond({ text: 'what are your opening hours' }, { signal: ac.signal }));
  t.equal(r.text, '');
});

t.test('through the turn manager\'s port, "yes" answers a read-back (not a backchannel) and is only a backchannel in the menu', async (t) => {
  const { dialoguePort } = await import('../../pipeline/dialogue/dialogue-port.ts');
  const s = make('en', '+15551234567');
  const port = dialoguePort(s);
  t.notOk(port.isAnswer?.('Yes.'), 'in the menu "yes" answers nothing asked');
  await say(s, 'I want to leave a message');
  await say(s, 'My name is John Smith');
  t.ok(port.isAnswer?.('Yes.'), 'while "may we call you back on ...?" plays, "yes" answers it');
  await say(s, 'yes please');
  await say(s, 'Please call me about the invoice');
  t.equal(s.state.kind, 'confirm');
  t.ok(port.isAnswer?.('yes'), 'and while the read-back plays');
  t.notOk(port.isAnswer?.('mhm'), '"mhm" stays a backchannel');
  t.notOk(port.isAnswer?.(''), 'silence answers nothing');
});
