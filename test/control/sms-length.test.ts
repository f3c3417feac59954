/**
 * The owner's SMS stays within three parts whatever the caller said: checked with the modem's own
 * splitter (gateway/modem/sms/pdu.ts), which decides the alphabet and the parts the modem sends.
 */
import t from 'tap';
import { clipToSmsParts } from '../../control/notifications/sms-length.ts';
import { chooseEncoding, splitForSms } from '../../gateway/modem/sms/pdu.ts';

const TAIL = ' https://admin.example/#/messages/0b8f1a52-5b7e-4c1e-9d7a-0f3c2a1e4d55';
const partsOf = (text: string) => splitForSms(text).length;

t.test('a short message goes whole', async (t) => {
  const body = 'Message from Ann, +4915100000000 (phone call): please call back about the invoice';
  t.equal(clipToSmsParts(body, TAIL), body + TAIL);
});

t.test('long texts are cut to three parts in either alphabet, the link kept whole', async (t) => {
  const cases: Record<string, string> = {
    'plain ASCII (7-bit, 153 a part)': 'Please call me back about the delivery of the order. '.repeat(20),
    'ASCII with extension characters (two septets each)': 'Order [A-17] {urgent} ~ price^2 | path\\x '.repeat(20),
    'ASCII with a backtick (not GSM 7-bit: UCS-2)': 'the code is `A17` and it does not work '.repeat(20),
    'Cyrillic (UCS-2, 67 a part)': 'Хочу поговорить с менеджером о доставке заказа. '.repeat(20),
    'emoji (surrogate pairs, never cut in half)': 'Call me back 📞🙂 '.repeat(60),
  };
  for (const [name, reason] of Object.entries(cases)) {
    const body = `Message from Ann, +4915100000000 (phone call): ${reason}`;
    const sms = clipToSmsParts(body, TAIL);
    t.ok(partsOf(sms) <= 3, `${name}: ${partsOf(sms)} parts (${chooseEncoding(sms)})`);
    t.ok(partsOf(sms) >= 2, `${name}: the room is used, not cut far short`);
    t.ok(sms.endsWith(`...${TAIL}`), `${name}: marked as cut, the link whole`);
    t.ok(body.startsWith(sms.slice(0, sms.length - TAIL.length - 3).trimEnd()), `${name}: a prefix of what was said`);
    t.notOk(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(sms), `${name}: no half of a surrogate pair`);
  }
});

t.test('clipping keeps a 7-bit text 7-bit (no ellipsis character forcing UCS-2)', async (t) => {
  const sms = clipToSmsParts('x'.repeat(1000), TAIL);
  t.equal(chooseEncoding(sms), 'gsm7');
  t.equal(partsOf(sms), 3);
});
