/**
 * `offerMessageAfterFailures` through the turn manager: the built-in secretary behind the real
 * dialogue port, the caller's speech placed by hand (ManualVad) and heard by a scripted STT. Turns
 * not understood in a row (nothing intelligible, or words no FAQ entry matches) lead to the offer
 * to take a message after exactly K of them; 0 never offers.
 */
import t from 'tap';
import { dialoguePort } from '../../../pipeline/dialogue/dialogue-port.ts';
import { FaqMatcher } from '../../../pipeline/dialogue/faq-matcher.ts';
import { InMemoryMessageStore } from '../../../pipeline/dialogue/message-store.ts';
import { defaultFaq, defaultPersona } from '../../../pipeline/dialogue/persona.ts';
import { Secretary } from '../../../pipeline/dialogue/secretary.ts';
import { clockedCall } from '../helpers/clocked-call.ts';

const persona = defaultPersona('en');
const OFFER = persona.prompts.offerMessage;

/** A call to the secretary in which the caller says each of `heard` in turn; the reply to each, in order. */
async function replies(offerMessageAfterFailures: number, heard: string[]) {
  const secretary = new Secretary({ persona, faq: new FaqMatcher(defaultFaq('en')), store: new InMemoryMessageStore(), offerMessageAfterFailures });
  const c = clockedCall({ settings: { offerMessageAfterFailures }, heard, dialogue: dialoguePort(secretary) });
  c.p.start();
  for (let i = 0; i < heard.length; i++) {
    await c.speak();
    await c.runUntil(`the reply to turn ${i + 1}`, () => c.turns().length === i + 2, 60_000);
  }
  return c.turns().slice(1).map((x) => x.heardText);
}

t.test('after K turns not understood in a row the secretary offers to take a message, and asks for the name', async (t) => {
  for (const k of [1, 2, 3]) {
    const got = await replies(k, ['', 'mumble mumble', '', '']);
    const offeredAt = got.findIndex((r) => r.includes(OFFER));
    t.equal(offeredAt, k - 1, `K=${k}: offered on turn ${k}`);
    t.match(got[offeredAt], /May I have your name/, 'and the take-a-message flow begins');
    for (const r of got.slice(0, k - 1)) t.notMatch(r, OFFER, 'not before');
  }
});

t.test('a turn understood in between starts the count again', async (t) => {
  const got = await replies(2, ['', 'What are your opening hours?', '', '']);
  t.notMatch(got[0], OFFER);
  t.match(got[1], /Monday to Friday/);
  t.notMatch(got[2], OFFER, 'one failure after the FAQ answer is not two in a row');
  t.match(got[3], OFFER);
});

t.test('0: never offered, however often the caller is not understood', async (t) => {
  const got = await replies(0, ['', '', 'mumble', '', '']);
  t.notOk(got.some((r) => r.includes(OFFER)), JSON.stringify(got));
  t.ok(got.every((r) => /Sorry/.test(r)), 'each is asked again');
});
